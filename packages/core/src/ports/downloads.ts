/** A package by name, as stored: `host` is null for this registry's own namespaces. */
export interface StoredPackageName {
  namespace: string;
  host: string | null;
  name: string;
}

/** Downloads of one version on one day (UTC, `YYYY-MM-DD`). */
export interface DownloadCount extends StoredPackageName {
  version: string;
  day: string;
  count: number;
}

/** A package's downloads over a period, with the latest version published, for listings. */
export interface PackageDownloads extends StoredPackageName {
  downloads: number;
}

export interface DownloadRepository {
  /**
   * Adds each count to the stored one (`count = count + excluded.count`): flushes from several
   * processes, or twice of the same row, sum; nothing is ever overwritten.
   */
  add(counts: readonly DownloadCount[]): Promise<void>;
  /** A package's downloads per day over [start, end] (days without downloads are absent), by day. */
  listDaily(pkg: StoredPackageName, start: string, end: string): Promise<Array<{ day: string; downloads: number }>>;
  /** A package's downloads per version over [start, end]. */
  listByVersion(pkg: StoredPackageName, start: string, end: string): Promise<Array<{ version: string; downloads: number }>>;
  /** The public packages downloaded most over [start, end], most first (ties by name). */
  listTop(start: string, end: string, limit: number): Promise<PackageDownloads[]>;
}
