/** The last (name, id) of a name-sorted page: the keyset after which the next page starts. */
export interface NameKey {
  name: string;
  id: number;
}

/** One page of a name-sorted list: rows whose (name, id) sorts after `after`, at most `limit`. */
export interface NamePageQuery {
  after: NameKey | undefined;
  limit: number;
}

/** A namespace as the name-sorted lists give it (`host` null: this registry). */
export interface NamespaceKey extends NameKey {
  host: string | null;
}

/**
 * Members of namespaces and maintainer namespaces of packages (pending invitations are rows with
 * `accepted: false`). Inserts are `ON CONFLICT DO NOTHING`, so concurrent invites never fail.
 */
export interface TeamRepository {
  /** An accepted (not merely invited) member of the namespace. */
  isAcceptedMember(userId: number, namespaceId: number): Promise<boolean>;
  /** An accepted member of an accepted maintainer namespace of the package. */
  isMaintainer(userId: number, packageId: number): Promise<boolean>;
  /** Of these packages, those the user is an accepted member of an accepted maintainer namespace of. */
  listMaintainedAmong(userId: number, packageIds: readonly number[]): Promise<number[]>;

  /** Locks the namespace row until the transaction ends: serialises its membership changes. */
  lockNamespace(namespaceId: number): Promise<void>;
  /** A user's membership of a namespace: accepted, pending (`accepted: false`) or undefined. */
  findMembership(namespaceId: number, userId: number): Promise<{ accepted: boolean } | undefined>;
  /** Inserts a membership unless one exists; answers whether it inserted. */
  addMember(namespaceId: number, userId: number, membership: { accepted: boolean; invitedBy: number | null }): Promise<boolean>;
  /** Turns a pending membership into an accepted one; answers whether there was one pending. */
  acceptMembership(namespaceId: number, userId: number, now: Date): Promise<boolean>;
  removeMember(namespaceId: number, userId: number): Promise<void>;
  countAcceptedMembers(namespaceId: number): Promise<number>;
  /** Accepted members of a namespace, by username: the user's id and name. */
  listMembers(namespaceId: number, page: NamePageQuery): Promise<NameKey[]>;
  /** Namespaces a user belongs to (`accepted`) or is invited to, by name. */
  listMemberships(userId: number, accepted: boolean, page: NamePageQuery): Promise<NamespaceKey[]>;

  /** Locks the package row until the transaction ends: serialises its maintainer changes. */
  lockPackage(packageId: number): Promise<void>;
  findMaintainership(packageId: number, namespaceId: number): Promise<{ accepted: boolean } | undefined>;
  /** Inserts a pending maintainership unless one exists; answers whether it inserted. */
  inviteMaintainer(packageId: number, namespaceId: number): Promise<boolean>;
  /** Turns a pending maintainership into an accepted one; answers whether there was one pending. */
  acceptMaintainership(packageId: number, namespaceId: number, now: Date): Promise<boolean>;
  removeMaintainer(packageId: number, namespaceId: number): Promise<void>;
  countAcceptedMaintainers(packageId: number): Promise<number>;
  /** Maintainer namespaces of a package (`accepted`) or the invited ones, by name. */
  listMaintainers(packageId: number, accepted: boolean, page: NamePageQuery): Promise<NamespaceKey[]>;
  /** Users who are accepted members of an accepted maintainer namespace of the package, by name (at most `limit`). */
  listMaintainerUsers(packageId: number, limit: number): Promise<string[]>;
}
