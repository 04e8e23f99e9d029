import type { StoredPackageName } from './downloads.ts';

/** What the indexer reads to build a package's search document (one query in the repository). */
export interface SearchSourceRow {
  packageId: number;
  namespace: string;
  /** stored namespace host: null for this registry's own */
  host: string | null;
  name: string;
  /** the package is yanked (abandoned or unpublished): it leaves the index */
  yanked: boolean;
  modifiedAt: Date;
  /** the version `latest` points at, when it exists and is not yanked */
  latest:
    | {
        version: string;
        createdAt: Date;
        files: Record<string, string>;
        derivedFiles: Record<string, string>;
        /** the recorded npm tarball's package.json fields (null until one is recorded) */
        manifest: Record<string, unknown> | null;
      }
    | undefined;
  /** accepted maintainer namespaces, by name */
  maintainers: string[];
}

/** A package's search document, as the indexer writes it. */
export interface SearchDocument {
  packageId: number;
  npmName: string;
  namespace: string;
  host: string | null;
  name: string;
  version: string;
  description: string;
  keywords: string[];
  maintainers: string[];
  /** plain text of the README (bounded) */
  readme: string;
  publishedAt: Date;
  /** the package's modified_at the document was made from (the backfill re-indexes older ones) */
  sourceModifiedAt: Date;
}

export interface SearchQuery {
  /** normalised, lower-case, non-empty, bounded */
  text: string;
  limit: number;
  offset: number;
}

export interface SearchHit {
  packageId: number;
  /** the package or its namespace is private: shown only to those who may read it */
  private: boolean;
  npmName: string;
  namespace: string;
  host: string | null;
  name: string;
  version: string;
  description: string;
  keywords: string[];
  maintainers: string[];
  publishedAt: Date;
  downloads: number;
  /** 3 exact name, 2 name prefix, 1 anything else that matched */
  nameTier: number;
  /** full-text rank plus name similarity */
  relevance: number;
}

export interface SearchResult {
  total: number;
  hits: SearchHit[];
}

/** The search index (package_search): full text over names, description, keywords and README, trigram names. */
export interface SearchRepository {
  findSource(packageId: number): Promise<SearchSourceRow | undefined>;
  save(document: SearchDocument): Promise<void>;
  remove(packageId: number): Promise<void>;
  /**
   * Ranked: exact name, then name prefix, then relevance (text rank + name similarity), then
   * downloads. Typos: a first page that full text and prefixes do not fill is completed with
   * names trigram-similar to the text.
   */
  search(query: SearchQuery): Promise<SearchResult>;
  /**
   * Popularity: sets each named package's `downloads` to its download count since `sinceDay`
   * (`YYYY-MM-DD`, UTC). The download counter calls it for the packages of each flush.
   */
  refreshPopularity(packages: readonly StoredPackageName[], sinceDay: string): Promise<void>;
  /** Packages whose document is missing or older than the package (id above `afterId`, in id order). */
  listStale(afterId: number, limit: number): Promise<number[]>;
}
