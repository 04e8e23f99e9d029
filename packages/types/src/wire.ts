/** Shapes on the wire (API.md §4, §5). */
export type DependencyMap = Record<string, string>;

/** A host's signature of one statement (docs/federation.md); the same shape as npm's `dist.signatures`. */
export interface HostSignature {
  keyid: string;
  /** base64 of the DER ECDSA P-256 signature of the statement's SHA-256 */
  sig: string;
}

export interface PackageDocument {
  name: string;
  owner: string;
  yanked: boolean;
  require_tfa: boolean;
  created: string;
  modified: string;
  versions: Record<string, string>;
  tags: Record<string, string>;
  /** the versions of `versions` that are deprecated (npm deprecate), with the maintainer's message; absent when none is */
  deprecated?: Record<string, string>;
  /** the host's signatures of the package statement (`packageStatement`): served by the package route */
  hostSignatures?: HostSignature[];
}

export interface VersionDocument {
  name: string;
  version: string;
  integrity: string;
  yanked: boolean;
  /** npm's deprecation message, when the version is deprecated */
  deprecated?: string;
  files: Record<string, string>;
  derivedFiles: Record<string, string>;
  dependencies: DependencyMap;
  devDependencies: DependencyMap;
  peerDependencies: DependencyMap;
  optionalDependencies: DependencyMap;
  bundledDependencies: DependencyMap;
  signatures: string[];
  created: string;
  modified: string;
  /** the host's signatures of the version statement (`versionStatement`): served by the version route */
  hostSignatures?: HostSignature[];
}

export interface Page<T> {
  objects: T[];
  next: string | null;
}

export interface ErrorBody {
  message: string;
  code: string;
  hint?: string;
  /** on the npm protocol's routes only: the message again, where the npm CLI prints it */
  error?: string;
}

/** `POST /objects/batch` (docs/objects-batch.md): at most this many integrities per request. */
export const MAX_BATCH_OBJECTS = 1000;
/** Its answer's media type: per object asked, `<integrity> <size>\n<size bytes>`, or `<integrity> -\n` when missing. */
export const OBJECTS_BATCH_TYPE = 'application/vnd.entropic.objects';
