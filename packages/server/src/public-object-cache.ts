import { type CoreDeps, type ObjectAccess, objectAccess, type Principal, type ReadablePackage } from '@entropic/core';
import { LRUCache } from 'lru-cache';
import { type CacheStats, NO_CACHE_STATS } from './metrics.ts';

const CHANNEL = 'objects-visibility-changed';
/** the broadcast messages: every verdict, or only the private objects' references */
const ALL = '1';
const REFERENCES = 'references';

/**
 * Who may read an object (docs/decisions/private-objects.md), with the one verdict that is safe
 * to remember: "a public package references it". Objects are immutable and versions are never
 * deleted, so that verdict only changes when a package or namespace is made private; every such
 * change (`visibility-changed`, emitted before the change answers) empties the cache here and,
 * through the key-value store's broadcast, in every other process. A lookup that started before
 * a change does not store its answer (the generation), and entries live 60 s at most, which
 * bounds a lost broadcast. Unreferenced, private and denied verdicts are never cached: a private
 * publish may reference an unreferenced object at any moment, and grants change per reader.
 *
 * For an object only private packages reference, the packages are remembered (docs/decisions/
 * grant-cache.md), and the reader's grants come from the grant cache, so a member's read asks the
 * database nothing. References only grow (versions are never deleted), so a remembered list can
 * only lack a package (a version published since, `version-published`) or call one private that
 * was made public since (`visibility-changed`): both drop it here and broadcast, and until a lost
 * broadcast's 60 s pass it can only refuse a read it should allow, never allow one.
 */
export class PublicObjectCache {
  private readonly cache = new LRUCache<string, true>({ max: 200_000, ttl: 60_000 });
  /** objects only private packages reference: those packages */
  private readonly privateReferences = new LRUCache<string, readonly ReadablePackage[]>({ max: 50_000, ttl: 60_000 });
  private generation = 0;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly deps: CoreDeps,
    private readonly stats: CacheStats = NO_CACHE_STATS,
    private readonly privateStats: CacheStats = NO_CACHE_STATS,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.kv.subscribe(CHANNEL, (message) => {
      if (message === REFERENCES) this.forgetReferences();
      else this.forgetAll();
    });
  }

  async access(principal: Principal | undefined, integrity: string): Promise<ObjectAccess> {
    if (this.cache.get(integrity)) {
      this.stats.hit();
      return 'public';
    }
    this.stats.miss();
    const { repos, grants } = this.deps;
    const remembered = this.privateReferences.get(integrity);
    if (remembered) {
      this.privateStats.hit();
      return objectAccess(repos, principal, remembered, grants);
    }
    this.privateStats.miss();
    const generation = this.generation;
    const referencing = await repos.objects.listReferencingPackages(integrity);
    const access = await objectAccess(repos, principal, referencing, grants);
    if (generation === this.generation) {
      if (access === 'public') this.cache.set(integrity, true);
      else if (referencing.length > 0) this.privateReferences.set(integrity, referencing);
    }
    return access;
  }

  /**
   * `access` for many objects (a batch read): the verdicts in the order asked, with one database
   * query for all the objects no cached verdict covers, instead of one per object.
   */
  async accessMany(principal: Principal | undefined, integrities: readonly string[]): Promise<ObjectAccess[]> {
    const { repos, grants } = this.deps;
    const verdicts: Array<Promise<ObjectAccess> | ObjectAccess> = [];
    const unknown: number[] = [];
    for (const [i, integrity] of integrities.entries()) {
      if (this.cache.get(integrity)) {
        this.stats.hit();
        verdicts.push('public');
        continue;
      }
      this.stats.miss();
      const remembered = this.privateReferences.get(integrity);
      if (remembered) this.privateStats.hit();
      else this.privateStats.miss();
      verdicts.push(remembered ? objectAccess(repos, principal, remembered, grants) : 'unreferenced');
      if (!remembered) unknown.push(i);
    }
    if (unknown.length > 0) {
      const generation = this.generation;
      const referencing = await repos.objects.listReferencingPackagesOfMany(unknown.map((i) => integrities[i] as string));
      for (const i of unknown) {
        const integrity = integrities[i] as string;
        const packages = referencing.get(integrity) ?? [];
        const access = await objectAccess(repos, principal, packages, grants);
        verdicts[i] = access;
        if (generation !== this.generation) continue;
        if (access === 'public') this.cache.set(integrity, true);
        else if (packages.length > 0) this.privateReferences.set(integrity, packages);
      }
    }
    return Promise.all(verdicts);
  }

  private forgetAll(): void {
    this.generation++;
    this.cache.clear();
    this.privateReferences.clear();
  }

  private forgetReferences(): void {
    this.generation++;
    this.privateReferences.clear();
  }

  /** A package or namespace changed visibility here: forget every verdict, here and in the other processes. */
  async visibilityChanged(): Promise<void> {
    this.forgetAll();
    await this.broadcast(ALL);
  }

  /** A version was published here: a private object may have gained a referencing package. */
  async referencesAdded(): Promise<void> {
    this.forgetReferences();
    await this.broadcast(REFERENCES);
  }

  private async broadcast(message: string): Promise<void> {
    try {
      await this.deps.kv.publish(CHANNEL, message);
    } catch {
      // The 60 s lifetime bounds how long another process may still serve a verdict from before.
    }
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }
}
