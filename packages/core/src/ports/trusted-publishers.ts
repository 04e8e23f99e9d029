/**
 * Trusted publishing (issue 10.2): the CI identities allowed to publish a package, and the
 * identity a version was published by. Provenance (issue 10.3): the Sigstore bundles stored
 * with a version.
 */

/** The CI identity a trusted-publishing token was exchanged for: what a version published with it records. */
export interface TrustedIdentity {
  /** the trusted publisher (the package's configuration) that matched */
  publisherId: string;
  /** the OpenID Connect issuer (`iss`) */
  issuer: string;
  /** the identifying claims of the OIDC token (sub, repository, workflow_ref, ref, sha, run_id…), strings only */
  claims: Record<string, string>;
}

export interface TrustedPublisherRow {
  id: string;
  package_id: number;
  issuer: string;
  /** claims the OIDC token must carry with exactly these values */
  claims: Record<string, string>;
  created_by: number;
  /** the username of `created_by` */
  created_by_name: string;
  created_at: Date;
}

export interface NewTrustedPublisher {
  packageId: number;
  issuer: string;
  claims: Record<string, string>;
  createdBy: number;
}

export interface TrustedPublisherRepository {
  insert(publisher: NewTrustedPublisher): Promise<TrustedPublisherRow>;
  /** The package's trusted publishers, oldest first. */
  listByPackage(packageId: number): Promise<TrustedPublisherRow[]>;
  /**
   * Deletes one of the package's trusted publishers and the tokens exchanged for it; answers the
   * hashes of those tokens (the caches must forget them), or undefined when there is no such publisher.
   */
  remove(packageId: number, id: string): Promise<string[] | undefined>;
}

/** What was checked of a stored Sigstore bundle (docs/decisions/provenance.md). */
export interface AttestationVerification {
  /** the bundle parsed as a Sigstore bundle, its in-toto subject is the package at this version with the tarball's sha512 */
  subject: true;
  /** the DSSE signature verifies with the key of the bundle's signing certificate */
  signature: boolean;
  /** the certificate chains to the Sigstore public-good Fulcio and the transparency-log entry verifies (the trusted root shipped with the registry) */
  sigstore: boolean;
  /** the certificate's identity (Fulcio's SAN: the workflow URI or e-mail), when there is a certificate */
  identity?: string;
  /** the certificate's OIDC issuer extension, when present */
  issuer?: string;
  /** why `sigstore` is false, bounded */
  reason?: string;
}

export interface NewAttestation {
  predicateType: string;
  /** the bundle's JSON as stored in the blob store */
  bundleIntegrity: string;
  verification: AttestationVerification;
}

export interface AttestationRow {
  version_id: number;
  predicate_type: string;
  bundle_integrity: string;
  verification: AttestationVerification;
}

export interface AttestationRepository {
  insert(versionId: number, attestations: readonly NewAttestation[]): Promise<void>;
  listByVersion(versionId: number): Promise<AttestationRow[]>;
  /** Every attestation of the package's versions. */
  listByPackage(packageId: number): Promise<AttestationRow[]>;
}
