import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../ports/clock.ts';
import type { JobRecord, JobRepository } from '../ports/jobs.ts';
import { JOB_POLICIES, type JobKind, type JobPayloads, type JobPolicy, retryDelayMs } from './job-kinds.ts';

export interface JobContext {
  job: JobRecord;
  /** aborted when the worker lost the job's lease (another worker may run it) or is stopping past its grace */
  signal: AbortSignal;
}

export type JobHandler<K extends JobKind> = (payload: JobPayloads[K], context: JobContext) => Promise<void>;
export type JobHandlers = { [K in JobKind]?: JobHandler<K> };

export interface JobWorkerOptions {
  jobs: JobRepository;
  clock: Clock;
  handlers: JobHandlers;
  /** jobs run at once (default 2) */
  concurrency?: number;
  /** how often an idle worker looks for due jobs; `wake()` looks at once (default 1000) */
  pollMs?: number;
  /** a job whose worker stops heartbeating for this long goes to another worker (default 30 s) */
  leaseMs?: number;
  /** per-kind changes to the backoff of `JOB_POLICIES` (tests shorten it); tries are fixed when a job is enqueued */
  backoff?: Partial<Record<JobKind, Partial<Pick<JobPolicy, 'backoffMs' | 'maxBackoffMs'>>>>;
  workerId?: string;
  /** a try failed (`outcome`: retrying or dead), or the worker's own loop hit an error (no job) */
  onError?: (error: unknown, job: JobRecord | undefined, outcome?: 'retrying' | 'dead' | 'lost') => void;
  /**
   * A try ended (`done`: completed; `lost`: the lease was no longer held): how long it ran, and
   * how long the job had waited since it was due (`runAt`) until this worker claimed it.
   */
  onTried?: (job: JobRecord, outcome: JobTryOutcome, timing: { runMs: number; waitMs: number }) => void;
  /** subscribes `wake` to "jobs were enqueued here" while the worker runs; answers the unsubscribe */
  wakeOn?: (wake: () => void) => () => void;
}

export type JobTryOutcome = 'done' | 'retrying' | 'dead' | 'lost';

interface Running {
  job: JobRecord;
  controller: AbortController;
  done: Promise<void>;
}

const MAX_ERROR_CHARS = 4000;

/**
 * Runs queued jobs: claims due ones under a lease, runs each kind's handler, heartbeats the
 * lease while it runs, and completes, retries (with exponential backoff) or buries it. Any
 * number of workers, in any number of processes, may share one queue.
 */
export class JobWorker {
  readonly workerId: string;
  private readonly running = new Map<number, Running>();
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly kinds: JobKind[];
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribeWake: (() => void) | undefined;

  constructor(private readonly options: JobWorkerOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 2;
    this.pollMs = options.pollMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.kinds = Object.keys(options.handlers) as JobKind[];
  }

  /** Starts the loop: it claims jobs whenever a slot is free, and polls when there are none. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.heartbeat = setInterval(() => void this.extendLeases(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
    this.unsubscribeWake = this.options.wakeOn?.(() => this.wake());
    this.loop = this.run();
  }

  /** Looks for jobs now (after a transaction that enqueued some committed in this process). */
  wake(): void {
    this.wakeUp?.();
  }

  /**
   * Stops claiming; waits up to `graceMs` for running jobs to finish, then hands the rest back to
   * the queue untried (their signal is aborted) so another worker runs them.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.unsubscribeWake?.();
    this.wake();
    await this.loop;
    this.loop = undefined;
    const finished = Promise.allSettled([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const [id, entry] of this.running) {
      this.running.delete(id);
      // Released first, so a handler that returns on the abort cannot complete the job it gave up.
      await this.options.jobs.release(id, this.workerId, this.options.clock.now()).catch(() => false);
      entry.controller.abort(new Error('worker stopping'));
    }
    clearInterval(this.heartbeat);
  }

  /** Claims what is due now and runs it to the end (tests and one-shot runs); answers how many ran. */
  async runDue(): Promise<number> {
    const claimed = await this.claim(this.concurrency);
    await Promise.all(claimed.map((job) => this.execute(job).done));
    return claimed.length;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      const free = this.concurrency - this.running.size;
      if (free > 0) {
        try {
          const jobs = await this.claim(free);
          for (const job of jobs) this.execute(job);
          claimed = jobs.length;
        } catch (error) {
          this.options.onError?.(error, undefined);
        }
      }
      // A full batch may have more behind it; otherwise wait for a poll, a wake or a free slot.
      if (claimed === free && claimed > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  private claim(limit: number): Promise<JobRecord[]> {
    if (this.kinds.length === 0) return Promise.resolve([]);
    const now = this.options.clock.now();
    return this.options.jobs.claim({
      kinds: this.kinds,
      workerId: this.workerId,
      now,
      lockedUntil: new Date(now.getTime() + this.leaseMs),
      limit,
    });
  }

  private execute(job: JobRecord): Running {
    const controller = new AbortController();
    const started = Date.now();
    const waitMs = Math.max(0, this.options.clock.now().getTime() - job.runAt.getTime());
    const entry: Running = { job, controller, done: Promise.resolve() };
    entry.done = this.attempt(job, controller.signal)
      .then((outcome) => {
        if (outcome) this.options.onTried?.(job, outcome, { runMs: Date.now() - started, waitMs });
      })
      .finally(() => {
        this.running.delete(job.id);
        this.wake();
      });
    this.running.set(job.id, entry);
    return entry;
  }

  private async attempt(job: JobRecord, signal: AbortSignal): Promise<JobTryOutcome | undefined> {
    const handler = this.options.handlers[job.kind as JobKind] as JobHandler<JobKind> | undefined;
    try {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      await handler(job.payload as JobPayloads[JobKind], { job, signal });
    } catch (error) {
      return this.recordFailure(job, error);
    }
    try {
      return (await this.options.jobs.complete(job.id, this.workerId)) ? 'done' : 'lost';
    } catch (error) {
      // The job ran; its row stays leased and runs again when the lease expires (handlers are idempotent).
      this.options.onError?.(error, job);
      return undefined;
    }
  }

  private async recordFailure(job: JobRecord, error: unknown): Promise<JobTryOutcome | undefined> {
    const policy = this.policyOf(job.kind);
    const retryAt = new Date(this.options.clock.now().getTime() + retryDelayMs(policy, job.attempts));
    const text = (error instanceof Error ? (error.stack ?? error.message) : String(error)).slice(0, MAX_ERROR_CHARS);
    try {
      const outcome = await this.options.jobs.fail(job.id, this.workerId, { error: text, retryAt });
      this.options.onError?.(error, job, outcome);
      return outcome;
    } catch (failError) {
      this.options.onError?.(failError, job);
      return undefined;
    }
  }

  private policyOf(kind: string): JobPolicy {
    const base = JOB_POLICIES[kind as JobKind] ?? { maxAttempts: 1, backoffMs: 1000, maxBackoffMs: 1000 };
    return { ...base, ...this.options.backoff?.[kind as JobKind] };
  }

  private async extendLeases(): Promise<void> {
    const lockedUntil = new Date(this.options.clock.now().getTime() + this.leaseMs);
    for (const [id, entry] of this.running) {
      try {
        const held = await this.options.jobs.heartbeat(id, this.workerId, lockedUntil);
        if (!held) entry.controller.abort(new Error('lease lost: another worker may run this job'));
      } catch (error) {
        this.options.onError?.(error, entry.job);
      }
    }
  }
}
