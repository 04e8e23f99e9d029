import type { JobKind, JobPayloads } from '../jobs/job-kinds.ts';

/** `queued`: waiting for its run time (a retry waits for its backoff); `running`: leased by a worker; `dead`: failed its last try. */
export type JobState = 'queued' | 'running' | 'dead';

/** A job to enqueue: its kind, its payload (JSON), and optionally when it may run first. */
export interface NewJob<K extends JobKind = JobKind> {
  kind: K;
  payload: JobPayloads[K];
  /** not before this time (default: now) */
  runAt?: Date;
}

export interface JobRecord {
  id: number;
  kind: string;
  payload: unknown;
  state: JobState;
  /** tries started so far (a try that is running counts) */
  attempts: number;
  maxAttempts: number;
  runAt: Date;
  /** the worker holding the lease while `running` */
  lockedBy: string | null;
  lockedUntil: Date | null;
  /** the error of the last failed try */
  lastError: string | null;
  createdAt: Date;
}

export interface ClaimJobsInput {
  /** kinds this worker has handlers for */
  kinds: readonly string[];
  workerId: string;
  now: Date;
  /** the lease: a job not completed, failed or heartbeated by then goes back to other workers */
  lockedUntil: Date;
  limit: number;
}

/**
 * The durable job queue's table. `enqueue` inside `deps.uow.transaction` commits or rolls back with
 * the change that needs the job. Workers claim due jobs under a lease (`FOR UPDATE SKIP LOCKED`, so
 * two workers never hold one job), extend it while running, and complete (delete) or fail them.
 */
export interface JobRepository {
  /** Adds a job (its tries from the kind's policy, `JOB_POLICIES`); answers its id. */
  enqueue<K extends JobKind>(job: NewJob<K>): Promise<number>;
  /** Adds several jobs in one round trip (a publish's), all or none. */
  enqueueAll(jobs: readonly NewJob[]): Promise<void>;
  /**
   * Leases up to `limit` jobs of `kinds` that are due (queued with `runAt` ≤ now, or running with
   * an expired lease: their worker died) and have tries left, counting a try for each. Running
   * jobs whose lease expired on their last try are marked dead in the same statement.
   */
  claim(input: ClaimJobsInput): Promise<JobRecord[]>;
  /** Extends the lease; false when the worker no longer holds it (the lease expired and another worker took the job). */
  heartbeat(id: number, workerId: string, lockedUntil: Date): Promise<boolean>;
  /** The jobs succeeded: removed, in one statement. Answers the ids the worker still held (those removed). */
  complete(ids: readonly number[], workerId: string): Promise<number[]>;
  /**
   * The try failed: queued again for `retryAt` when tries are left, otherwise dead with `error`.
   * Answers what happened (`lost`: the worker no longer held it).
   */
  fail(id: number, workerId: string, input: { error: string; retryAt: Date }): Promise<'retrying' | 'dead' | 'lost'>;
  /** A running job handed back untried (a worker stopping): queued again for `runAt`, the try not counted. */
  release(id: number, workerId: string, runAt: Date): Promise<boolean>;
  /** Jobs, oldest first, optionally of one state and kind, with an id above `afterId`. */
  list(input: { state?: JobState; kind?: string; afterId?: number; limit: number }): Promise<JobRecord[]>;
  find(id: number): Promise<JobRecord | undefined>;
  /** A queued or dead job runs again now with all its tries (a running one is left alone): false when there is no such job. */
  retry(id: number, now: Date): Promise<boolean>;
  /** Removes a queued or dead job (a running one is left alone): false when there is no such job. */
  drop(id: number): Promise<boolean>;
  /** How many jobs are in each state (queue depth). */
  countByState(): Promise<Record<JobState, number>>;
}
