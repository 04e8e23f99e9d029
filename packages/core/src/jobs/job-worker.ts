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
  /** jobs claimed in one statement, run `concurrency` at a time and completed in one statement (default 32) */
  batchSize?: number;
  /** how often an idle worker looks for due jobs; `wake()` looks at once (default 1000) */
  pollMs?: number;
  /** a job whose worker stops heartbeating for this long goes to another worker (default 30 s) */
  leaseMs?: number;
  /**
   * Background work yields to requests: before it claims, the worker waits until this process has
   * answered no request for `quietMs` (`idleForMs()` is 0 while one is in flight), but never longer
   * than `maxDelayMs`. Unset: no waiting (a separate worker process, tests).
   */
  quiet?: { idleForMs: () => number; quietMs: number; maxDelayMs: number };
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

/**
 * Jobs of one claim with the same kind and payload: the handler runs once for all of them
 * (handlers are idempotent and do what the state at run time asks, which every one of these
 * jobs' transactions had committed before the claim).
 */
interface Group {
  jobs: JobRecord[];
  controller: AbortController;
  /** by job id: how long it waited from when it was due until claimed */
  waitMs: Map<number, number>;
}

interface Running {
  group: Group;
  done: Promise<void>;
}

/** A handler that succeeded, waiting for the next grouped completion. */
interface Succeeded {
  job: JobRecord;
  runMs: number;
  waitMs: number;
}

const MAX_ERROR_CHARS = 4000;

/**
 * Runs queued jobs: claims due ones in batches under a lease, runs each kind's handler (once for
 * jobs of one batch that are the same), heartbeats the leases while they run, and completes the
 * batch in one statement, or retries (with exponential backoff) or buries each failed one. Any
 * number of workers, in any number of processes, may share one queue.
 */
export class JobWorker {
  readonly workerId: string;
  /** claimed and not finished (started or not), by job id: what the heartbeat keeps leased */
  private readonly held = new Map<number, Group>();
  private readonly running = new Set<Running>();
  private pending: Group[] = [];
  private succeeded: Succeeded[] = [];
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly kinds: JobKind[];
  private loop: Promise<void> | undefined;
  private stopping = false;
  /** jobs may be due that the last claim did not take (a wake, a poll, a full batch) */
  private mayHaveMore = true;
  private wakeUp: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribeWake: (() => void) | undefined;

  constructor(private readonly options: JobWorkerOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 2;
    this.batchSize = Math.max(this.concurrency, options.batchSize ?? 32);
    this.pollMs = options.pollMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.kinds = Object.keys(options.handlers) as JobKind[];
  }

  /** Starts the loop: it claims jobs whenever a batch is done, and polls when there are none. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.mayHaveMore = true;
    this.heartbeat = setInterval(() => void this.extendLeases(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
    this.unsubscribeWake = this.options.wakeOn?.(() => this.wake());
    this.loop = this.run();
  }

  /** Looks for jobs now (after a transaction that enqueued some committed in this process). */
  wake(): void {
    this.mayHaveMore = true;
    this.wakeUp?.();
  }

