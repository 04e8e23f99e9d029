import { appError } from '@entropic/types';

/** A token's expiry given in whole days (1–3650) from now; absent: none. */
export function expiryOf(days: unknown, field: string): Date | null {
  if (days === undefined || days === null) return null;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 3650) {
    throw appError('INVALID_FIELD', `"${field}" must be a whole number from 1 to 3650.`);
  }
  return new Date(Date.now() + days * 86_400_000);
}

/** An optional list of strings (a single string is a list of one). */
export function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw appError('INVALID_FIELD', `"${field}" must be a list of strings.`);
  }
  return list;
}

export function booleanField(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw appError('INVALID_FIELD', `"${field}" must be true or false.`);
  return value;
}
