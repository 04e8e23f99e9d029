import { performance } from 'node:perf_hooks';
import { truncate } from '@entropic/types';

/** What a request waiting for the upstream accumulates: the upstream's share of its time. */
export interface UpstreamTiming {
  upstreamMs: number;
}

export interface UpstreamFetchReport {
  /** the fetched URL's host and path, cut short (never its query) */
  url: string;
  /** how long this fetch took */
  upstreamMs: number;
  /** how long the whole operation took (the fetch, then verifying and storing) */
  totalMs: number;
}

function shortUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return truncate(`${parsed.host}${parsed.pathname}`, 120);
  } catch {
    return truncate(url.split('?')[0] ?? '', 120);
  }
}

/**
 * The upstream time of one piece of mirror work (a packument refresh, a version's first fetch)
 * that several requests may share: its fetches are timed, so a waiting request learns how much
 * of its wait was the upstream's, and each slow fetch is reported once when the work is done.
 */
export class UpstreamClock {
  readonly started = performance.now();
  /** this work's own fetches */
  private readonly fetches: Array<{ url: string; start: number; end: number }> = [];
  /** every stretch of upstream time, also of work this one waited for */
  private readonly intervals: Array<[number, number]> = [];

  static now(): number {
    return performance.now();
  }

  /** Records one upstream fetch of this work. */
  record(url: string, start: number, end: number): void {
    this.fetches.push({ url, start, end });
    this.intervals.push([start, end]);
  }

  /** Runs one upstream fetch of this work, timed. */
  async fetch<R>(url: string, run: () => Promise<R>): Promise<R> {
    const start = performance.now();
    try {
      return await run();
    } finally {
      this.record(url, start, performance.now());
    }
  }

  /** The fetches slower than `slowMs`, each once (call when the work is done). */
  slowFetches(slowMs: number): UpstreamFetchReport[] {
    const totalMs = Math.round(performance.now() - this.started);
    return this.fetches
      .filter((f) => f.end - f.start >= slowMs)
      .map((f) => ({ url: shortUrl(f.url), upstreamMs: Math.round(f.end - f.start), totalMs }));
  }

  /** Upstream time within [from, to]. */
  upstreamMsBetween(from: number, to: number): number {
    let ms = 0;
    for (const [start, end] of this.intervals) ms += Math.max(0, Math.min(end, to) - Math.max(start, from));
    return Math.min(ms, to - from);
  }

  /**
   * The upstream share of a wait for this work, [from, now], goes to `waiter`: a request's
   * timing, or other work that waited (whose own waiters then see it).
   */
  credit(waiter: UpstreamTiming | UpstreamClock | undefined, from: number): void {
    const to = performance.now();
    if (waiter instanceof UpstreamClock) {
      for (const [start, end] of this.intervals)
        if (end > from && start < to) waiter.intervals.push([Math.max(start, from), Math.min(end, to)]);
    } else if (waiter) waiter.upstreamMs += this.upstreamMsBetween(from, to);
  }
}

/** Awaits shared upstream work, crediting the upstream's share of the wait to `waiter`. */
export async function awaitUpstream<T>(
  work: { promise: Promise<T>; clock: UpstreamClock },
  waiter: UpstreamTiming | UpstreamClock | undefined,
): Promise<T> {
  const from = UpstreamClock.now();
  try {
    return await work.promise;
  } finally {
    work.clock.credit(waiter, from);
  }
}