  /**
   * Stops claiming; waits up to `graceMs` for running jobs to finish, then hands the rest back to
   * the queue untried (their signal is aborted) so another worker runs them.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.unsubscribeWake?.();
    this.wakeUp?.();
    await this.loop;
    this.loop = undefined;
    // claimed but never started: back at once
    const unstarted = this.pending;
    this.pending = [];
    for (const group of unstarted) await this.release(group);
    const finished = Promise.allSettled([...this.running].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    await this.completeSucceeded();
    for (const entry of this.running) {
      this.running.delete(entry);
      // Released first, so a handler that returns on the abort cannot complete the job it gave up.
      await this.release(entry.group);
      entry.group.controller.abort(new Error('worker stopping'));
    }
    clearInterval(this.heartbeat);
  }

  /** Claims one batch of what is due now and runs it to the end (tests and one-shot runs); answers how many jobs it held. */
  async runDue(): Promise<number> {
    const claimed = await this.claim(this.batchSize);
    const groups = this.group(claimed);
    const next = async (): Promise<void> => {
      for (let group = groups.shift(); group; group = groups.shift()) await this.execute(group).done;
    };
    await Promise.all(Array.from({ length: this.concurrency }, next));
    await this.completeSucceeded();
    return claimed.length;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (this.pending.length === 0 && this.running.size < this.concurrency && this.mayHaveMore) {
        await this.quiet();
        if (this.stopping) break;
        this.mayHaveMore = false;
        await this.completeSucceeded();
        try {
          const jobs = await this.claim(this.batchSize);
          this.pending.push(...this.group(jobs));
          // a full batch may have more behind it
          if (jobs.length >= this.batchSize) this.mayHaveMore = true;
        } catch (error) {
          this.options.onError?.(error, undefined);
        }
      }
      while (this.running.size < this.concurrency && this.pending.length > 0) this.execute(this.pending.shift() as Group);
      if (this.running.size === 0 && this.pending.length === 0) await this.completeSucceeded();
      if (this.stopping) break;
      if (this.pending.length === 0 && this.running.size < this.concurrency && this.mayHaveMore) continue;
      // wait for a poll, a wake (jobs enqueued here, or a slot freed) or stop
      await this.sleep(this.pollMs, () => {
        this.mayHaveMore = true;
      });
    }
  }

  /** Waits `ms` (then `onTimeout`), or until woken. */
  private async sleep(ms: number, onTimeout?: () => void): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        onTimeout?.();
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
  }

  /** Background work yields to requests: waits for `quietMs` without one, at most `maxDelayMs`. */
  private async quiet(): Promise<void> {
    const gate = this.options.quiet;
    if (!gate || gate.quietMs <= 0) return;
    const started = Date.now();
    for (;;) {
      const idle = gate.idleForMs();
      const waited = Date.now() - started;
      if (this.stopping || idle >= gate.quietMs || waited >= gate.maxDelayMs) return;
      await this.sleep(Math.max(1, Math.min(gate.quietMs - idle, gate.maxDelayMs - waited)));
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

  /** The claimed jobs in groups of one kind and payload, in claim order. */
  private group(jobs: readonly JobRecord[]): Group[] {
    const now = this.options.clock.now().getTime();
    const groups = new Map<string, Group>();
    for (const job of jobs) {
      const key = `${job.kind}\u0000${JSON.stringify(job.payload)}`;
      let group = groups.get(key);
      if (!group) {
        group = { jobs: [], controller: new AbortController(), waitMs: new Map() };
        groups.set(key, group);
      }
      group.jobs.push(job);
      group.waitMs.set(job.id, Math.max(0, now - job.runAt.getTime()));
      this.held.set(job.id, group);
    }
    return [...groups.values()];
  }

  private execute(group: Group): Running {
    const started = Date.now();
    const entry: Running = { group, done: Promise.resolve() };
    entry.done = this.attempt(group.jobs[0] as JobRecord, group.controller.signal)
      .then(async (error) => {
        // the jobs still held (not handed back by stop, nor lost to an expired lease)
        const jobs = group.jobs.filter((job) => this.held.get(job.id) === group);
        const timing = (job: JobRecord) => ({ runMs: Date.now() - started, waitMs: group.waitMs.get(job.id) ?? 0 });
        if (error === undefined) {
          for (const job of jobs) this.succeeded.push({ job, ...timing(job) });
          return;
        }
        for (const job of jobs) {
          this.held.delete(job.id);
          const outcome = await this.recordFailure(job, error);
          if (outcome) this.options.onTried?.(job, outcome, timing(job));
        }
      })
      .finally(() => {
        this.running.delete(entry);
        this.wakeUp?.();
      });
    this.running.add(entry);
    return entry;
  }

  /** Runs the handler: undefined when it succeeded, else what it threw. */
  private async attempt(job: JobRecord, signal: AbortSignal): Promise<unknown> {
    const handler = this.options.handlers[job.kind as JobKind] as JobHandler<JobKind> | undefined;
    try {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      await handler(job.payload as JobPayloads[JobKind], { job, signal });
      return undefined;
    } catch (error) {
      return error ?? new Error('the job failed');
    }
  }

  /** Deletes every job whose handler succeeded since the last time, in one statement. */
  private async completeSucceeded(): Promise<void> {
    if (this.succeeded.length === 0) return;
    const batch = this.succeeded;
    this.succeeded = [];
    for (const { job } of batch) this.held.delete(job.id);
    let completed: Set<number>;
    try {
      completed = new Set(
        await this.options.jobs.complete(
          batch.map(({ job }) => job.id),
          this.workerId,
        ),
      );
    } catch (error) {
      // The jobs ran; their rows stay leased and run again when the leases expire (handlers are idempotent).
      for (const { job } of batch) this.options.onError?.(error, job);
      return;
    }
    for (const { job, runMs, waitMs } of batch) this.options.onTried?.(job, completed.has(job.id) ? 'done' : 'lost', { runMs, waitMs });
  }

  /** Hands a group's jobs back to the queue untried. */
  private async release(group: Group): Promise<void> {
    for (const job of group.jobs) {
      this.held.delete(job.id);
      await this.options.jobs.release(job.id, this.workerId, this.options.clock.now()).catch(() => false);
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
    for (const [id, group] of [...this.held]) {
      try {
        const held = await this.options.jobs.heartbeat(id, this.workerId, lockedUntil);
        if (held) continue;
        // another worker may run it: a running group stops; one not started yet is dropped
        this.held.delete(id);
        group.jobs = group.jobs.filter((job) => job.id !== id);
        if (group.jobs.length > 0) continue;
        this.pending = this.pending.filter((g) => g !== group);
        group.controller.abort(new Error('lease lost: another worker may run this job'));
      } catch (error) {
        this.options.onError?.(
          error,
          group.jobs.find((job) => job.id === id),
        );
      }
    }
  }
}
