import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  type Clock,
  JOB_POLICIES,
  type JobHandlers,
  type JobRepository,
  JobWorker,
  type Repositories,
  type UnitOfWork,
} from '@entropic/core';

/** A clock the test moves by hand. */
export class SteppedClock implements Clock {
  constructor(private ms = Date.parse('2026-12-07T12:00:00Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface JobQueueUnderTest {
  repos: Repositories;
  uow: UnitOfWork;
  clock: SteppedClock;
  /** how many times the queue said jobs were enqueued and committed */
  enqueuedSignals(): number;
  /** removes every job (each test starts from an empty queue) */
  clear(): Promise<void>;
}

const README = { versionId: 1, path: './package/README.md' };

function worker(q: JobQueueUnderTest, handlers: JobHandlers, extra: Partial<ConstructorParameters<typeof JobWorker>[0]> = {}) {
  return new JobWorker({
    jobs: q.repos.jobs,
    clock: q.clock,
    handlers,
    pollMs: 20,
    backoff: { 'render-readme': { backoffMs: 1000, maxBackoffMs: 60_000 } },
    ...extra,
  });
}

async function only(jobs: JobRepository) {
  const all = await jobs.list({ limit: 100 });
  assert.equal(all.length, 1, `expected one job, found ${all.length}`);
  return all[0] as NonNullable<(typeof all)[0]>;
}

/** The job queue's contract: every implementation (PGlite, PostgreSQL) passes it. */
export function jobQueueContract(name: string, get: () => JobQueueUnderTest): void {
  describe(`job queue contract: ${name}`, () => {
    beforeEach(() => get().clear());

    it('enqueueAll stores several jobs in one call, signalled once after the commit; rolled back, none of them exists', async () => {
      const q = get();
      const before = q.enqueuedSignals();
      await assert.rejects(
        q.uow.transaction(async (repos) => {
          await repos.jobs.enqueueAll([
            { kind: 'npm-tarball', payload: { versionId: 3 } },
            { kind: 'render-readme', payload: README },
          ]);
          throw new Error('the change failed');
        }),
        /the change failed/,
      );
      assert.deepEqual(await q.repos.jobs.countByState(), { queued: 0, running: 0, dead: 0 });
      await q.uow.transaction(async (repos) => {
        await repos.jobs.enqueueAll([
          { kind: 'npm-tarball', payload: { versionId: 3 } },
          { kind: 'render-readme', payload: README },
        ]);
        assert.equal(q.enqueuedSignals(), before, 'signalled before the commit');
      });
      assert.equal(q.enqueuedSignals(), before + 1);
      const jobs = await q.repos.jobs.list({ limit: 10 });
      assert.deepEqual(jobs.map((j) => [j.kind, j.payload, j.state, j.maxAttempts]).sort(), [
        ['npm-tarball', { versionId: 3 }, 'queued', JOB_POLICIES['npm-tarball'].maxAttempts],
        ['render-readme', README, 'queued', JOB_POLICIES['render-readme'].maxAttempts],
      ]);
      await q.repos.jobs.enqueueAll([]);
      assert.equal(q.enqueuedSignals(), before + 1, 'nothing to signal');
    });

    it('a job enqueued in a committed transaction is stored and signalled after the commit; a rolled-back one never exists', async () => {
      const q = get();
      const before = q.enqueuedSignals();
      await q.uow.transaction(async (repos) => {
        await repos.jobs.enqueue({ kind: 'render-readme', payload: README });
        assert.equal(q.enqueuedSignals(), before, 'signalled before the commit');
      });
      assert.equal(q.enqueuedSignals(), before + 1);
      await assert.rejects(
        q.uow.transaction(async (repos) => {
          await repos.jobs.enqueue({ kind: 'npm-tarball', payload: { versionId: 2 } });
          throw new Error('the change failed');
        }),
        /the change failed/,
      );
      assert.equal(q.enqueuedSignals(), before + 1);
      const job = await only(q.repos.jobs);
      assert.equal(job.kind, 'render-readme');
      assert.deepEqual(job.payload, README);
      assert.equal(job.state, 'queued');
      assert.equal(job.maxAttempts, JOB_POLICIES['render-readme'].maxAttempts);
      assert.deepEqual(await q.repos.jobs.countByState(), { queued: 1, running: 0, dead: 0 });
    });

    it('a failed try is retried after an exponential backoff, then succeeds and is removed', async () => {
      const q = get();
      await q.repos.jobs.enqueue({ kind: 'render-readme', payload: README });
      let tries = 0;
      const w = worker(q, {
        'render-readme': async (payload) => {
          assert.deepEqual(payload, README);
          tries += 1;
          if (tries < 3) throw new Error(`try ${tries} failed`);
        },
      });
      assert.equal(await w.runDue(), 1);
      let job = await only(q.repos.jobs);
      assert.equal(job.state, 'queued');
      assert.equal(job.attempts, 1);
      assert.match(job.lastError ?? '', /try 1 failed/);
      assert.equal(job.runAt.getTime(), q.clock.now().getTime() + 1000, 'first backoff: 1 s');
      q.clock.advance(999);
      assert.equal(await w.runDue(), 0, 'not before its backoff');
      q.clock.advance(1);
      assert.equal(await w.runDue(), 1);
      job = await only(q.repos.jobs);
      assert.equal(job.runAt.getTime(), q.clock.now().getTime() + 2000, 'second backoff: doubled');
      q.clock.advance(2000);
      assert.equal(await w.runDue(), 1);
      assert.equal(tries, 3);
      assert.deepEqual(await q.repos.jobs.list({ limit: 10 }), []);
    });

    it('after its last try a job is dead with its error, never runs again by itself, and can be retried or dropped', async () => {
      const q = get();
      const id = await q.repos.jobs.enqueue({ kind: 'render-readme', payload: README });
      let tries = 0;
      const w = worker(q, {
        'render-readme': async () => {
          tries += 1;
          throw new Error(`broken README (try ${tries})`);
        },
      });
      const max = JOB_POLICIES['render-readme'].maxAttempts;
      for (let i = 0; i < max; i += 1) {
        assert.equal(await w.runDue(), 1, `try ${i + 1}`);
        q.clock.advance(60_000);
      }
      const dead = await only(q.repos.jobs);
      assert.equal(dead.state, 'dead');
      assert.equal(dead.attempts, max);
      assert.match(dead.lastError ?? '', new RegExp(`broken README \\(try ${max}\\)`));
      q.clock.advance(24 * 3600_000);
      assert.equal(await w.runDue(), 0);
      assert.deepEqual(
        (await q.repos.jobs.list({ state: 'dead', limit: 10 })).map((j) => j.id),
        [id],
      );
      assert.equal(await q.repos.jobs.retry(id, q.clock.now()), true);
      assert.equal((await q.repos.jobs.find(id))?.state, 'queued');
      assert.equal(await w.runDue(), 1);
      assert.equal((await q.repos.jobs.find(id))?.attempts, 1, 'a retried job has all its tries again');
      assert.equal(await q.repos.jobs.drop(id), true);
      assert.equal(await q.repos.jobs.find(id), undefined);
      assert.equal(await q.repos.jobs.drop(id), false);
      assert.equal(await q.repos.jobs.retry(id, q.clock.now()), false);
    });

    it('a job whose worker was killed mid-job runs again on another worker once its lease expires', async () => {
      const q = get();
      const id = await q.repos.jobs.enqueue({ kind: 'render-readme', payload: README });
      const now = q.clock.now();
      // The killed worker claimed it and never heartbeated again.
      const [claimed] = await q.repos.jobs.claim({
        kinds: ['render-readme'],
        workerId: 'killed',
        now,
        lockedUntil: new Date(now.getTime() + 30_000),
        limit: 1,
      });
      assert.equal(claimed?.id, id);
      let ran = 0;
      const live = worker(
        q,
        {
          'render-readme': async () => {
            ran += 1;
          },
        },
        { leaseMs: 30_000 },
      );
      assert.equal(await live.runDue(), 0, 'not while the lease holds');
      q.clock.advance(30_001);
      assert.equal(await live.runDue(), 1);
      assert.equal(ran, 1);
      assert.equal(await q.repos.jobs.find(id), undefined);
      assert.deepEqual(await q.repos.jobs.complete([id], 'killed'), [], 'the killed worker no longer holds it');
    });

    it('a job whose lease expires on its last try is dead, with the reason', async () => {
      const q = get();
      const id = await q.repos.jobs.enqueue({ kind: 'npm-tarball', payload: { versionId: 7 } });
      const max = JOB_POLICIES['npm-tarball'].maxAttempts;
      for (let i = 0; i < max; i += 1) {
        const now = q.clock.now();
        const claimed = await q.repos.jobs.claim({
          kinds: ['npm-tarball'],
          workerId: `killed-${i}`,
          now,
          lockedUntil: new Date(now.getTime() + 1000),
          limit: 1,
        });
        assert.equal(claimed.length, 1, `try ${i + 1}`);
        q.clock.advance(1001);
      }
      const w = worker(q, { 'npm-tarball': async () => assert.fail('a job with no tries left ran') });
      assert.equal(await w.runDue(), 0);
      const dead = await q.repos.jobs.find(id);
      assert.equal(dead?.state, 'dead');
      assert.match(dead?.lastError ?? '', /lease expired/);
    });

    it('two workers never run the same job, and every job runs once', async () => {
      const q = get();
      const ids: number[] = [];
      for (let i = 0; i < 30; i += 1) ids.push(await q.repos.jobs.enqueue({ kind: 'npm-tarball', payload: { versionId: i } }));
      const runs = new Map<number, number>();
      const inFlight = new Set<number>();
      let overlaps = 0;
      const handlers: JobHandlers = {
        'npm-tarball': async ({ versionId }) => {
          if (inFlight.has(versionId)) overlaps += 1;
          inFlight.add(versionId);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inFlight.delete(versionId);
          runs.set(versionId, (runs.get(versionId) ?? 0) + 1);
        },
      };
      const a = worker(q, handlers, { concurrency: 3, workerId: 'a' });
      const b = worker(q, handlers, { concurrency: 3, workerId: 'b' });
      a.start();
      b.start();
      const deadline = Date.now() + 60_000;
      while (runs.size < 30 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await Promise.all([a.stop(), b.stop()]);
      assert.equal(runs.size, 30, `only ${runs.size} of 30 jobs ran within 60 s`);
      assert.deepEqual(
        [...runs.values()].filter((n) => n !== 1),
        [],
        'a job ran more than once',
      );
      assert.equal(overlaps, 0);
      assert.deepEqual(await q.repos.jobs.list({ limit: 100 }), []);
    });

    it('stopping lets a running job finish within the grace, and hands one that does not back to the queue untried', async () => {
      const q = get();
      const quick = await q.repos.jobs.enqueue({ kind: 'npm-tarball', payload: { versionId: 1 } });
      const slow = await q.repos.jobs.enqueue({ kind: 'render-readme', payload: README });
      let started = 0;
      let aborted = false;
      const w = worker(q, {
        'npm-tarball': async () => {
          started += 1;
          await new Promise((resolve) => setTimeout(resolve, 100));
        },
        'render-readme': async (_payload, { signal }) => {
          started += 1;
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          aborted = true;
        },
      });
      w.start();
      const deadline = Date.now() + 30_000;
      while (started < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(started, 2, 'both jobs started within 30 s');
      await w.stop(500);
      assert.equal(await q.repos.jobs.find(quick), undefined, 'the quick job finished');
      const back = await q.repos.jobs.find(slow);
      assert.equal(back?.state, 'queued');
      assert.equal(back?.attempts, 0, 'the handed-back try is not counted');
      assert.equal(aborted, true);
    });

    it('a batch: one claim leases many, jobs of one kind and payload run once, one statement completes them', async () => {
      const q = get();
      const ids: number[] = [];
      for (let i = 0; i < 6; i += 1) ids.push(await q.repos.jobs.enqueue({ kind: 'npm-tarball', payload: { versionId: i % 2 } }));
      ids.push(await q.repos.jobs.enqueue({ kind: 'render-readme', payload: README }));
      const runs: number[] = [];
      let claims = 0;
      let completes = 0;
      const counted: JobRepository = {
        ...q.repos.jobs,
        claim: (input) => {
          claims += 1;
          return q.repos.jobs.claim(input);
        },
        complete: (completed, workerId) => {
          completes += 1;
          return q.repos.jobs.complete(completed, workerId);
        },
      };
      const tried: string[] = [];
      const w = new JobWorker({
        jobs: counted,
        clock: q.clock,
        handlers: {
          'npm-tarball': async ({ versionId }) => void runs.push(versionId),
          'render-readme': async () => void runs.push(-1),
        },
        onTried: (job, outcome) => tried.push(`${job.id}:${outcome}`),
      });
      assert.equal(await w.runDue(), 7, 'all seven held');
      assert.deepEqual(
        runs.sort((a, b) => a - b),
        [-1, 0, 1],
        'the same job three times runs once',
      );
      assert.equal(claims, 1);
      assert.equal(completes, 1);
      assert.deepEqual(tried.sort(), ids.map((id) => `${id}:done`).sort());
      assert.deepEqual(await q.repos.jobs.list({ limit: 100 }), []);
      // a job held by nobody is not completed by the batch
      const other = await q.repos.jobs.enqueue({ kind: 'npm-tarball', payload: { versionId: 9 } });
      assert.deepEqual(await q.repos.jobs.complete([other], w.workerId), [], 'a queued job is not removed');
      assert.equal((await q.repos.jobs.find(other))?.state, 'queued');
    });

    it('a failed run fails every job of its group, each on its own backoff', async () => {
      const q = get();
      const a = await q.repos.jobs.enqueue({ kind: 'render-readme', payload: README });
      const b = await q.repos.jobs.enqueue({ kind: 'render-readme', payload: README });
      let runs = 0;
      const w = worker(q, {
        'render-readme': async () => {
          runs += 1;
          throw new Error('broken');
        },
      });
      assert.equal(await w.runDue(), 2);
      assert.equal(runs, 1);
      for (const id of [a, b]) {
        const job = await q.repos.jobs.find(id);
        assert.equal(job?.state, 'queued');
        assert.equal(job?.attempts, 1);
        assert.match(job?.lastError ?? '', /broken/);
      }
    });

    it('yields to requests: claims only after quietMs without one, or after maxDelayMs at the latest', async () => {
      const q = get();
      await q.repos.jobs.enqueue({ kind: 'npm-tarball', payload: { versionId: 1 } });
      let idleFor = 0;
      let ran = 0;
      const w = worker(
        q,
        {
          'npm-tarball': async () => {
            ran += 1;
          },
        },
        {
          quiet: { idleForMs: () => idleFor, quietMs: 50, maxDelayMs: 60_000 },
        },
      );
      w.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(ran, 0, 'not while requests keep coming');
      idleFor = 50;
      const deadline = Date.now() + 30_000;
      while (ran === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await w.stop();
      assert.equal(ran, 1, 'run once it is quiet');
      await q.repos.jobs.enqueue({ kind: 'npm-tarball', payload: { versionId: 2 } });
      const busy = worker(
        q,
        {
          'npm-tarball': async () => {
            ran += 1;
          },
        },
        {
          quiet: { idleForMs: () => 0, quietMs: 50, maxDelayMs: 100 },
        },
      );
      busy.start();
      const until = Date.now() + 30_000;
      while (ran === 1 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
      await busy.stop();
      assert.equal(ran, 2, 'a busy process still runs its jobs after maxDelayMs');
    });

    it('a running job keeps its lease by heartbeating, so a second worker does not take it', async () => {
      const q = get();
      await q.repos.jobs.enqueue({ kind: 'render-readme', payload: README });
      let runs = 0;
      const handlers: JobHandlers = {
        'render-readme': async () => {
          runs += 1;
          // The first worker's job outlives several leases of 150 ms (of the stepped clock, moved while it runs).
          for (let i = 0; i < 10; i += 1) {
            q.clock.advance(50);
            await new Promise((resolve) => setTimeout(resolve, 30));
          }
        },
      };
      const first = worker(q, handlers, { leaseMs: 150, workerId: 'first' });
      const second = worker(q, handlers, { leaseMs: 150, workerId: 'second' });
      first.start();
      const deadline = Date.now() + 30_000;
      while (runs === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      for (let i = 0; i < 5; i += 1) {
        assert.equal(await second.runDue(), 0, 'the second worker took a leased job');
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      await first.stop();
      assert.equal(runs, 1);
    });
  });
}
