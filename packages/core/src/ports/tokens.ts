import type { TrustedIdentity } from './trusted-publishers.ts';

export type TokenScope = 'read' | 'publish';

/**
 * What a granular token is limited to (issue 9.3). Empty lists mean "no limit": a token with
 * neither namespaces nor packages covers everything its user may do.
 */
export interface TokenLimits {
  /** names of this registry's namespaces: every package in them */
  namespaces: string[];
  /** `namespace/name` of this registry's packages */
  packages: string[];
  /** IPv4/IPv6 CIDR blocks the token may be used from */
  cidrs: string[];
  /** a CI token: skips the interactive second factor (issue 10), nothing else */
  automation: boolean;
}

/** A token as its owner sees it (never the hash). */
export interface TokenRow extends TokenLimits {
  id: string;
  description: string;
  scope: TokenScope;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}

/** What authenticating a bearer token needs: the token, its state and its user. */
export interface TokenCredentialRow extends TokenLimits {
  id: string;
  hash: string;
  scope: TokenScope;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  user_id: number;
  name: string;
  /** a trusted-publishing token: the CI identity it was exchanged for (null: an ordinary token) */
  trusted_identity: TrustedIdentity | null;
}

export interface NewToken extends TokenLimits {
  userId: number;
  /** sha256 (base64) of the token: the plain value is never stored */
  hash: string;
  /** the first characters of the token, for listings */
  prefix: string;
  description: string;
  scope: TokenScope;
  expiresAt: Date | null;
  /** a trusted-publishing token: the identity it was exchanged for (owners' listings leave these out) */
  trustedIdentity?: TrustedIdentity;
}

export interface TokenRepository {
  insert(token: NewToken): Promise<TokenRow>;
  /** The user's tokens that are not revoked (expired ones included), newest first; trusted-publishing tokens left out. */
  listActive(userId: number): Promise<TokenRow[]>;
  /** Revokes one of the user's live tokens, by id or by hash; answers its hash, or undefined (unknown, another's, already revoked). */
  revoke(userId: number, match: { id: string } | { hash: string }, now: Date): Promise<string | undefined>;
  findByHash(hash: string): Promise<TokenCredentialRow | undefined>;
  touch(tokenId: string, now: Date): Promise<void>;
}
