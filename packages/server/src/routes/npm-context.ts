import { readFileSync } from 'node:fs';
import type { PackageRef } from '@entropic/core';
import { type BuildNpmTarball, createHttpUpstreamRegistry, NpmMirror, resolveNpmName, type SignNpmVersion } from '@entropic/npm';
import { type AppError, appError, LEGACY, type NamespaceName, parseFederatedNpmName, parsePackageName, truncate } from '@entropic/types';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerDeps } from '../deps.ts';
import { sendErrorMessage } from '../plugins/errors.ts';

/** First path segments that are routes of the registry, never npm names (nothing is fetched upstream for them). */
const ROUTE_WORDS = new Set([
  '-',
  'ping',
  'packages',
  'objects',
  'auth',
  'www',
  'namespaces',
  'users',
  'static',
  'api',
  'admin',
  'favicon.ico',
  'robots.txt',
]);
const SCOPED_RE = /^@([^/]+)\/([^/]+)$/;

export type NameParams = { name: string };
export type ScopedParams = { scope: string; name: string };

/** What every npm route shares: the deps, the external URL, the `legacy` mirror and the name resolver. */
export interface NpmContext {
  deps: ServerDeps;
  /** the external URL tarball links start with */
  base: string;
  mirror: NpmMirror;
  /** builds a local version's npm tarball now when its job has not run yet (a read must not leave out a published version) */
  buildTarball: BuildNpmTarball;
  /** signs a version for `dist.signatures` with this host's current key */
  sign: SignNpmVersion;
  /** npm name → package (a local namespace wins over the upstream for its scope) */
  resolve(npmName: string): Promise<PackageRef>;
  /** Unknown names are answered from memory: no query, nothing cached, nothing evicted. */
  assertMayExist(npmName: string, ref: PackageRef): void;
  /** Why a name that is not stored here is not served. */
  notHere(npmName: string, ref: PackageRef): AppError;
  /** False when the name is certainly not served (answered from memory). */
  mayExist(npmName: string, ref: PackageRef): boolean;
  /** The 404 of `notHere`, sent without making an error (a flood of unknown names costs no more than a cached answer). */
  replyNotHere(reply: FastifyReply, npmName: string, ref: PackageRef): FastifyReply;
  /** False when no package of that name is stored here (the name index; no query). */
  isStored(ref: PackageRef): boolean;
}

export function createNpmContext(app: FastifyInstance): NpmContext {
  const { deps } = app;
  const allowlist = deps.config.allowlistFile ? readAllowlist(deps.config.allowlistFile) : undefined;
  const mirror = new NpmMirror(deps, deps.config.legacyUpstream ? createHttpUpstreamRegistry(deps.config.legacyUpstream) : undefined, {
    ttlSeconds: deps.config.legacyTtlSeconds,
    allowlist,
    onError: (error, name) => app.log.warn({ err: error, name }, 'legacy mirror: revalidation failed'),
    log: app.log,
    negativeTtlSeconds: deps.config.legacyNegativeTtlSeconds,
    keepRemoved: deps.config.legacyKeepRemoved,
    slowFetchMs: deps.config.legacySlowFetchMs,
    sign: (message) => deps.keyring.sign(message),
  });
  app.addHook('onReady', () => mirror.loadCachedNames());
  // first fetches store after their response: a shutdown waits for them (the database closes after)
  app.addHook('onClose', () => mirror.drain());
  const names = app.packageNames;
  const legacyRef = (name: string): PackageRef => ({ namespace: LEGACY, host: deps.host, name: name as PackageRef['name'] });

  /**
   * npm name → package, from the in-memory name index. A scope the index does not know is the
   * legacy package of that name; when that would send the name upstream, the database confirms
   * first (a namespace created a moment ago in another process must still win over the upstream).
   */
  async function resolve(npmName: string): Promise<PackageRef> {
    // the federated scope names remote packages only: never a namespace here, never the upstream
    const federated = parseFederatedNpmName(npmName);
    if (federated) return federated;
    const scoped = SCOPED_RE.exec(npmName);
    if (scoped && scoped[1] !== LEGACY && names.hasNamespace(scoped[1] as string)) {
      const namespace = scoped[1] as NamespaceName;
      return { namespace, host: deps.host, name: parsePackageName(scoped[2] as string, namespace) };
    }
    if (scoped && mirror.isAllowed(npmName)) return resolveNpmName(deps.repos, deps.host, npmName);
    return legacyRef(parsePackageName(npmName, LEGACY));
  }

  function notHereMessage(npmName: string, ref: PackageRef): string {
    if (ref.namespace !== LEGACY) return `The package "${truncate(npmName)}" does not exist.`;
    const why = !mirror.enabled
      ? 'the legacy mirror is off (LEGACY_UPSTREAM is not set)'
      : mirror.isAllowed(npmName)
        ? 'the upstream registry does not have it'
        : 'it is not on the mirror allowlist';
    return `The package "${truncate(npmName)}" is not here: ${why}.`;
  }

  const notHere = (npmName: string, ref: PackageRef) => appError('PACKAGE_NOT_FOUND', notHereMessage(npmName, ref));
  /** a remote package may exist whenever its name maps one: the federation answers (PEER_NOT_CONFIGURED for a host not listed) */
  const mayExist = (npmName: string, ref: PackageRef) =>
    ref.host !== deps.host || names.hasPackage(ref) || (ref.namespace === LEGACY && mirror.isAllowed(npmName));

  function assertMayExist(npmName: string, ref: PackageRef): void {
    if (!mayExist(npmName, ref)) throw notHere(npmName, ref);
  }

  const replyNotHere = (reply: FastifyReply, npmName: string, ref: PackageRef) =>
    sendErrorMessage(reply, 'PACKAGE_NOT_FOUND', notHereMessage(npmName, ref));

  const isStored = (ref: PackageRef) => names.hasPackage(ref);
  const buildTarball: BuildNpmTarball = (versionId) => app.npmTarballs.buildById(versionId);
  const sign: SignNpmVersion = (message) => deps.keyring.sign(message);
  return {
    deps,
    base: deps.config.externalUrl,
    mirror,
    buildTarball,
    sign,
    resolve,
    assertMayExist,
    mayExist,
    replyNotHere,
    notHere,
    isStored,
  };
}

/** `/@scope/name` → `@scope/name` (anything else under two segments is no npm route). */
export function scopedName(params: ScopedParams): string {
  if (!params.scope.startsWith('@') || params.scope.length < 2)
    throw appError('NOT_FOUND', `No route for /${truncate(`${params.scope}/${params.name}`)}.`);
  return `${params.scope}/${params.name}`;
}

/** `/name` → `name`, unless the segment is a route of the registry. */
export function plainName(params: NameParams): string {
  if (ROUTE_WORDS.has(params.name)) throw appError('NOT_FOUND', `No route for /${params.name}.`);
  return params.name;
}

function readAllowlist(path: string): Set<string> {
  const names = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0);
  return new Set(names);
}
