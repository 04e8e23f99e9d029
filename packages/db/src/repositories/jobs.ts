import {
  type ClaimJobsInput,
  type Clock,
  JOB_POLICIES,
  type JobRecord,
  type JobRepository,
  type JobState,
  type NewJob,
} from '@entropic/core';
import { type Selectable, sql } from 'kysely';
import type { JobsTable } from '../schema.ts';
import type { Executor } from './executor.ts';

function toRecord(row: Selectable<JobsTable>): JobRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    payload: row.payload,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: new Date(row.run_at),
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until === null ? null : new Date(row.locked_until),
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
  };
}

/** One multi-row insert: the new jobs' ids. */
async function insertJobs(db: Executor, clock: Clock, jobs: readonly NewJob[]): Promise<number[]> {
  const now = clock.now();
  const rows = await db
    .insertInto('jobs')
    .values(
      jobs.map((job) => ({
        kind: job.kind,
        payload: JSON.stringify(job.payload),
        state: 'queued' as const,
        max_attempts: JOB_POLICIES[job.kind].maxAttempts,
        run_at: job.runAt ?? now,
        locked_by: null,
        locked_until: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      })),
    )
    .returning('id')
    .execute();
  return rows.map((row) => Number(row.id));
}

/**
 * The job queue on the `jobs` table (PGlite and PostgreSQL alike). `enqueued` is told after an
 * insert outside a transaction; `createUnitOfWork` tells it after a transaction that enqueued commits.
 */
export function jobRepository(db: Executor, clock: Clock, enqueued: () => void): JobRepository {
  return {
    async enqueue(job) {
      const [id] = await insertJobs(db, clock, [job]);
      enqueued();
      return id as number;
    },

    async enqueueAll(jobs) {
      if (jobs.length === 0) return;
      await insertJobs(db, clock, jobs);
      enqueued();
    },

    claim: (input) => claimJobs(db, input),

    async heartbeat(id, workerId, lockedUntil) {
      const result = await db
        .updateTable('jobs')
        .set({ locked_until: lockedUntil })
        .where('id', '=', id)
        .where('state', '=', 'running')
        .where('locked_by', '=', workerId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async complete(ids, workerId) {
      if (ids.length === 0) return [];
      const rows = await db
        .deleteFrom('jobs')
        .where('id', 'in', ids)
        .where('state', '=', 'running')
        .where('locked_by', '=', workerId)
        .returning('id')
        .execute();
      return rows.map((row) => Number(row.id));
    },

    async fail(id, workerId, { error, retryAt }) {
      const now = clock.now();
      const row = await db
        .updateTable('jobs')
        .set({
          state: sql<JobState>`CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END`,
          run_at: sql<Date>`CASE WHEN attempts >= max_attempts THEN run_at ELSE ${retryAt}::timestamptz END`,
          locked_by: null,
          locked_until: null,
          last_error: error,
          updated_at: now,
        })
        .where('id', '=', id)
        .where('state', '=', 'running')
        .where('locked_by', '=', workerId)
        .returning('state')
        .executeTakeFirst();
      if (!row) return 'lost';
      return row.state === 'dead' ? 'dead' : 'retrying';
    },

    async release(id, workerId, runAt) {
      const result = await db
        .updateTable('jobs')
        .set((eb) => ({
          state: 'queued',
          attempts: eb('attempts', '-', 1),
          run_at: runAt,
          locked_by: null,
          locked_until: null,
          updated_at: clock.now(),
        }))
        .where('id', '=', id)
        .where('state', '=', 'running')
        .where('locked_by', '=', workerId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async list({ state, kind, afterId = 0, limit }) {
      let query = db.selectFrom('jobs').selectAll().where('id', '>', afterId);
      if (state) query = query.where('state', '=', state);
      if (kind) query = query.where('kind', '=', kind);
      const rows = await query.orderBy('id').limit(limit).execute();
      return rows.map(toRecord);
    },

    async find(id) {
      const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async retry(id, now) {
      const result = await db
        .updateTable('jobs')
        .set({ state: 'queued', attempts: 0, run_at: now, updated_at: now })
        .where('id', '=', id)
        .where('state', 'in', ['queued', 'dead'])
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      enqueued();
      return true;
    },

    async drop(id) {
      const result = await db.deleteFrom('jobs').where('id', '=', id).where('state', 'in', ['queued', 'dead']).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async countByState() {
      const rows = await db
        .selectFrom('jobs')
        .select(['state', (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy('state')
        .execute();
      const counts: Record<JobState, number> = { queued: 0, running: 0, dead: 0 };
      for (const row of rows) counts[row.state] = Number(row.count);
      return counts;
    },
  };
}

/**
 * Buries jobs whose lease expired on their last try and leases due ones, in one statement (see
 * `JobRepository.claim`). The two sets are disjoint (tries left or not), so the data-modifying CTE
 * and the update never touch one row.
 */
async function claimJobs(db: Executor, { kinds, workerId, now, lockedUntil, limit }: ClaimJobsInput): Promise<JobRecord[]> {
  const rows = await db
    // A job whose lease expired on its last try has no try left: it is dead, not run again.
    .with('buried', (qb) =>
      qb
        .updateTable('jobs')
        .set({
          state: 'dead',
          locked_by: null,
          locked_until: null,
          updated_at: now,
          last_error: sql<string>`coalesce(last_error || E'\n', '') || 'lease expired: the worker stopped heartbeating (killed?)'`,
        })
        .where('state', '=', 'running')
        .where('locked_until', '<', now)
        .whereRef('attempts', '>=', 'max_attempts')
        .where('kind', 'in', kinds)
        .returning('id'),
    )
    .updateTable('jobs')
    .set((eb) => ({
      state: 'running',
      attempts: eb('attempts', '+', 1),
      locked_by: workerId,
      locked_until: lockedUntil,
      updated_at: now,
    }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('jobs')
        .select('id')
        .where('kind', 'in', kinds)
        .where((w) =>
          w.or([
            w.and([w('state', '=', 'queued'), w('run_at', '<=', now)]),
            w.and([w('state', '=', 'running'), w('locked_until', '<', now)]),
          ]),
        )
        .whereRef('attempts', '<', 'max_attempts')
        .orderBy('run_at')
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
  return rows.map(toRecord).sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || a.id - b.id);
}
