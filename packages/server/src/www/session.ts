import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type AccountUser, type ExternalIdentity, findAccountUser, type Principal, requireWebsiteSession } from '@entropic/core';
import { appError } from '@entropic/types';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A first-time identity waiting on /www/signup for its owner to choose a username. */
export interface PendingIdentity {
  identity: ExternalIdentity;
  suggestedName: string;
  providerLabel: string;
}

/** What a website session remembers (JSON in the key-value store). */
export interface SessionData {
  userId?: number;
  /** the synchronizer token every POST form must echo */
  csrf: string;
  /** a CLI/npm web login waiting for this browser's confirmation */
  cli?: string;
  /** a same-site path to go to after sign-in (always checked by safeNextPath) */
  next?: string;
  pending?: PendingIdentity;
  /** a one-shot message for the next page */
  flash?: string;
  /** signed in (or enrolled) with a second factor: website writes that need one are allowed */
  secondFactor?: boolean;
  /** password (or provider) checked, the second factor not yet: the user waiting for it */
  awaitingSecondFactor?: { userId: number; method: string };
}

export class WebSession {
  dirty = false;
  destroyed = false;
  constructor(
    /** the cookie value: 256 random bits; the store only sees its hash */
    readonly id: string,
    public data: SessionData,
    public user: AccountUser | undefined,
  ) {}
}

declare module 'fastify' {
  interface FastifyRequest {
    /** the website session, when the browser has one (see ensureSession) */
    webSession: WebSession | undefined;
  }
}

/** Sessions without a user only carry a login form's CSRF token and OAuth progress: an hour is plenty. */
const ANONYMOUS_TTL_SECONDS = 3600;
const SESSION_ID_RE = /^[A-Za-z0-9_-]{43}$/;

const randomId = () => randomBytes(32).toString('base64url');
const storeKey = (id: string) => `www-session:${createHash('sha256').update(id).digest('base64url')}`;

/** An opaque, stable fingerprint of a session (binds OAuth state to the browser that started it). */
export function sessionFingerprint(session: WebSession): string {
  return storeKey(session.id);
}

function isHttps(request: FastifyRequest): boolean {
  return request.server.deps.config.externalUrl.startsWith('https:');
}

/** `__Host-` under https: the browser then insists on Secure, Path=/ and no Domain. */
export function sessionCookieName(request: FastifyRequest): string {
  return isHttps(request) ? '__Host-entropic_session' : 'entropic_session';
}

function ttlOf(request: FastifyRequest, session: WebSession): number {
  const configured = request.server.deps.config.sessionExpirySeconds;
  return session.data.userId === undefined ? Math.min(ANONYMOUS_TTL_SECONDS, configured) : configured;
}

/** Reads the session named by the cookie, if any (onRequest hook of the website scope). */
export async function loadSession(request: FastifyRequest): Promise<void> {
  request.webSession = undefined;
  const header = request.headers.cookie;
  if (!header) return;
  const id = parseCookie(header)[sessionCookieName(request)];
  if (!id || !SESSION_ID_RE.test(id)) return;
  const { deps } = request.server;
  const raw = await deps.kv.get(storeKey(id));
  if (!raw) return;
  let data: SessionData;
  try {
    data = JSON.parse(raw) as SessionData;
  } catch {
    return;
  }
  const session = new WebSession(id, data, undefined);
  if (data.userId !== undefined) {
    session.user = await findAccountUser(deps, { id: data.userId });
    if (session.user) {
      request.principal = sessionPrincipal(request, session.user, data.secondFactor === true);
    } else {
      // the account is gone: the session forgets it
      delete session.data.userId;
      session.dirty = true;
    }
  }
  request.webSession = session;
}

function sessionPrincipal(request: FastifyRequest, user: AccountUser, secondFactor: boolean): Principal {
  return { userId: user.id, username: user.name, scope: 'session', address: request.ip, ...(secondFactor ? { secondFactor } : {}) };
}

/** The request's session, creating an anonymous one (saved when the response is sent). */
export function ensureSession(request: FastifyRequest): WebSession {
  if (!request.webSession) {
    request.webSession = new WebSession(randomId(), { csrf: randomId() }, undefined);
    request.webSession.dirty = true;
  }
  return request.webSession;
}

