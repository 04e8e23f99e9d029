import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { appError, LEGACY, parseNamespaceSegment, parsePackageName, truncate } from '@entropic/types';
import { recordAudit } from './audit-log.ts';
import { assertSecondFactor } from './authorize.ts';
import { parseCidrs } from './cidr.ts';
import type { CoreDeps } from './deps.ts';
import { verifyPassword } from './passwords.ts';
import type { TokenLimits, TokenRow, TokenScope } from './ports/tokens.ts';
import type { Principal } from './principal.ts';

/** `ent_v1_` and four hex digits: shown in listings; 16 of the secret's 122 random bits. */
const TOKEN_PREFIX_LENGTH = 11;

const TOKEN_RE = /^ent_v1_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_RE.test(token);
}

export interface TokenInfo {
  id: string;
  description: string;
  scope: TokenScope;
  /** the first characters of the secret, to tell tokens apart */
  prefix: string;
  created: string;
  lastUsed: string | null;
  expires: string | null;
  /** namespaces of this registry the token is limited to (with `packages`: none of either = everything) */
  namespaces: string[];
  /** `namespace/name` packages of this registry the token is limited to */
  packages: string[];
  /** CIDR blocks the token may be used from (none = anywhere) */
  cidrs: string[];
  automation: boolean;
}

export interface CreateTokenInput {
  userId: number;
  description: string;
  scope?: TokenScope;
  expiresAt?: Date | null;
  /** `ns`, `@ns` or `ns@<this host>` */
  namespaces?: readonly string[];
  /** `ns/name`, `@ns/name` or `ns@<this host>/name` */
  packages?: readonly string[];
  cidrs?: readonly string[];
  automation?: boolean;
  /** who asked (the audit log records it; the admin command has no principal) */
  actor?: Principal | undefined;
}

const MAX_LIMITS = 100;

/** Canonical local namespace names; each must exist here. */
async function parseNamespaceLimits(deps: CoreDeps, names: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const raw of names) {
    const ref = parseNamespaceSegment(String(raw).trim().replace(/^@/, ''), deps.host);
    if (ref.host !== deps.host || ref.namespace === LEGACY) {
      throw appError('INVALID_FIELD', `A token can only be limited to namespaces of this registry, not "${truncate(String(raw))}".`);
    }
    if (!(await deps.repos.namespaces.find(ref.namespace, null))) {
      throw appError('NAMESPACE_NOT_FOUND', `The namespace "${ref.namespace}" does not exist.`);
    }
    out.add(ref.namespace);
  }
  return [...out];
}

/** Canonical `ns/name` of existing local packages. */
async function parsePackageLimits(deps: CoreDeps, names: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const raw of names) {
    const text = String(raw).trim().replace(/^@/, '');
    const slash = text.indexOf('/');
    if (slash <= 0) throw appError('INVALID_FIELD', `"${truncate(String(raw))}" does not name a package as namespace/name.`);
    const ref = parseNamespaceSegment(text.slice(0, slash), deps.host);
    if (ref.host !== deps.host || ref.namespace === LEGACY) {
      throw appError('INVALID_FIELD', `A token can only be limited to packages of this registry, not "${truncate(String(raw))}".`);
    }
    const name = parsePackageName(text.slice(slash + 1), ref.namespace);
    if (!(await deps.repos.packages.find(ref.namespace, null, name))) {
      throw appError('PACKAGE_NOT_FOUND', `The package "${ref.namespace}/${name}" does not exist.`);
    }
    out.add(`${ref.namespace}/${name}`);
  }
  return [...out];
}

async function parseLimits(deps: CoreDeps, input: CreateTokenInput): Promise<TokenLimits> {
  const namespaces = input.namespaces ?? [];
  const packages = input.packages ?? [];
  const cidrs = input.cidrs ?? [];
  if (namespaces.length > MAX_LIMITS || packages.length > MAX_LIMITS || cidrs.length > MAX_LIMITS) {
    throw appError('INVALID_FIELD', `A token can name at most ${MAX_LIMITS} namespaces, packages and CIDR blocks each.`);
  }
  return {
    namespaces: await parseNamespaceLimits(deps, namespaces),
    packages: await parsePackageLimits(deps, packages),
    cidrs: parseCidrs(cidrs),
    automation: input.automation === true,
  };
}

/** A new token value (`ent_v1_<uuid>`) with its stored hash and listing prefix; the value is shown once. */
export function newTokenValue(): { token: string; hash: string; prefix: string } {
  const token = `ent_v1_${randomUUID()}`;
  return { token, hash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX_LENGTH) };
}

