/** One version and every blob it references, for fsck. */
export interface VersionBlobsRow {
  id: number;
  version: string;
  integrity: string;
  files: Record<string, string>;
  derived_files: Record<string, string>;
  /** package name */
  name: string;
  /** namespace name */
  ns: string;
  /** stored namespace host: null for this registry's own */
  host: string | null;
}

/** Which blobs the database references (version documents, files, derived files, npm tarballs). */
export interface ObjectReferenceRepository {
  referencedIntegrities(): Promise<Set<string>>;
  isReferenced(integrity: string): Promise<boolean>;
  /** Versions with an id above `afterId`, in id order, at most `limit`. */
  listVersionBlobs(afterId: number, limit: number): Promise<VersionBlobsRow[]>;
  /** The packages that reference the object (object_references), each with its effective private flag. */
  listReferencingPackages(integrity: string): Promise<Array<{ id: number; private: boolean }>>;
  /** The same for many objects in one query: every integrity asked is a key (an empty list when nothing references it). */
  listReferencingPackagesOfMany(integrities: readonly string[]): Promise<Map<string, Array<{ id: number; private: boolean }>>>;
}
