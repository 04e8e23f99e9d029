/** A user's authenticator-app (TOTP) second factor. */
export interface SecondFactorRow {
  userId: number;
  /** the base32 secret, sealed with OAUTH_PASSWORD (see sealSecret) */
  totpSecretSealed: string;
  /** undefined while the enrolment waits for its first code */
  enabledAt: Date | undefined;
  /** writes (publish, yank, tags, member changes) need a fresh code */
  forWrites: boolean;
  /** the highest TOTP time step accepted so far: a code is good once */
  lastStep: number;
}

/** A passkey (WebAuthn credential) for website sign-in. */
export interface WebAuthnCredentialRow {
  /** the credential id, base64url */
  id: string;
  userId: number;
  /** the COSE public key, base64url */
  publicKey: string;
  counter: number;
  transports: string[];
  name: string;
  createdAt: Date;
  lastUsedAt: Date | undefined;
}

export interface SecurityRepository {
  findSecondFactor(userId: number): Promise<SecondFactorRow | undefined>;
  /** Starts (or restarts) an enrolment: the secret waits, not enabled, until confirmed. Refused (false) when one is already enabled. */
  startTotp(userId: number, secretSealed: string): Promise<boolean>;
  /** Enables the waiting secret and replaces the recovery codes; `step` is the confirming code's (it may not be used again). */
  enableTotp(userId: number, input: { now: Date; step: number; forWrites: boolean; recoveryCodeHashes: string[] }): Promise<boolean>;
  /** Removes the second factor and its recovery codes. */
  disableTotp(userId: number): Promise<void>;
  setTotpForWrites(userId: number, forWrites: boolean): Promise<void>;
  /** Records `step` as used when it is above the last one used (atomic): false for a replay. */
  consumeTotpStep(userId: number, step: number): Promise<boolean>;
  /** Spends a recovery code once: false when unknown or already used. */
  consumeRecoveryCode(userId: number, hash: string, now: Date): Promise<boolean>;
  countUnusedRecoveryCodes(userId: number): Promise<number>;
  namespaceRequiresSecondFactor(namespaceId: number): Promise<boolean>;
  setNamespaceRequiresSecondFactor(namespaceId: number, required: boolean): Promise<void>;
  listPasskeys(userId: number): Promise<WebAuthnCredentialRow[]>;
  findPasskey(id: string): Promise<WebAuthnCredentialRow | undefined>;
  addPasskey(credential: Omit<WebAuthnCredentialRow, 'createdAt' | 'lastUsedAt'>): Promise<void>;
  /**
   * Records a sign-in with the passkey: its new signature counter and the time, only if the stored
   * counter is still `previous` (compare-and-set): false when another sign-in got there first.
   */
  usePasskey(id: string, counter: { previous: number; next: number }, now: Date): Promise<boolean>;
  deletePasskey(userId: number, id: string): Promise<boolean>;
}
