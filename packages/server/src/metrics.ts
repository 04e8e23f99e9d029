import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** How a cache reports its lookups (`ResponseCache`, `TokenCache`); a no-op when metrics are off. */
export interface CacheStats {
  hit(): void;
  miss(): void;
}

export const NO_CACHE_STATS: CacheStats = { hit() {}, miss() {} };

/** Seconds; from a cached read (~0.1 ms) to a large publish or a slow upstream. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Seconds; jobs take from a millisecond (a search document) to minutes (a backfill), and may wait out a backoff. */
const JOB_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900];

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** The route label of a request no route matched (404s for any URL, which must not mint label values). */
export const UNMATCHED_ROUTE = 'unmatched';

type Labels<T extends string> = Record<T, string>;

/**
 * The registry's Prometheus metrics, one set per application (tests build many in one process).
 * Every label takes values from a closed set (route patterns, method names, repository and port
 * operations), never from a URL or a package name, so the series count stays bounded. Process
 * stats (prom-client's default metrics) are per process, collected once into their own registry.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly http = new Histogram({
    name: 'entropic_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status class (its _count is the request count)',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly cacheLookups = new Counter({
    name: 'entropic_cache_lookups_total',
    help: 'Lookups in the in-process caches (response: pre-serialised read responses; token: bearer tokens; blob: hot objects in front of S3), by result',
    labelNames: ['cache', 'result'] as const,
    registers: [this.registry],
  });
  private readonly nameLookups = new Counter({
    name: 'entropic_package_name_index_lookups_total',
    help: 'Package name index lookups: absent names are answered without the database',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly blobOperations = new Histogram({
    name: 'entropic_blob_store_operation_duration_seconds',
    help: 'Blob store operations (for get: until the content is open, not until it is read)',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly databaseOperations = new Histogram({
    name: 'entropic_database_operation_duration_seconds',
    help: 'Repository calls and transactions (repository="transaction": a whole unit of work)',
    labelNames: ['repository', 'method', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly jobRuns = new Histogram({
    name: 'entropic_job_duration_seconds',
    help: 'Tries of queued jobs run by this process, by kind and outcome (done, retrying, dead, lost: the lease was no longer held)',
    labelNames: ['kind', 'outcome'] as const,
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });
  private readonly jobWaits = new Histogram({
    name: 'entropic_job_wait_seconds',
    help: 'How long a job waited from when it was due (enqueued, or its retry backoff ended) until a worker of this process claimed it',
    labelNames: ['kind'] as const,
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });
  /** children by label values: looking one up by a string is cheaper than prom-client hashing a label object per request */
  private readonly children = new Map<string, { observe(value: number): void; inc(): void }>();

  constructor() {
    startProcessMetrics();
  }

  /** A finished HTTP request; `route` is the matched pattern, or undefined when none matched. */
  observeRequest(route: string | undefined, method: string, statusCode: number, milliseconds: number): void {
    const status = `${Math.trunc(statusCode / 100)}xx`;
    const key = `h ${method} ${status} ${route}`;
    let child = this.children.get(key);
    if (!child) {
      const labels = { route: route ?? UNMATCHED_ROUTE, method: HTTP_METHODS.has(method) ? method : 'OTHER', status };
      child = this.http.labels(labels) as unknown as { observe(value: number): void; inc(): void };
      this.children.set(key, child);
    }
    child.observe(milliseconds / 1000);
  }

  cacheStats(cache: 'response' | 'token' | 'public-object' | 'grant' | 'private-object' | 'blob'): CacheStats {
    const hit = this.cacheLookups.labels({ cache, result: 'hit' });
    const miss = this.cacheLookups.labels({ cache, result: 'miss' });
    return { hit: () => hit.inc(), miss: () => miss.inc() };
  }

  /** Counts package name index lookups (`present`: the database is asked next; `absent`: answered from memory). */
  nameLookup(): (present: boolean) => void {
    const present = this.nameLookups.labels({ result: 'present' });
    const absent = this.nameLookups.labels({ result: 'absent' });
    return (found) => (found ? present.inc() : absent.inc());
  }

  observeBlobOperation(operation: string, ok: boolean, seconds: number): void {
    this.child(this.blobOperations, `b ${operation} ${ok}`, { operation, outcome: ok ? 'ok' : 'error' }).observe(seconds);
  }

  observeDatabaseOperation(repository: string, method: string, ok: boolean, seconds: number): void {
    const labels = { repository, method, outcome: ok ? 'ok' : 'error' };
    this.child(this.databaseOperations, `d ${repository} ${method} ${ok}`, labels).observe(seconds);
  }

  /** A try of a job this process's worker ran (`kind` is one of the closed set of job kinds). */
  observeJobTry(kind: string, outcome: string, runMs: number, waitMs: number): void {
    this.child(this.jobRuns, `j ${kind} ${outcome}`, { kind, outcome }).observe(runMs / 1000);
    this.child(this.jobWaits, `w ${kind}`, { kind }).observe(waitMs / 1000);
  }

  /**
   * Queue depth (`entropic_jobs{state}`: queued, running, dead), counted in the database at each
   * scrape, so every instance reports the one shared queue. A failed count keeps the last values.
   */
  watchJobQueue(countByState: () => Promise<Record<string, number>>): void {
    new Gauge({
      name: 'entropic_jobs',
      help: 'Jobs in the durable queue by state (the shared queue, counted at scrape time)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        try {
          for (const [state, count] of Object.entries(await countByState())) this.set({ state }, count);
        } catch {
          // the database is down: /metrics still answers (the readiness probe reports the outage)
        }
      },
    });
  }

  private child<T extends string>(histogram: Histogram<T>, key: string, labels: Labels<T>) {
    let child = this.children.get(key);
    if (!child) {
      child = histogram.labels(labels as never) as unknown as { observe(value: number): void; inc(): void };
      this.children.set(key, child);
    }
    return child;
  }

  /** The text exposition format (Prometheus 0.0.4): this application's metrics, then the process's. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const [own, process] = await Promise.all([this.registry.metrics(), processRegistry?.metrics() ?? '']);
    return { contentType: this.registry.contentType, body: `${own}\n${process}` };
  }
}

let processRegistry: Registry | undefined;

/** prom-client's default metrics (CPU, memory, heap, event loop lag, GC, handles), started once per process. */
function startProcessMetrics(): void {
  if (processRegistry) return;
  processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry });
}
