import { appError, type Page } from '@entropic/types';
import { type RawBuilder, type SqlBool, sql } from 'kysely';

/**
 * Keyset cursors for lists sorted by name: opaque base64url of the last (name, id) seen. The id
 * breaks ties, so a page boundary never skips or repeats a row.
 */
export interface NameKey {
  name: string;
  id: number;
}

export function encodeNameCursor(key: NameKey): string {
  return Buffer.from(`k1:${key.id}:${key.name}`).toString('base64url');
}

export function decodeNameCursor(cursor: string): NameKey {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^k1:(\d{1,15}):([a-z0-9-]{1,64})$/.exec(decoded);
  if (!match) throw appError('INVALID_CURSOR');
  return { id: Number(match[1]), name: match[2] as string };
}

/** `?status=` on the team lists: accepted (the default) or pending. */
export type MembershipStatus = 'accepted' | 'pending';

export function parseMembershipStatus(raw: string | undefined): MembershipStatus {
  if (raw === undefined || raw === '' || raw === 'accepted') return 'accepted';
  if (raw === 'pending') return 'pending';
  throw appError('INVALID_STATUS', '"status" must be "accepted" or "pending".');
}

/** `(name, id) > (after.name, after.id)`: the keyset condition for the page after a cursor. */
export function nameAfter(after: NameKey, nameColumn: string, idColumn: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.ref(nameColumn)}, ${sql.ref(idColumn)}) > (${after.name}, ${after.id})`;
}

/** A page of a name-sorted query fetched with `limit + 1` rows (the extra row says there is more). */
export function namePage<R extends NameKey>(rows: R[], limit: number, render: (row: R) => string): Page<string> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { objects: page.map(render), next: rows.length > limit && last ? encodeNameCursor(last) : null };
}
