/** Who a provider says signed in. `subject` is the provider's immutable account id. */
export interface ExternalIdentity {
  /** 'github' or 'oidc:<issuer>' */
  provider: string;
  subject: string;
  username: string | null;
  email: string | null;
  /** the provider's access token, already sealed (see sealSecret) */
  accessTokenSealed: string | null;
}

/** A user as the website and the session know it. */
export interface AccountUser {
  id: number;
  name: string;
}

export interface UserRow {
  id: number;
  name: string;
  email: string | null;
  password_hash: string | null;
  created_at: Date;
}

export interface NewUser {
  name: string;
  email: string | null;
  passwordHash: string | null;
}

/** A user created with its namespace of the same name, or which unique constraint refused it. */
export type CreateUserOutcome =
  | { outcome: 'created'; user: AccountUser & { namespaceId: number } }
  | { outcome: 'taken'; constraint: string };

export interface UserRepository {
  findById(id: number): Promise<AccountUser | undefined>;
  findByName(name: string): Promise<UserRow | undefined>;
  /**
   * Inserts the user, a user namespace of the same name and its accepted membership. A unique
   * violation (name taken as a user or a namespace, email used) answers `taken` with the
   * constraint's name; the caller's transaction must then end (PostgreSQL aborted it).
   */
  createWithNamespace(user: NewUser): Promise<CreateUserOutcome>;
  /**
   * Records the latest profile and access token of a known identity; answers its user id, or
   * undefined when no user has this identity yet.
   */
  updateIdentity(identity: ExternalIdentity, now: Date): Promise<number | undefined>;
  /** Links an identity to a user; `taken` when (provider, subject) already belongs to someone. */
  insertIdentity(userId: number, identity: ExternalIdentity): Promise<'linked' | 'taken'>;
}
