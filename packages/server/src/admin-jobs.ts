import type { JobRecord, JobState } from '@entropic/core';
import type { ServerDeps } from './deps.ts';

const STATES: readonly JobState[] = ['queued', 'running', 'dead'];
const MAX_ERROR_LINE = 200;

export interface JobsCommandInput {
  /** `list` (default), `retry` or `drop` */
  action: string | undefined;
  /** the job id of `retry` / `drop` */
  id: string | undefined;
  state?: string | undefined;
  kind?: string | undefined;
  limit?: string | undefined;
  json?: boolean | undefined;
}

/** What an admin command prints, and its exit code. */
export interface CommandOutput {
  code: number;
  lines: string[];
}

/** Thrown for a malformed `admin jobs` command line (the caller prints the usage). */
export class JobsUsageError extends Error {}

/** `admin jobs [list|retry <id>|drop <id>]`: the queue's jobs by state, retrying a dead or waiting job now, dropping one. */
export async function runJobsCommand(deps: ServerDeps, input: JobsCommandInput): Promise<CommandOutput> {
  const action = input.action ?? 'list';
  if (action === 'list') return listJobs(deps, input);
  if (action !== 'retry' && action !== 'drop') throw new JobsUsageError(`unknown jobs command "${action}"`);
  const id = Number(input.id);
  if (!input.id || !Number.isSafeInteger(id) || id < 1) throw new JobsUsageError(`jobs ${action} needs a job id`);
  const job = await deps.repos.jobs.find(id);
  if (!job) return { code: 1, lines: [`No job ${id}.`] };
  if (job.state === 'running') return { code: 1, lines: [`Job ${id} (${job.kind}) is running on ${job.lockedBy}; it is left alone.`] };
  if (action === 'retry') {
    const done = await deps.repos.jobs.retry(id, deps.clock.now());
    return done
      ? { code: 0, lines: [`Job ${id} (${job.kind}) is queued to run now, with all its tries.`] }
      : { code: 1, lines: [`Job ${id} could not be retried.`] };
  }
  const done = await deps.repos.jobs.drop(id);
  return done
    ? { code: 0, lines: [`Dropped job ${id} (${job.kind}, ${job.state}).`] }
    : { code: 1, lines: [`Job ${id} could not be dropped.`] };
}

async function listJobs(deps: ServerDeps, input: JobsCommandInput): Promise<CommandOutput> {
  const state = input.state as JobState | undefined;
  if (state !== undefined && !STATES.includes(state)) throw new JobsUsageError(`--state takes one of ${STATES.join(', ')}`);
  const limit = input.limit === undefined ? 100 : Number(input.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new JobsUsageError('--limit takes a whole number from 1 to 10000');
  const [counts, jobs] = await Promise.all([
    deps.repos.jobs.countByState(),
    deps.repos.jobs.list({ limit, ...(state ? { state } : {}), ...(input.kind ? { kind: input.kind } : {}) }),
  ]);
  if (input.json) return { code: 0, lines: [JSON.stringify({ counts, jobs })] };
  const lines = [`${counts.queued} queued, ${counts.running} running, ${counts.dead} dead.`];
  for (const job of jobs) lines.push(describeJob(job));
  if (jobs.length === limit) lines.push(`(the first ${limit}; --limit shows more)`);
  return { code: 0, lines };
}

function describeJob(job: JobRecord): string {
  const when =
    job.state === 'running'
      ? `on ${job.lockedBy} until ${job.lockedUntil?.toISOString()}`
      : job.state === 'queued'
        ? `runs at ${job.runAt.toISOString()}`
        : '';
  const error = job.lastError ? `last error: ${(job.lastError.split('\n')[0] ?? '').slice(0, MAX_ERROR_LINE)}` : '';
  const parts = [`${job.id} ${job.state.toUpperCase()} ${job.kind} ${JSON.stringify(job.payload)} try ${job.attempts}/${job.maxAttempts}`];
  if (when) parts.push(when);
  if (error) parts.push(error);
  return parts.join(' ');
}
