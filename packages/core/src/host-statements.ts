import { type HostSignature, type PackageDocument, packageStatement, type VersionDocument, versionStatement } from '@entropic/types';

/**
 * Signing what a host asserts about its packages (issue 15.2). The statements themselves and
 * their verification live in `@entropic/types` (`host-statements.ts`), shared with `ds`.
 */

/** Signs with this host's current key (`HostKeyring.sign`). */
export type SignStatement = (statement: string) => HostSignature[];

export function signPackageDocument(doc: PackageDocument, sign: SignStatement): PackageDocument {
  return { ...doc, hostSignatures: sign(packageStatement(doc)) };
}

export function signVersionDocument(doc: VersionDocument, sign: SignStatement): VersionDocument {
  return { ...doc, hostSignatures: sign(versionStatement(doc)) };
}
