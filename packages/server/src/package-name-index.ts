import type { PackageRef, Repositories } from '@entropic/core';
import type { KeyValueStore } from '@entropic/kv';
import type { Host } from '@entropic/types';

const CHANNEL = 'package-names';
const PAGE = 10_000;
/** New rows are read every `SYNC_MS`; every `RECOUNT_MS` the counts prove nothing was missed. */
const SYNC_MS = 2000;
const RECOUNT_MS = 30_000;

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * Which packages and namespaces exist on this registry's own host, in memory, so an unknown
 * name is answered without the database (and a flood of random names costs no query and
 * evicts nothing from the response cache). Packages and namespaces are never deleted, so the
 * sets only grow. Kept true by:
 * - the domain events (`added`, called after commit, before the writer answers), broadcast to
 *   the other processes through the key-value store;
 * - a sync every 2 s reading rows with a larger id (namespaces are created without an event);
 * - a count every 30 s: when the database holds more than was read (an id committed after a
 *   larger one was already read, or a lost broadcast), the sets are read again in full.
 * A name may be present without a row (an event for a legacy name that was never stored): the
 * index only proves absence.
 */
export class PackageNameIndex {
  private packages = new Set<string>();
  private namespaces = new Set<string>();
  /** names known from events or broadcasts, not yet read from the database */
  private readonly announced = new Set<string>();
  private lastPackageId = 0;
  private lastNamespaceId = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private syncing: Promise<void> | undefined;
  private lastRecount = 0;

  constructor(
    private readonly repos: Repositories,
    private readonly kv: KeyValueStore,
    private readonly localHost: Host,
    private readonly onError: (error: unknown) => void = () => {},
    /** told each answer of `hasPackage` for a local name (metrics) */
    private readonly onLookup: (present: boolean) => void = () => {},
  ) {}

  /** Reads every name, subscribes to other processes' announcements, and starts the sync. */
  async start(): Promise<void> {
    this.unsubscribe = await this.kv.subscribe(CHANNEL, (message) => this.remember(message));
    await this.reload();
    this.timer = setInterval(() => {
      this.sync().catch(this.onError);
    }, SYNC_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.();
  }

  hasNamespace(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  /** False only when the package does not exist (on this registry's own host). */
  hasPackage(ref: PackageRef): boolean {
    if (ref.host !== this.localHost) return true;
    const k = key(ref.namespace, ref.name);
    const present = this.knows(k);
    this.onLookup(present);
    return present;
  }

  private knows(k: string): boolean {
    return this.packages.has(k) || this.announced.has(k);
  }

  /** A package was created or changed (a domain event, after commit): known here at once, and in other processes. */
  async added(ref: PackageRef): Promise<void> {
    const k = key(ref.namespace, ref.name);
    if (ref.host !== this.localHost || this.knows(k)) return;
    this.remember(k);
    try {
      await this.kv.publish(CHANNEL, k);
    } catch {
      // The sync reads the row within SYNC_MS in other processes.
    }
  }

  private remember(k: string): void {
    this.announced.add(k);
    // a package's namespace exists
    this.namespaces.add(k.slice(0, k.indexOf('/')));
  }

  /** One sync at a time (the timer and a test may both ask). */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.syncOnce().finally(() => {
        this.syncing = undefined;
      });
    }
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    await this.readNew();
    if (Date.now() - this.lastRecount < RECOUNT_MS) return;
    this.lastRecount = Date.now();
    const [packages, namespaces] = await Promise.all([this.repos.packages.countLocal(), this.repos.namespaces.countLocal()]);
    if (packages > this.packages.size || namespaces > this.namespaces.size) await this.reload();
  }

  private async readNew(): Promise<void> {
    const read = await this.readAfter(this.lastPackageId, this.lastNamespaceId, this.packages, this.namespaces);
    this.lastPackageId = read.lastPackageId;
    this.lastNamespaceId = read.lastNamespaceId;
    for (const k of this.announced) if (this.packages.has(k)) this.announced.delete(k);
  }

  /** Adds the rows above the given ids to the given sets; answers the last ids read. */
  private async readAfter(packageId: number, namespaceId: number, packages: Set<string>, namespaces: Set<string>) {
    let lastNamespaceId = namespaceId;
    for (;;) {
      const rows = await this.repos.namespaces.listLocalNames(lastNamespaceId, PAGE);
      for (const row of rows) namespaces.add(row.name);
      lastNamespaceId = rows.at(-1)?.id ?? lastNamespaceId;
      if (rows.length < PAGE) break;
    }
    let lastPackageId = packageId;
    for (;;) {
      const rows = await this.repos.packages.listLocalNames(lastPackageId, PAGE);
      for (const row of rows) packages.add(key(row.namespace, row.name));
      lastPackageId = rows.at(-1)?.id ?? lastPackageId;
      if (rows.length < PAGE) break;
    }
    return { lastPackageId, lastNamespaceId };
  }

  /** Reads everything again into fresh sets, swapped in when complete (names announced meanwhile stay known). */
  private async reload(): Promise<void> {
    const packages = new Set<string>();
    const namespaces = new Set<string>();
    const read = await this.readAfter(0, 0, packages, namespaces);
    for (const k of this.announced) namespaces.add(k.slice(0, k.indexOf('/')));
    this.packages = packages;
    this.namespaces = namespaces;
    this.lastPackageId = read.lastPackageId;
    this.lastNamespaceId = read.lastNamespaceId;
    this.lastRecount = Date.now();
    for (const k of this.announced) if (packages.has(k)) this.announced.delete(k);
  }
}
