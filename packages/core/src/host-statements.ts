import type { HostSignature, PackageDocument, VersionDocument } from '@entropic/types';
import { type PublicHostKey, verifyHostSignature } from './host-keyring.ts';

/**
 * What a host asserts about its packages (issue 15.2), as the exact bytes it signs. A statement is
 * a type line and the canonical JSON (keys sorted by UTF-16 code unit, no whitespace) of the
 * fields it covers, taken from the document it is served with, so anyone holding the host's keys
 * checks a document without another request.
 *
 * - package: name (with its host), owner (`abandonware@…` once abandoned), yanked (abandoned),
 *   versions (version → integrity of the canonical version document, yanked ones left out: a
 *   yank), tags, and `modified`, so an older statement cannot pass for a newer one.
 * - version: name, version, integrity and yanked.
 */
export function packageStatement(doc: PackageDocument): string {
  const { name, owner, yanked, versions, tags, modified } = doc;
  return `entropic-package-v1\n${canonicalJson({ name, owner, yanked, versions, tags, modified })}`;
}

export function versionStatement(doc: Pick<VersionDocument, 'name' | 'version' | 'integrity' | 'yanked'>): string {
  const { name, version, integrity, yanked } = doc;
  return `entropic-version-v1\n${canonicalJson({ name, version, integrity, yanked })}`;
}

/** Signs with this host's current key (`HostKeyring.sign`). */
export type SignStatement = (statement: string) => HostSignature[];

export function signPackageDocument(doc: PackageDocument, sign: SignStatement): PackageDocument {
  return { ...doc, hostSignatures: sign(packageStatement(doc)) };
}

export function signVersionDocument(doc: VersionDocument, sign: SignStatement): VersionDocument {
  return { ...doc, hostSignatures: sign(versionStatement(doc)) };
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
