import { appError, hexToIntegrity, type Integrity, integrityToHex, isIntegrity } from '@entropic/types';

/** The hex sha512 digest of a canonical `sha512-<base64>` integrity; INVALID_DIGEST otherwise. */
export function digestHex(integrity: Integrity | string): string {
  if (typeof integrity !== 'string' || !isIntegrity(integrity)) throw appError('INVALID_DIGEST');
  const hex = integrityToHex(integrity);
  // base64 has several spellings of the last character; only the canonical one names an object
  if (hexToIntegrity(hex) !== integrity) throw appError('INVALID_DIGEST');
  return hex;
}
