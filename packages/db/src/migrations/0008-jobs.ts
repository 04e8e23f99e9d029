/**
 * Issue 12.2: the durable job queue. A job is a row inserted in the transaction of the change that
 * needs it; workers lease due rows (`FOR UPDATE SKIP LOCKED`), a finished job is deleted, a failed
 * one waits for its backoff (`run_at`) or, after its last try, stays `dead` with its error.
 */
export const statements = [
  `CREATE TABLE jobs (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL CHECK (max_attempts > 0),
    run_at timestamptz NOT NULL,
    locked_by text,
    locked_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  // What a worker's claim reads: due queued jobs, and running ones whose lease may have expired.
  `CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'queued'`,
  `CREATE INDEX jobs_leased ON jobs (locked_until) WHERE state = 'running'`,
];
