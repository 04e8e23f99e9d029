export type TokenScope = 'read' | 'publish';

/** A token as its owner sees it (never the hash). */
export interface TokenRow {
  id: string;
  description: string;
  scope: TokenScope;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}

/** What authenticating a bearer token needs: the token, its state and its user. */
export interface TokenCredentialRow {
  id: string;
  hash: string;
  scope: TokenScope;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  user_id: number;
  name: string;
}

export interface NewToken {
  userId: number;
  /** sha256 (base64) of the token: the plain value is never stored */
  hash: string;
  description: string;
  scope: TokenScope;
  expiresAt: Date | null;
}

export interface TokenRepository {
  insert(token: NewToken): Promise<TokenRow>;
  /** The user's tokens that are not revoked (expired ones included), newest first. */
  listActive(userId: number): Promise<TokenRow[]>;
  /** Revokes one of the user's live tokens; answers its hash, or undefined (unknown, another's, already revoked). */
  revoke(userId: number, tokenId: string, now: Date): Promise<string | undefined>;
  findByHash(hash: string): Promise<TokenCredentialRow | undefined>;
  touch(tokenId: string, now: Date): Promise<void>;
}
