import type { CoreDeps } from './deps.ts';
import { storedHost } from './namespaces.ts';
import type { DownloadCount, StoredPackageName } from './ports/downloads.ts';
import type { PackageRef } from './ports/records.ts';

const DAY_MS = 86_400_000;

/**
 * Downloads counted in memory on the read path (no query, no await: a map increment) and
 * written in batches by `flush`, which adds them to the stored counts (an UPSERT that sums, so
 * any number of processes may flush the same rows). The day is the UTC day of `deps.clock` when
 * the download is counted. A process that dies without flushing loses what it counted since its
 * last flush; a failed flush keeps its counts for the next one.
 */
export class DownloadCounter {
  #pending = new Map<string, DownloadCount>();
  #day = '';
  #dayStart = 0;
  #flushing: Promise<unknown> | undefined;

  constructor(private readonly deps: Pick<CoreDeps, 'uow' | 'clock' | 'host'>) {}

  /** One download of `version` of the package, now. */
  count(ref: PackageRef, version: string): void {
    const now = this.deps.clock.now().getTime();
    if (now < this.#dayStart || now >= this.#dayStart + DAY_MS) {
      this.#dayStart = now - (now % DAY_MS);
      this.#day = new Date(this.#dayStart).toISOString().slice(0, 10);
    }
    const key = `${ref.namespace}\n${ref.host}\n${ref.name}\n${version}\n${this.#day}`;
    const entry = this.#pending.get(key);
    if (entry) entry.count += 1;
    else {
      const host = storedHost(ref, this.deps.host);
      this.#pending.set(key, { namespace: ref.namespace, host, name: ref.name, version, day: this.#day, count: 1 });
    }
  }

  /** How many (version, day) counts wait for the next flush. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Writes what was counted so far in one transaction and returns how many rows it added to.
   * One flush at a time: a flush asked during another waits for it, then writes what came since.
   */
  async flush(): Promise<number> {
    while (this.#flushing) await this.#flushing.catch(() => {});
    const batch = [...this.#pending.values()];
    if (batch.length === 0) return 0;
    this.#pending = new Map();
    const written = this.deps.uow.transaction(async (repos) => {
      await repos.downloads.add(batch);
      await repos.search.refreshPopularity(distinctPackages(batch), this.#popularitySince());
    });
    this.#flushing = written;
    try {
      await written;
      return batch.length;
    } catch (error) {
      this.#restore(batch);
      throw error;
    } finally {
      this.#flushing = undefined;
    }
  }

  /** The first day of the popularity window (30 days ending today, UTC, as the home page's list). */
  #popularitySince(): string {
    const now = this.deps.clock.now().getTime();
    return new Date(now - (now % DAY_MS) - 29 * DAY_MS).toISOString().slice(0, 10);
  }

  /** A failed flush's counts go back into the map (with whatever was counted meanwhile). */
  #restore(batch: DownloadCount[]): void {
    for (const row of batch) {
      const key = `${row.namespace}\n${row.host ?? this.deps.host}\n${row.name}\n${row.version}\n${row.day}`;
      const entry = this.#pending.get(key);
      if (entry) entry.count += row.count;
      else this.#pending.set(key, row);
    }
  }
}

function distinctPackages(batch: readonly DownloadCount[]): StoredPackageName[] {
  const seen = new Map<string, StoredPackageName>();
  for (const row of batch)
    seen.set(`${row.namespace}\n${row.host ?? ''}\n${row.name}`, { namespace: row.namespace, host: row.host, name: row.name });
  return [...seen.values()];
}
