/**
 * Every kind of background job, in one place: its payload (JSON, so it survives the database)
 * and its retry policy. A change that needs background work enqueues it in its own transaction
 * (`repos.jobs.enqueue({ kind, payload })`); the server registers one handler per kind
 * (`packages/server/src/job-handlers.ts`). Handlers are idempotent: a job runs at least once.
 */
export interface JobPayloads {
  /** build and record the npm tarball of a version published through the Entropic API or `ds` */
  'npm-tarball': { versionId: number };
  /** build every missing npm tarball (versions from before the queue, or whose job died); enqueued at start-up when any is missing */
  'npm-tarball-backfill': Record<string, never>;
  /** render a version's README file to its derived `./readme.html` */
  'render-readme': { versionId: number; path: string };
  /** (re)index a package for search: enqueued in the transaction of every change that alters what search shows of it */
  'search-index': { ref: { namespace: string; host: string; name: string } };
  /** index every package whose search document is missing or older than the package; enqueued at start-up when any is */
  'search-backfill': Record<string, never>;
  /** move raw blobs into packed segments (BLOB_PACKING=on); each run schedules the next */
  'blob-repack': Record<string, never>;
  /**
   * mirror the versions of a remote package (`ns@otherhost/name`) that satisfy `range`, then their
   * own remote dependencies (`depth` + 1): enqueued with a publish that depends on it (issue 15.4)
   */
  'mirror-remote': { ref: { namespace: string; host: string; name: string }; range: string; depth: number };
  /**
   * ask the origins again for the tags, yanks and versions of what is mirrored from them, at most
   * FEDERATION_REFRESH_BATCH packages per origin (one host, or every configured one); each
   * scheduled run enqueues the next (issue 15.4)
   */
  'federation-refresh': { host?: string; scheduled?: boolean };
}

export type JobKind = keyof JobPayloads;

export interface JobPolicy {
  /** tries before the job is dead (kept with its last error for `admin jobs`) */
  maxAttempts: number;
  /** the wait before the second try; doubled for each further one, up to `maxBackoffMs` */
  backoffMs: number;
  maxBackoffMs: number;
}

export const JOB_POLICIES: Readonly<Record<JobKind, JobPolicy>> = {
  'npm-tarball': { maxAttempts: 8, backoffMs: 1000, maxBackoffMs: 10 * 60_000 },
  'npm-tarball-backfill': { maxAttempts: 3, backoffMs: 10_000, maxBackoffMs: 60_000 },
  'render-readme': { maxAttempts: 8, backoffMs: 1000, maxBackoffMs: 10 * 60_000 },
  'search-index': { maxAttempts: 8, backoffMs: 1000, maxBackoffMs: 10 * 60_000 },
  'search-backfill': { maxAttempts: 3, backoffMs: 10_000, maxBackoffMs: 60_000 },
  'blob-repack': { maxAttempts: 5, backoffMs: 60_000, maxBackoffMs: 30 * 60_000 },
  'mirror-remote': { maxAttempts: 10, backoffMs: 5000, maxBackoffMs: 30 * 60_000 },
  'federation-refresh': { maxAttempts: 3, backoffMs: 30_000, maxBackoffMs: 10 * 60_000 },
};

export function isJobKind(kind: string): kind is JobKind {
  return Object.hasOwn(JOB_POLICIES, kind);
}

/** When the next try of a job that failed its `attempts`-th try runs. */
export function retryDelayMs(policy: JobPolicy, attempts: number): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempts - 1));
}
