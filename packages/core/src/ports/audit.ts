/** One security-relevant event: who did what, when, from where. */
export interface AuditEntry {
  id: string;
  at: Date;
  /** the user who acted; undefined for a failed sign-in of an unknown name or the registry itself */
  actorId: number | undefined;
  /** the user's name (or the name tried, for a failed sign-in) */
  actor: string;
  action: AuditAction;
  /** the namespace the event is about (its owners see it), without host: this registry's own */
  namespace: string | undefined;
  /** the package, as `ns@host/name`, when the event is about one */
  package: string | undefined;
  /** the client address (behind TRUST_PROXY, the forwarded one) */
  address: string | undefined;
  details: Record<string, unknown>;
}

export type AuditAction =
  | 'sign-in'
  | 'sign-in-failed'
  | 'second-factor-enabled'
  | 'second-factor-disabled'
  | 'second-factor-failed'
  | 'recovery-code-used'
  | 'passkey-added'
  | 'passkey-removed'
  | 'namespace-second-factor'
  | 'token-created'
  | 'token-revoked'
  | 'publish'
  | 'yank'
  | 'unyank'
  | 'deprecate'
  | 'tag-set'
  | 'tag-removed'
  | 'package-abandoned'
  | 'member-invited'
  | 'member-removed'
  | 'membership-accepted'
  | 'membership-declined'
  | 'maintainer-invited'
  | 'maintainer-removed'
  | 'maintainership-accepted'
  | 'maintainership-declined'
  | 'organisation-created'
  | 'trusted-publisher-added'
  | 'trusted-publisher-removed'
  | 'trusted-publisher-exchange'
  | 'advisory-published'
  | 'advisory-removed'
  | 'namespace-release-age';

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at: Date };

export interface AuditPageQuery {
  /** entries with an id below this one (keyset pagination, newest first) */
  before?: string;
  limit: number;
}

/** Append-only: nothing here changes or removes an entry except `prune` (retention). */
export interface AuditRepository {
  append(entry: NewAuditEntry): Promise<void>;
  /** What the user did, newest first. */
  listByActor(actorId: number, page: AuditPageQuery): Promise<AuditEntry[]>;
  /** What happened in a namespace (local), newest first. */
  listByNamespace(namespace: string, page: AuditPageQuery): Promise<AuditEntry[]>;
  /** Deletes entries older than `before`; answers how many. */
  prune(before: Date): Promise<number>;
}
