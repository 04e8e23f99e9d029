import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { appError } from '@entropic/types';
import type { CoreDeps } from './deps.ts';
import type { TokenRow, TokenScope } from './ports/tokens.ts';
import type { Principal } from './principal.ts';

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
  created: string;
  lastUsed: string | null;
  expires: string | null;
}

export interface CreateTokenInput {
  userId: number;
  description: string;
  scope?: TokenScope;
  expiresAt?: Date | null;
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
  const token = `ent_v1_${randomUUID()}`;
  const row = await deps.repos.tokens.insert({
    userId: input.userId,
    hash: hashToken(token),
    description,
    scope,
    expiresAt: input.expiresAt ?? null,
  });
  return { token, info: toInfo(row) };
}

function toInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    description: row.description,
    scope: row.scope,
    created: row.created_at.toISOString(),
    lastUsed: row.last_used_at ? row.last_used_at.toISOString() : null,
    expires: row.expires_at ? row.expires_at.toISOString() : null,
  };
}

export async function listTokens(deps: CoreDeps, input: { userId: number }): Promise<TokenInfo[]> {
  const rows = await deps.repos.tokens.listActive(input.userId);
  return rows.map(toInfo);
}

/** Revokes one of the user's tokens; after the change, `token-revoked` tells every token cache to forget it. */
export async function revokeToken(deps: CoreDeps, input: { userId: number; tokenId: string }): Promise<void> {
  if (!/^[0-9a-f-]{36}$/.test(input.tokenId)) throw appError('TOKEN_NOT_FOUND');
  const hash = await deps.repos.tokens.revoke(input.userId, input.tokenId, deps.clock.now());
  if (hash === undefined) throw appError('TOKEN_NOT_FOUND');
  await deps.events.emit({ type: 'token-revoked', hash });
}

export interface AuthenticatedToken {
  principal: Principal;
  hash: string;
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
  return {
    principal: { userId: row.user_id, username: row.name, scope: row.scope, tokenId: row.id },
    hash,
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
