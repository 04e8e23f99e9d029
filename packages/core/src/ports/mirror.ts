/** An upstream packument cached by the `legacy` read-through mirror. */
export interface UpstreamPackumentRow {
  body: string;
  etag: string | null;
  fetched_at: Date;
}

export interface NewUpstreamPackument {
  name: string;
  body: string;
  etag: string | null;
  fetchedAt: Date;
}

/** What the `legacy` mirror keeps: the upstream packuments it read, by npm name. */
export interface MirrorRepository {
  findUpstreamPackument(name: string): Promise<UpstreamPackumentRow | undefined>;
  /** The names with a cached packument (the mirror keeps them in memory, so a first fetch costs no lookup). */
  listUpstreamPackumentNames(): Promise<string[]>;
  /** Inserts or replaces the cached packument of `name`. */
  putUpstreamPackument(packument: NewUpstreamPackument): Promise<void>;
  /** Marks the cached packument fresh (a `304` from the upstream); answers its body, or undefined when none is cached. */
  touchUpstreamPackument(name: string, fetchedAt: Date): Promise<string | undefined>;
  /** False when nothing was cached for `name`. */
  deleteUpstreamPackument(name: string): Promise<boolean>;
}