/** Writes a changed session and its cookie (onSend hook of the website scope). */
export async function saveSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const session = request.webSession;
  if (!session?.dirty) return;
  const { kv } = request.server.deps;
  const name = sessionCookieName(request);
  if (session.destroyed) {
    await kv.delete(storeKey(session.id));
    reply.header('set-cookie', stringifySetCookie({ name, value: '', ...cookieAttributes(request), maxAge: 0 }));
    return;
  }
  const ttl = ttlOf(request, session);
  await kv.set(storeKey(session.id), JSON.stringify(session.data), { ttlSeconds: ttl });
  reply.header('set-cookie', stringifySetCookie({ name, value: session.id, ...cookieAttributes(request), maxAge: ttl }));
  session.dirty = false;
}

function cookieAttributes(request: FastifyRequest) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: isHttps(request) };
}

/**
 * Signs the user in under a brand-new session id (the old id, which someone else may have
 * planted, is deleted), keeping only the pending CLI login and the return path.
 */
export async function signIn(request: FastifyRequest, user: AccountUser, options: { secondFactor?: boolean } = {}): Promise<WebSession> {
  const old = request.webSession;
  if (old) await request.server.deps.kv.delete(storeKey(old.id));
  const data: SessionData = { userId: user.id, csrf: randomId() };
  if (options.secondFactor) data.secondFactor = true;
  if (old?.data.cli) data.cli = old.data.cli;
  if (old?.data.next) data.next = old.data.next;
  const session = new WebSession(randomId(), data, user);
  session.dirty = true;
  request.webSession = session;
  request.principal = sessionPrincipal(request, user, options.secondFactor === true);
  return session;
}

/** Ends the session: deleted from the store, cookie cleared. */
export function signOut(request: FastifyRequest): void {
  const session = request.webSession;
  if (!session) return;
  session.destroyed = true;
  session.dirty = true;
  request.principal = undefined;
}

/** The signed-in user, or undefined. */
export function sessionUser(request: FastifyRequest): AccountUser | undefined {
  return request.webSession?.user;
}

/**
 * The signed-in user; otherwise UNAUTHENTICATED (the access module's requireWebsiteSession
 * decides), which the website turns into a redirect to /www/login (for GET, returning here
 * afterwards) or a 401 page.
 */
export function requireSessionUser(request: FastifyRequest): AccountUser {
  const user = sessionUser(request);
  requireWebsiteSession(user ? request.principal : undefined);
  return user as AccountUser;
}

/** The CSRF token for this browser's forms (creates the session when needed). */
export function csrfToken(request: FastifyRequest): string {
  return ensureSession(request).data.csrf;
}

/** Throws CSRF_FAILED unless the form carries this session's token and comes from our own origin. */
export function verifyCsrf(request: FastifyRequest): void {
  // Our public origin, or the origin the browser addressed (localhost vs 127.0.0.1 in development).
  const expected = [new URL(request.server.deps.config.externalUrl).origin, `${request.protocol}://${request.headers.host}`];
  const origin = request.headers.origin;
  if (origin !== undefined && !expected.includes(origin)) throw appError('CSRF_FAILED', 'The form was sent from another site.');
  if (request.headers['sec-fetch-site'] === 'cross-site') throw appError('CSRF_FAILED', 'The form was sent from another site.');
  const session = request.webSession;
  const body = request.body as Record<string, unknown> | undefined;
  const sent = typeof body?._csrf === 'string' ? body._csrf : '';
  if (!session || session.dirty || !sent) throw appError('CSRF_FAILED');
  const a = Buffer.from(sent);
  const b = Buffer.from(session.data.csrf);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw appError('CSRF_FAILED');
}

export function setFlash(request: FastifyRequest, message: string): void {
  const session = ensureSession(request);
  session.data.flash = message;
  session.dirty = true;
}

export function takeFlash(request: FastifyRequest): string | undefined {
  const session = request.webSession;
  const flash = session?.data.flash;
  if (session && flash !== undefined) {
    delete session.data.flash;
    session.dirty = true;
  }
  return flash;
}

/** Marks the session changed after editing `session.data` directly. */
export function touchSession(request: FastifyRequest): WebSession {
  const session = ensureSession(request);
  session.dirty = true;
  return session;
}

/**
 * A return path we are willing to redirect to: a path on this site under /www, never another
 * origin (`//evil`, `/\evil`, `https:…`), never with `..`, backslashes or control characters.
 */
export function safeNextPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  if (!/^\/www(\/[A-Za-z0-9\-._~%/]*)?(\?[A-Za-z0-9\-._~%=&+]*)?$/.test(value)) return undefined;
  if (value.includes('//') || value.includes('..') || /%2e|%2f|%5c/i.test(value)) return undefined;
  if (/^\/www\/(login|logout|signup)/.test(value)) return undefined;
  return value;
}