/** Mints a token; the plain value is returned once and only its hash is stored. */
export async function createToken(deps: CoreDeps, input: CreateTokenInput): Promise<{ token: string; info: TokenInfo }> {
  const description = input.description.trim();
  if (!description || description.length > 200) throw appError('INVALID_FIELD', 'A token needs a description of 1–200 characters.');
  const scope = input.scope ?? 'publish';
  if (scope !== 'read' && scope !== 'publish') throw appError('INVALID_TOKEN_SCOPE', 'The scope must be "read" or "publish".');
  if (input.expiresAt && input.expiresAt.getTime() <= deps.clock.now().getTime()) {
    throw appError('INVALID_FIELD', 'The expiry must be in the future.');
  }
  const limits = await parseLimits(deps, input);
  // a user whose writes need a second factor needs one to mint a token too (an automation token skips it later)
  if (input.actor) await assertSecondFactor(deps.repos, input.actor, undefined);
  const { token, hash, prefix } = newTokenValue();
  const row = await deps.repos.tokens.insert({
    userId: input.userId,
    hash,
    prefix,
    description,
    scope,
    expiresAt: input.expiresAt ?? null,
    ...limits,
  });
  await recordAudit(deps.repos, deps.clock.now(), input.actor, 'token-created', { details: { tokenId: row.id, description, scope } });
  return { token, info: toInfo(row) };
}

function toInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    description: row.description,
    scope: row.scope,
    prefix: row.prefix,
    created: row.created_at.toISOString(),
    lastUsed: row.last_used_at ? row.last_used_at.toISOString() : null,
    expires: row.expires_at ? row.expires_at.toISOString() : null,
    namespaces: row.namespaces,
    packages: row.packages,
    cidrs: row.cidrs,
    automation: row.automation,
  };
}

export async function listTokens(deps: CoreDeps, input: { userId: number }): Promise<TokenInfo[]> {
  const rows = await deps.repos.tokens.listActive(input.userId);
  return rows.map(toInfo);
}

/**
 * Revokes one of the user's tokens, named by its id or by its value (npm revokes by either);
 * after the change, `token-revoked` tells every token cache to forget it, and the answer waits
 * for that.
 */
export async function revokeToken(
  deps: CoreDeps,
  input: { userId: number; tokenId: string; actor?: Principal | undefined },
): Promise<void> {
  let match: { id: string } | { hash: string };
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(input.tokenId)) match = { id: input.tokenId };
  else if (isWellFormedToken(input.tokenId)) match = { hash: hashToken(input.tokenId) };
  else throw appError('TOKEN_NOT_FOUND');
  const hash = await deps.repos.tokens.revoke(input.userId, match, deps.clock.now());
  if (hash === undefined) throw appError('TOKEN_NOT_FOUND');
  await recordAudit(deps.repos, deps.clock.now(), input.actor, 'token-revoked', { details: { tokenId: input.tokenId } });
  await deps.events.emit({ type: 'token-revoked', hash });
}

export interface AuthenticatedToken {
  principal: Principal;
  hash: string;
  /** CIDR blocks the token may be used from; empty: anywhere (the HTTP edge checks the client address) */
  cidrs: string[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/**
 * Resolves a bearer token. Malformed, unknown, revoked or expired → INVALID_TOKEN (401): a
 * credential that is present but bad is never treated as anonymous.
 */
export async function authenticateToken(deps: CoreDeps, input: { token: string }): Promise<AuthenticatedToken> {
  if (!isWellFormedToken(input.token)) throw invalidToken('The token is malformed.');
  const hash = hashToken(input.token);
  const row = await deps.repos.tokens.findByHash(hash);
  // The index lookup finds the row; the constant-time comparison keeps the final check free of timing leaks.
  if (!row || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) throw invalidToken('The token is unknown.');
  if (row.revoked_at) throw invalidToken('The token has been revoked.');
  if (row.expires_at && row.expires_at.getTime() <= deps.clock.now().getTime()) throw invalidToken('The token has expired.');
  const principal: Principal = { userId: row.user_id, username: row.name, scope: row.scope, tokenId: row.id };
  if (row.namespaces.length > 0 || row.packages.length > 0) principal.limits = { namespaces: row.namespaces, packages: row.packages };
  if (row.automation) principal.automation = true;
  if (row.trusted_identity) principal.trustedPublisher = row.trusted_identity;
  return {
    principal,
    hash,
    cidrs: row.cidrs,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}

export async function touchToken(deps: CoreDeps, input: { tokenId: string }): Promise<void> {
  await deps.repos.tokens.touch(input.tokenId, deps.clock.now());
}

/** The HTTP edge adds `WWW-Authenticate: Bearer error="invalid_token"` for this code. */
function invalidToken(message: string) {
  return appError('INVALID_TOKEN', message, {
    hint: 'Create a new token on the website or with `npm run admin -- token create <user>`.',
  });
}

/**
 * npm's token creation sends the account password: checked when the account has one (a local
 * account); an account that signs in only through a provider has none to check, and the bearer
 * token already authenticated the request.
 */
export async function verifyAccountPassword(deps: CoreDeps, input: { username: string; password: unknown }): Promise<void> {
  const user = await deps.repos.users.findByName(input.username);
  if (!user?.password_hash) return;
  if (typeof input.password !== 'string' || !(await verifyPassword(user.password_hash, input.password))) {
    throw appError('SIGN_IN_FAILED', 'The password is not right.');
  }
}
