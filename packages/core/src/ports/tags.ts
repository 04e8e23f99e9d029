export interface TagRepository {
  /** Every tag of the package, ordered by tag. */
  list(packageId: number): Promise<Array<{ tag: string; version: string }>>;
  /** Points the tag at the version, creating it if need be. */
  set(packageId: number, tag: string, version: string, now: Date): Promise<void>;
  /** Creates the tag (it must not exist). */
  insert(packageId: number, tag: string, version: string, now: Date): Promise<void>;
  /** False when the package had no such tag. */
  remove(packageId: number, tag: string): Promise<boolean>;
  /** Removes every tag pointing at the version; answers the tags removed. */
  removeForVersion(packageId: number, version: string): Promise<string[]>;
  removeAll(packageId: number): Promise<void>;
}
