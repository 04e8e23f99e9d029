import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { appError } from '@entropic/types';
import type { Tx } from './deps.ts';
import type { Principal, TokenScope } from './principal.ts';

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
export async function createToken(db: Tx, input: CreateTokenInput): Promise<{ token: string; info: TokenInfo }> {
  const description = input.description.trim();
  if (!description || description.length > 200) throw appError('INVALID_FIELD', 'A token needs a description of 1–200 characters.');
  const scope = input.scope ?? 'publish';
  if (scope !== 'read' && scope !== 'publish') throw appError('INVALID_TOKEN_SCOPE', 'The scope must be "read" or "publish".');
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw appError('INVALID_FIELD', 'The expiry must be in the future.');
  const token = `ent_v1_${randomUUID()}`;
  const row = await db
    .insertInto('tokens')
    .values({ user_id: input.userId, hash: hashToken(token), description, scope, expires_at: input.expiresAt ?? null })
    .returning(['id', 'description', 'scope', 'created_at', 'last_used_at', 'expires_at'])
    .executeTakeFirstOrThrow();
  return { token, info: toInfo(row) };
}

function toInfo(row: {
  id: string;
  description: string;
  scope: TokenScope;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}): TokenInfo {
  return {
    id: row.id,
    description: row.description,
    scope: row.scope,
    created: row.created_at.toISOString(),
    lastUsed: row.last_used_at ? row.last_used_at.toISOString() : null,
    expires: row.expires_at ? row.expires_at.toISOString() : null,
  };
}

export async function listTokens(db: Tx, userId: number): Promise<TokenInfo[]> {
  const rows = await db
    .selectFrom('tokens')
    .select(['id', 'description', 'scope', 'created_at', 'last_used_at', 'expires_at'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(toInfo);
}

/** Revokes one of the user's tokens; returns its hash so caches can forget it. */
export async function revokeToken(db: Tx, userId: number, tokenId: string): Promise<string> {
  if (!/^[0-9a-f-]{36}$/.test(tokenId)) throw appError('TOKEN_NOT_FOUND');
  const row = await db
    .updateTable('tokens')
    .set({ revoked_at: new Date() })
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning('hash')
    .executeTakeFirst();
  if (!row) throw appError('TOKEN_NOT_FOUND');
  return row.hash;
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
export async function authenticateToken(db: Tx, token: string): Promise<AuthenticatedToken> {
  if (!isWellFormedToken(token)) throw invalidToken('The token is malformed.');
  const hash = hashToken(token);
  const row = await db
    .selectFrom('tokens')
    .innerJoin('users', 'users.id', 'tokens.user_id')
    .select([
      'tokens.id',
      'tokens.hash',
      'tokens.scope',
      'tokens.expires_at',
      'tokens.revoked_at',
      'tokens.last_used_at',
      'users.id as user_id',
      'users.name',
    ])
    .where('tokens.hash', '=', hash)
    .executeTakeFirst();
  // The index lookup finds the row; the constant-time comparison keeps the final check free of timing leaks.
  if (!row || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) throw invalidToken('The token is unknown.');
  if (row.revoked_at) throw invalidToken('The token has been revoked.');
  if (row.expires_at && row.expires_at.getTime() <= Date.now()) throw invalidToken('The token has expired.');
  return {
    principal: { userId: row.user_id, username: row.name, scope: row.scope, tokenId: row.id },
    hash,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}

export async function touchToken(db: Tx, tokenId: string): Promise<void> {
  await db.updateTable('tokens').set({ last_used_at: new Date() }).where('id', '=', tokenId).execute();
}

function invalidToken(message: string) {
  return appError('INVALID_TOKEN', message, {
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    hint: 'Create a new token on the website or with `npm run admin -- token create <user>`.',
  });
}
