// Issue 12.2: `npm run worker` as separate processes on PostgreSQL, the registry started with
// JOBS_IN_SERVER=0 (it enqueues, never runs jobs). A publish's README and npm tarball jobs are done
// by a worker process; a worker killed with -9 in the middle of a job leaves it leased, and a
// second worker runs it once the lease expired; a job that fails every try is dead after its last
// one, with its error, in `admin jobs`.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePublishBody, type RegistryProcess, startRegistryProcess, startWorkerProcess, type WorkerProcess } from '@entropic/testkit';
import pg from 'pg';

const postgresUrl = process.env.POSTGRES_URL;

/** Bounds on a loaded machine: they bound a hang, not speed. */
const JOBS_DONE_MS = 120_000;
const LEASE_SECONDS = 3;
/** every worker: a short lease (a killed worker's job is free again after 3 s) and backoff capped at 1 s (8 tries in seconds) */
const WORKER_ENV = { JOBS_LEASE_SECONDS: String(LEASE_SECONDS), JOBS_POLL_MS: '200', JOBS_MAX_BACKOFF_SECONDS: '1' };

interface ListedJob {
  id: number;
  kind: string;
  state: 'queued' | 'running' | 'dead';
  attempts: number;
  lockedBy: string | null;
  lastError: string | null;
}

async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Every file under `dir` whose name starts with `prefix` (the blob store names objects by their hex digest). */
async function filesStartingWith(dir: string, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.startsWith(prefix)) found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

