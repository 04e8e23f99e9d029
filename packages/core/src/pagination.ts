import { appError } from '@entropic/types';

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
