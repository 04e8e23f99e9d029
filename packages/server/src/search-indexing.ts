import { type CoreDeps, type DomainEvent, indexPackageRefForSearch, indexStalePackagesForSearch, type PackageRef } from '@entropic/core';

/**
 * Keeps the search index following the domain events, off the request path: a publish, a mirror
 * store, a yank, an abandon or a tag change only queues the package's name here (the event's
 * emit returns at once); one background loop indexes queued packages one at a time. At start
 * the backfill indexes every package whose document is missing or older than the package, which
 * also covers what a crash left queued. Until the durable job queue lands (QUEUE-CONTRACT.md)
 * this is in-process; the work function (indexPackageRefForSearch) is the job's handler then.
 */
export class SearchIndexing {
  private readonly pending = new Map<string, PackageRef>();
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: CoreDeps,
    private readonly onError: (error: unknown, what: string) => void,
  ) {}

  start(): void {
    this.unsubscribe = this.deps.events.subscribe((event) => this.onEvent(event));
  }

  /** Runs the backfill in the background (a large registry does not delay the start). */
  backfill(onDone: (count: number) => void): void {
    this.track(indexStalePackagesForSearch(this.deps).then(onDone, (error: unknown) => this.onError(error, 'search backfill')));
  }

  /** Resolves when nothing is queued or running (tests and shutdown wait for it). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.unsubscribe?.();
    this.pending.clear();
    await this.idle();
  }

  private onEvent(event: DomainEvent): void {
    if (event.type === 'token-revoked' || this.stopped) return;
    const { ref } = event;
    this.pending.set(`${ref.namespace}@${ref.host}/${ref.name}`, ref);
    if (!this.running) this.track(this.drain());
  }

  private async drain(): Promise<void> {
    // let the request that emitted the event finish first
    await new Promise((resolve) => setImmediate(resolve));
    for (const [key, ref] of this.pending) {
      this.pending.delete(key);
      try {
        await indexPackageRefForSearch(this.deps, ref);
      } catch (error) {
        this.onError(error, key);
      }
    }
  }

  private track(work: Promise<void>): void {
    const running: Promise<void> = work.finally(() => {
      if (this.running === running) this.running = undefined;
      if (this.pending.size > 0 && !this.stopped && !this.running) this.track(this.drain());
    });
    this.running = running;
  }
}
