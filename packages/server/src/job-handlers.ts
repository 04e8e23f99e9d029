import {
  type Federation,
  indexPackageRefForSearch,
  indexStalePackagesForSearch,
  JOB_POLICIES,
  type JobHandlers,
  type JobKind,
  type JobPolicy,
  JobWorker,
  type JobWorkerOptions,
  mirrorRemoteDependency,
  type PackageRef,
  refreshRemotePackages,
  renderVersionReadme,
  repackBlobs,
} from '@entropic/core';
import type { NpmTarballBuilder } from '@entropic/npm';
import type { ServerDeps } from './deps.ts';
import { createServerFederation } from './peer-client.ts';

/** What the worker logs through (the server's or the worker process's pino logger). */
interface JobLog {
  error(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/**
 * The handler of every job kind (`core/src/jobs/job-kinds.ts` lists the kinds): each an
 * idempotent use case on the deps. The compiler does not force a handler per kind; a kind
 * without one stays queued, and `admin jobs` shows it.
 */
export function createJobHandlers(deps: ServerDeps, tarballs: NpmTarballBuilder, log: JobLog): JobHandlers {
  // a peer client of the worker's own: remote dependencies are mirrored here, off the request path
  let federation: Federation | undefined;
  return {
    'mirror-remote': async (payload) => {
      federation ??= createServerFederation(deps, log).federation;
      const mirrored = await mirrorRemoteDependency(federation, deps, payload);
      log.debug({ ref: payload.ref, range: payload.range, mirrored }, 'remote dependency mirrored');
    },
    'federation-refresh': async (payload) => {
      federation ??= createServerFederation(deps, log).federation;
      const configured = deps.config.federation.peers.map((peer) => peer.host as string);
      const hosts = payload.host === undefined ? configured : configured.filter((host) => host === payload.host);
      const reports = await refreshRemotePackages(federation, deps, { hosts, perOrigin: deps.config.federation.refreshBatch });
      for (const report of reports) log.info(report, `federation: refreshed ${report.refreshed} packages of ${report.host}`);
      if (payload.scheduled) await scheduleFederationRefresh(deps, true);
    },
    'npm-tarball': async ({ versionId }) => void (await tarballs.buildById(versionId)),
    'npm-tarball-backfill': async () => void (await tarballs.buildMissing()),
    'render-readme': (payload) => renderVersionReadme(deps, payload),
    'search-index': async ({ ref }) => void (await indexPackageRefForSearch(deps, ref as PackageRef)),
    'search-backfill': async (_payload, { signal }) => void (await indexStalePackagesForSearch(deps, { signal })),
    'blob-repack': async () => {
      await repackBlobs(deps, { graceSeconds: deps.config.blobPacking?.repackGraceSeconds ?? 60 });
      await scheduleRepack(deps, true);
    },
  };
}

/** Every kind's backoff capped at `capMs` (JOBS_MAX_BACKOFF_SECONDS): its first wait and its longest. */
function cappedBackoff(capMs: number): JobWorkerOptions['backoff'] {
  const backoff: NonNullable<JobWorkerOptions['backoff']> = {};
  for (const [kind, policy] of Object.entries(JOB_POLICIES) as Array<[JobKind, JobPolicy]>)
    backoff[kind] = { backoffMs: Math.min(policy.backoffMs, capMs), maxBackoffMs: Math.min(policy.maxBackoffMs, capMs) };
  return backoff;
}

/**
 * A worker on the deps' queue with the configured concurrency, batch and lease, woken by this
 * process's own enqueues. With `activity` (the in-server worker: the process's requests), it
 * yields to requests (JOBS_QUIET_MS, at most JOBS_QUIET_MAX_MS).
 */
export function createJobWorker(deps: ServerDeps, tarballs: NpmTarballBuilder, log: JobLog, activity?: { idleForMs(): number }): JobWorker {
  const { jobs } = deps.config;
  return new JobWorker({
    jobs: deps.repos.jobs,
    clock: deps.clock,
    handlers: createJobHandlers(deps, tarballs, log),
    concurrency: jobs.concurrency,
    batchSize: jobs.batchSize,
    pollMs: jobs.pollMs,
    ...(activity ? { quiet: { idleForMs: () => activity.idleForMs(), quietMs: jobs.quietMs, maxDelayMs: jobs.quietMaxMs } } : {}),
    leaseMs: jobs.leaseSeconds * 1000,
    ...(jobs.maxBackoffSeconds === undefined ? {} : { backoff: cappedBackoff(jobs.maxBackoffSeconds * 1000) }),
    onError: (error, job, outcome) => {
      if (!job) log.error({ err: error }, 'job worker: claiming failed');
      else if (outcome === 'dead')
        log.error({ err: error, job: job.id, kind: job.kind, attempts: job.attempts }, 'job dead after its last try');
      else log.warn({ err: error, job: job.id, kind: job.kind, attempts: job.attempts, outcome }, 'job try failed');
    },
    onTried: (job, outcome, timing) => {
      deps.metrics?.observeJobTry(job.kind, outcome, timing.runMs, timing.waitMs);
      if (outcome === 'done') log.debug({ job: job.id, kind: job.kind, ms: timing.runMs }, 'job done');
    },
    wakeOn: (wake) => deps.onJobsEnqueued(wake),
  });
}

/** Enqueues a backfill job of `kind` unless one is waiting or running already; answers whether it did. */
async function enqueueBackfill(deps: ServerDeps, kind: JobKind & `${string}-backfill`): Promise<boolean> {
  const pending = await deps.repos.jobs.list({ kind, limit: 10 });
  if (pending.some((job) => job.state !== 'dead')) return false;
  await deps.repos.jobs.enqueue({ kind, payload: {} });
  return true;
}

/**
 * Packing on (the default): one `blob-repack` job is always waiting —
 * enqueued at start-up and by each run, BLOB_REPACK_INTERVAL_SECONDS later, unless another is
 * already queued. false when packing is off.
 */
export async function scheduleRepack(deps: ServerDeps, later: boolean): Promise<boolean> {
  const packing = deps.config.blobPacking;
  if (!packing) return false;
  const pending = await deps.repos.jobs.list({ kind: 'blob-repack', state: 'queued', limit: 1 });
  if (pending.length > 0) return false;
  const runAt = new Date(deps.clock.now().getTime() + (later ? packing.repackIntervalSeconds * 1000 : 0));
  await deps.repos.jobs.enqueue({ kind: 'blob-repack', payload: {}, runAt });
  return true;
}

/**
 * With peers configured and FEDERATION_REFRESH_INTERVAL_SECONDS above 0: one scheduled
 * `federation-refresh` job is always waiting, enqueued at start-up (one interval later) and by each
 * run, unless one is queued already. Answers whether it enqueued one.
 */
export async function scheduleFederationRefresh(deps: ServerDeps, later: boolean): Promise<boolean> {
  const { peers, refreshIntervalSeconds } = deps.config.federation;
  if (peers.length === 0 || refreshIntervalSeconds === 0) return false;
  const pending = await deps.repos.jobs.list({ kind: 'federation-refresh', state: 'queued', limit: 10 });
  if (pending.some((job) => (job.payload as { scheduled?: boolean }).scheduled)) return false;
  const runAt = new Date(deps.clock.now().getTime() + (later ? refreshIntervalSeconds * 1000 : 0));
  await deps.repos.jobs.enqueue({ kind: 'federation-refresh', payload: { scheduled: true }, runAt });
  return true;
}

/** Start-up: when some version has no npm tarball and is not being built, one backfill job builds them. */
export async function enqueueTarballBackfill(deps: ServerDeps): Promise<boolean> {
  const [unbuilt] = await deps.repos.npmTarballs.listUnbuilt(0, 1);
  return unbuilt !== undefined && (await enqueueBackfill(deps, 'npm-tarball-backfill'));
}

/**
 * Start-up: when some package's search document is missing or older than the package (data from
 * before the queue, or a search-index job that died), one backfill job indexes them.
 */
export async function enqueueSearchBackfill(deps: ServerDeps): Promise<boolean> {
  const [stale] = await deps.repos.search.listStale(0, 1);
  return stale !== undefined && (await enqueueBackfill(deps, 'search-backfill'));
}
