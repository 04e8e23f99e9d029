/** A signing key of a peer, pinned (docs/federation.md). */
export interface PeerKey {
  keyId: string;
  /** base64 of the SubjectPublicKeyInfo DER */
  publicKey: string;
  notBefore: Date | null;
  expires: Date | null;
}

export interface FederationRepository {
  /** the keys pinned for `host`, oldest first */
  listPeerKeys(host: string): Promise<PeerKey[]>;
  /** pins the keys not pinned yet; a pinned key is never replaced */
  pinPeerKeys(host: string, keys: readonly PeerKey[], now: Date): Promise<void>;
  /** the id of the namespace `name@host` of a remote host, made on first use (kind `system`, read-only here) */
  ensureRemoteNamespace(name: string, host: string): Promise<number>;
  /**
   * Records version → integrity for the versions of a remote package not seen before, and answers
   * the integrity first seen for every version given (concurrent writers: the first insert wins).
   */
  rememberIntegrities(packageId: number, versions: Readonly<Record<string, string>>, now: Date): Promise<Record<string, string>>;
  /** the origin's package document as last verified (JSON, with its signatures) */
  findRemotePackage(packageId: number): Promise<{ document: string; modified: Date } | undefined>;
  /** stores the verified document (replacing the one stored) */
  saveRemotePackage(packageId: number, document: string, modified: Date, now: Date): Promise<void>;
  /** the integrity first seen for a version, if any */
  findIntegrity(packageId: number, version: string): Promise<string | undefined>;
  /** remote packages of `host`, the ones whose origin was asked longest ago first (the scheduled refresh) */
  listStaleRemotePackages(host: string, limit: number): Promise<Array<{ namespace: string; name: string }>>;
  /** records that the origin was asked now (its answer changed nothing) */
  markFetched(packageId: number, now: Date): Promise<void>;
}
