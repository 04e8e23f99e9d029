import { appError, type Page } from '@entropic/types';
import type { NameKey, NamePageQuery } from './ports/teams.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function pageLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE;
  if (!/^\d+$/.test(raw)) throw appError('INVALID_LIMIT', `"limit" must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  const value = Number(raw);
  if (value < 1 || value > MAX_PAGE_SIZE) throw appError('INVALID_LIMIT', `"limit" must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  return value;
}

/** Opaque keyset cursors: base64url of the last id seen. */
export function encodeCursor(id: number): string {
  return Buffer.from(`c1:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^c1:(\d{1,15})$/.exec(decoded);
  if (!match) throw appError('INVALID_CURSOR');
  return Number(match[1]);
}

/**
 * Keyset cursors for lists sorted by name: opaque base64url of the last (name, id) seen. The id
 * breaks ties, so a page boundary never skips or repeats a row.
 */
export function encodeNameCursor(key: NameKey): string {
  return Buffer.from(`k1:${key.id}:${key.name}`).toString('base64url');
}

export function decodeNameCursor(cursor: string): NameKey {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^k1:(\d{1,15}):([a-z0-9-]{1,64})$/.exec(decoded);
  if (!match) throw appError('INVALID_CURSOR');
  return { id: Number(match[1]), name: match[2] as string };
}

/** The repository query for one name-sorted page: one row more than the page, to know if there is more. */
export function namePageQuery(options: { limit?: string | undefined; cursor?: string | undefined }): NamePageQuery & { pageSize: number } {
  const pageSize = pageLimit(options.limit);
  const after = options.cursor ? decodeNameCursor(options.cursor) : undefined;
  return { after, limit: pageSize + 1, pageSize };
}

/** A page of a name-sorted list fetched with `pageSize + 1` rows (the extra row says there is more). */
export function namePage<R extends NameKey>(rows: R[], pageSize: number, render: (row: R) => string): Page<string> {
  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  return { objects: page.map(render), next: rows.length > pageSize && last ? encodeNameCursor(last) : null };
}
