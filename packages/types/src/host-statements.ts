import { createHash, createPublicKey, verify } from 'node:crypto';
import type { HostSignature, PackageDocument, VersionDocument } from './wire.ts';

/**
 * What a host asserts about its packages (issue 15.2), as the exact bytes it signs, and how anyone
 * holding the host's keys checks it: the registry (`core`) and `ds` share this module. A statement
 * is a type line and the canonical JSON (keys sorted by UTF-16 code unit, no whitespace) of the
 * fields it covers, taken from the document it is served with.
 *
 * - package: name (with its host), owner (`abandonware@…` once abandoned), yanked (abandoned),
 *   versions (version → integrity of the canonical version document, yanked ones left out: a
 *   yank), tags, and `modified`, so an older statement cannot pass for a newer one.
 * - version: name, version, integrity and yanked.
 */

/** A public key of a host, in the shape of npm's `GET /-/npm/v1/keys` (plus when it starts signing). */
export interface PublicHostKey {
  keyid: string;
  keytype: 'ecdsa-sha2-nistp256';
  scheme: 'ecdsa-sha2-nistp256';
  /** base64 of the SubjectPublicKeyInfo DER */
  key: string;
  /** ISO time the key signs from */
  notBefore: string;
  /** ISO time after which its signatures are not valid; null: no end */
  expires: string | null;
}

/** npm's key id: `SHA256:` and the unpadded base64 of the sha256 of the SPKI DER. */
export function hostKeyId(spkiDer: Buffer): string {
  return `SHA256:${createHash('sha256').update(spkiDer).digest('base64').replace(/=+$/, '')}`;
}

/** Whether `signature` of `message` verifies with one of `keys` (by key id) valid at `at`. */
export function verifyHostSignature(keys: readonly PublicHostKey[], message: string, signature: HostSignature, at: Date): boolean {
  const key = keys.find((candidate) => candidate.keyid === signature.keyid);
  if (!key || key.keytype !== 'ecdsa-sha2-nistp256') return false;
  if (key.expires !== null && at.getTime() >= Date.parse(key.expires)) return false;
  try {
    const publicKey = createPublicKey({ key: Buffer.from(key.key, 'base64'), format: 'der', type: 'spki' });
    if (hostKeyId(publicKey.export({ type: 'spki', format: 'der' })) !== key.keyid) return false;
    return verify('sha256', Buffer.from(message), publicKey, Buffer.from(signature.sig, 'base64'));
  } catch {
    return false;
  }
}

export function packageStatement(doc: PackageDocument): string {
  const { name, owner, yanked, versions, tags, modified } = doc;
  return `entropic-package-v1\n${canonicalJson({ name, owner, yanked, versions, tags, modified })}`;
}

export function versionStatement(doc: Pick<VersionDocument, 'name' | 'version' | 'integrity' | 'yanked'>): string {
  const { name, version, integrity, yanked } = doc;
  return `entropic-version-v1\n${canonicalJson({ name, version, integrity, yanked })}`;
}

/**
 * Whether one of the document's host signatures verifies with `keys`, for a key valid when the
 * document says it was last changed (`modified`): a key rotated out later still vouches for it.
 */
export function verifyStatement(
  statement: string,
  signatures: readonly HostSignature[] | undefined,
  keys: readonly PublicHostKey[],
  at: Date,
): boolean {
  return (signatures ?? []).some((signature) => verifyHostSignature(keys, statement, signature, at));
}

/** JSON with object keys sorted by UTF-16 code unit at every level, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
