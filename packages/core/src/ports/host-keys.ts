/**
 * One signing key of this host (issue 15.1), as stored: the public key in the clear, the private
 * key sealed with OAUTH_PASSWORD (`sealSecret`). A key signs from `notBefore`; signatures made at
 * or after `expires` are not valid (npm's rule for registry keys).
 */
export interface StoredHostKey {
  /** `SHA256:<unpadded base64 of the sha256 of the SPKI DER>`, npm's key id format */
  keyId: string;
  /** base64 of the SubjectPublicKeyInfo DER (ECDSA P-256) */
  publicKey: string;
  /** the PKCS#8 PEM, sealed */
  sealedPrivateKey: string;
  notBefore: Date;
  expires: Date | null;
}

export interface HostKeyRepository {
  /** every key, oldest first (by `notBefore`, then by when it was stored) */
  list(): Promise<StoredHostKey[]>;
  /**
   * In a transaction: holds off every other caller of `lock` until it commits, so that processes
   * starting at once on one database make one key, not one each.
   */
  lock(): Promise<void>;
  insert(key: StoredHostKey): Promise<void>;
  /** sets `expires` of every key that has none, or a later one, to `at` */
  expireAll(at: Date): Promise<number>;
}
