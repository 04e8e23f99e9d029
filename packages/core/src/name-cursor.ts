import { appError } from '@entropic/types';

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
