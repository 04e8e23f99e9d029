import { createHash } from 'node:crypto';
import { ClientError } from './client-error.ts';

const INTEGRITY_RE = /^sha512-[A-Za-z0-9+/]{86}==$/;

export function isSha512Integrity(value: unknown): value is string {
  return typeof value === 'string' && INTEGRITY_RE.test(value);
}

export function computeIntegrity(data: Uint8Array | string): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

/** Throws INTEGRITY_MISMATCH unless `data` hashes to `integrity`. */
export function verifyIntegrity(data: Uint8Array | string, integrity: string, what: string): void {
  const actual = computeIntegrity(data);
  if (actual !== integrity) {
    throw new ClientError('INTEGRITY_MISMATCH', `Integrity check failed for ${what}.`, {
      hint: 'The registry or a proxy served content that does not match its hash; nothing was written. Retry, or report it to the registry operator.',
      details: { expected: integrity, actual },
    });
  }
}
