import { findPackage, fullName, mayReadPackage, type PackageRef, type ReadablePackage } from '@entropic/core';
import { appError, LEGACY } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { packageGroup } from './routes/refs.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** the request read a private package: its answers say `Cache-Control: private` */
    privateRead: boolean;
  }
  interface FastifyInstance {
    packageReads: PackageReadAccess;
  }
}

const KEY = 'visibility';
const ABSENT = Buffer.from('absent');

/**
 * Read access at the edge (issue 9.1): every route that reads a package asks here before it
 * answers, cached or not. The package's visibility (id and private flag) is kept in its
 * response-cache group, so the events that drop its cached views (a visibility change is a
 * `package-changed`) drop it too; who may read a private package is asked of the access module on
 * every read, which remembers grants per access epoch (docs/decisions/grant-cache.md: a revoked
 * member is refused by every read that starts after the revocation answered).
 */
export class PackageReadAccess {
  constructor(private readonly app: FastifyInstance) {}

  /** The package's visibility, or undefined when it does not exist. */
  async visibility(ref: PackageRef): Promise<ReadablePackage | undefined> {
    if (ref.namespace === LEGACY) return undefined;
    const { responseCache, deps } = this.app;
    const group = packageGroup(ref);
    const cached = responseCache.get(group, KEY);
    if (cached) return cached.body === ABSENT ? undefined : (JSON.parse(cached.body.toString()) as ReadablePackage);
    const row = await findPackage(deps.repos, ref, deps.host);
    const found = row ? { id: row.id, private: row.private } : undefined;
    responseCache.set(group, KEY, { status: 200, body: found ? Buffer.from(JSON.stringify(found)) : ABSENT, contentType: KEY });
    return found;
  }

  /**
   * May the request's principal read the package? True too when it does not exist (the route
   * answers its own 404). A private read marks the request, so its answers are never stored by
   * a shared cache.
   */
  async mayRead(request: FastifyRequest, ref: PackageRef): Promise<boolean> {
    const found = await this.visibility(ref);
    if (!found?.private) return true;
    if (!(await mayReadPackage(this.app.deps.repos, request.principal, found, this.app.deps.grants))) return false;
    request.privateRead = true;
    return true;
  }

  /** Throws what a read of a package that does not exist throws, unless the principal may read it. */
  async assert(request: FastifyRequest, ref: PackageRef): Promise<void> {
    if (!(await this.mayRead(request, ref))) throw appError('PACKAGE_NOT_FOUND', `The package "${fullName(ref)}" does not exist.`);
  }
}

/**
 * Decorates the app with `packageReads`; answers of private reads get `Cache-Control: private`
 * (their `public` lifetimes become private ones; `no-cache` where none was set).
 */
export function registerPackageReadAccess(app: FastifyInstance): void {
  app.decorate('packageReads', new PackageReadAccess(app));
  app.decorateRequest('privateRead', false);
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.privateRead) {
      const current = reply.getHeader('cache-control');
      reply.header('cache-control', privateCacheControl(typeof current === 'string' ? current : undefined));
    }
    done(null, payload);
  });
}

function privateCacheControl(current: string | undefined): string {
  if (!current) return 'private, no-cache';
  if (/\bpublic\b/.test(current)) return current.replace(/\bpublic\b/, 'private');
  return /\bprivate\b/.test(current) ? current : `private, ${current}`;
}