describe('npm run worker: separate worker processes on PostgreSQL (JOBS_IN_SERVER=0)', {
  skip: postgresUrl ? false : 'needs POSTGRES_URL (PGlite belongs to one process: no separate workers on the embedded database)',
  timeout: 600_000,
}, () => {
  let registry: RegistryProcess;
  let token: string;
  let db: pg.Client;
  const workers: WorkerProcess[] = [];
  const startWorker = async () => {
    const worker = await startWorkerProcess(registry, WORKER_ENV);
    workers.push(worker);
    return worker;
  };

  before(async () => {
    registry = await startRegistryProcess({ env: { JOBS_IN_SERVER: '0' } });
    token = (await registry.createUser('alice')).token;
    // the registry's own schema (its POSTGRES_URL sets the search_path)
    db = new pg.Client({ connectionString: registry.env.POSTGRES_URL });
    await db.connect();
  });
  after(async () => {
    for (const w of workers) {
      try {
        process.kill(w.pid, 'SIGCONT');
      } catch {}
    }
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await db?.end();
    await registry?.stop();
  });

  const publish = async (name: string, readme: string) => {
    const { payload, contentType } = await encodePublishBody({
      files: { 'package.json': JSON.stringify({ name, description: 'worked on by a worker' }), 'README.md': readme, 'index.js': '1' },
    });
    const response = await fetch(`${registry.url}/packages/package/alice/${name}/versions/1.0.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: new Uint8Array(payload),
    });
    assert.equal(response.status, 201, await response.text());
  };
  /** the version's jobs (those whose payload names it), read in the queue's table: polling through `admin` would start a process each time */
  const jobsOf = async (versionId: number): Promise<ListedJob[]> =>
    (
      await db.query(
        `SELECT id::int, kind, state, attempts, locked_by, last_error FROM jobs WHERE payload->>'versionId' = $1 ORDER BY id`,
        [String(versionId)],
      )
    ).rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      state: row.state,
      attempts: row.attempts,
      lockedBy: row.locked_by,
      lastError: row.last_error,
    }));
  const readmeJob = async (name: string) => {
    const { rows } = await db.query(
      'SELECT v.id FROM versions v JOIN packages p ON p.id = v.package_id WHERE p.name = $1 AND v.version = $2',
      [name, '1.0.0'],
    );
    const versionId = rows[0]?.id as number;
    const job = (await jobsOf(versionId)).find((j) => j.kind === 'render-readme');
    assert.ok(job, `${name}'s publish enqueued its render-readme job`);
    return { versionId, job };
  };
  /** the version's recorded ./readme.html (read in the database: the registry's response cache is not what is tested here) */
  const derivedReadme = async (versionId: number): Promise<string | undefined> => {
    const { rows } = await db.query('SELECT derived_files FROM versions WHERE id = $1', [versionId]);
    return rows[0]?.derived_files?.['./readme.html'];
  };
  const tarballRecorded = async (versionId: number) =>
    (await db.query('SELECT 1 FROM npm_tarballs WHERE version_id = $1', [versionId])).rowCount === 1;

  it("a publish's README and npm tarball jobs wait for a worker; a worker process does them", async () => {
    await publish('worked', '# Worked\n\nrendered by a worker process\n');
    const { versionId } = await readmeJob('worked');
    // The registry runs no jobs (JOBS_IN_SERVER=0): after a while they are all still queued.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual((await jobsOf(versionId)).map((j) => [j.kind, j.state]).sort(), [
      ['npm-tarball', 'queued'],
      ['render-readme', 'queued'],
    ]);
    assert.equal(await tarballRecorded(versionId), false);
    // two workers (the second takes over in the next test); started together, each start costs seconds
    await Promise.all([startWorker(), startWorker()]);
    await waitUntil("the worker to finish the version's jobs", JOBS_DONE_MS, async () =>
      (await jobsOf(versionId)).length === 0 ? true : undefined,
    );
    assert.equal(await tarballRecorded(versionId), true, 'the npm-tarball job recorded the tarball');
    assert.match((await derivedReadme(versionId)) ?? '', /^sha512-/, 'the render-readme job recorded ./readme.html');
  });

  it('a worker killed with -9 in the middle of a job: the job stays leased, and another worker runs it once the lease expired', async () => {
    const [first, second] = workers as [WorkerProcess, WorkerProcess];
    // Holding the version's row keeps the README job in the middle of its work: it rendered and
    // stored the HTML, and waits to record it (UPDATE versions) in its transaction.
    const blocker = new pg.Client({ connectionString: registry.env.POSTGRES_URL });
    await blocker.connect();
    try {
      // both stopped while the version is published and its row locked; then only the first goes on
      process.kill(first.pid, 'SIGSTOP');
      process.kill(second.pid, 'SIGSTOP');
      await publish('killed', '# Killed\n\nthe first worker dies in the middle of this\n');
      const { versionId, job } = await readmeJob('killed');
      await blocker.query('BEGIN');
      await blocker.query('SELECT id FROM versions WHERE id = $1 FOR UPDATE', [versionId]);
      process.kill(first.pid, 'SIGCONT');
      const leased = await waitUntil('the first worker to take the README job', JOBS_DONE_MS, async () => {
        const row = (await jobsOf(versionId)).find((j) => j.id === job.id);
        return row?.state === 'running' ? row : undefined;
      });
      assert.equal(leased.lockedBy, first.workerId);
      assert.equal(leased.attempts, 1);
      assert.equal(await first.kill('SIGKILL'), 'SIGKILL');
      // its transaction dies with its connection once the row is free; nothing was recorded
      await blocker.query('ROLLBACK');
      assert.equal(await derivedReadme(versionId), undefined);
      const stillLeased = (await jobsOf(versionId)).find((j) => j.id === job.id);
      assert.equal(stillLeased?.state, 'running', 'the killed worker still holds the lease');
      assert.equal(stillLeased?.lockedBy, first.workerId);
      assert.notEqual(second.workerId, first.workerId);
      process.kill(second.pid, 'SIGCONT');
      await waitUntil('the second worker to run the README job after the lease expired', JOBS_DONE_MS + LEASE_SECONDS * 1000, async () =>
        (await jobsOf(versionId)).length === 0 ? true : undefined,
      );
      assert.match((await derivedReadme(versionId)) ?? '', /^sha512-/, 'the second worker recorded ./readme.html');
    } finally {
      await blocker.end();
    }
  });

  it('a job that fails every try is dead after its last one, with its error, in admin jobs', async () => {
    // The worker is stopped while the README's bytes are removed from the blob store (a damaged
    // store): every try of its render-readme job then fails.
    const worker = workers[1] as WorkerProcess;
    process.kill(worker.pid, 'SIGSTOP');
    const readme = `# Broken\n\n${randomBytes(16).toString('hex')}\n`;
    await publish('broken', readme);
    const { versionId, job } = await readmeJob('broken');
    const hex = createHash('sha512').update(readme).digest('hex');
    // the publish's sync journal is checkpointed into the object files within about a second
    const objects = await waitUntil('the README object on disk', 30_000, async () => {
      const found = await filesStartingWith(registry.dataDir, hex);
      return found.length > 0 ? found : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500));
    for (const file of await filesStartingWith(registry.dataDir, hex)) await unlink(file);
    assert.ok(objects.length > 0);
    process.kill(worker.pid, 'SIGCONT');
    const dead = await waitUntil('the README job to be dead', JOBS_DONE_MS, async () => {
      const row = (await jobsOf(versionId)).find((j) => j.id === job.id);
      return row?.state === 'dead' ? row : undefined;
    });
    assert.equal(dead.attempts, 8, 'every try of the render-readme policy was made');
    assert.match(dead.lastError ?? '', /is missing from the blob store/);
    const text = await registry.admin(['jobs', '--state', 'dead', '--kind', 'render-readme']);
    assert.match(text, new RegExp(`^${job.id} DEAD render-readme .* try 8/8 last error: Error: the README \\./package/README\\.md`, 'm'));
    assert.match(text.split('\n')[0] ?? '', /\d+ dead\.$/);
  });
});
