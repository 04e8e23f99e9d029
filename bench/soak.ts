// Issue 12.7: soak with faults. `npm run bench:soak -- [--minutes 5] [--publishers 2] [--installers 2]`
// 3 instances (the bundled server) behind HAProxy on one PostgreSQL database and one blob
// directory, with a redis-server of its own (the machine's Redis is shared: never restarted here).
// Publishers publish new versions and installers read documents and objects through the balancer
// for the whole run, while phases inject faults: an instance SIGKILLed and restarted, Redis
// killed and restarted. Afterwards: every publish answered 201 is read back with its bytes,
// `admin fsck` is clean, the only errors inside fault windows must be 503 with Retry-After, and no
// job is lost (the queue drains: every job done or dead with its reason, none stuck running).
// Writes bench/results/soak-2026-12-07.md. Needs POSTGRES_URL (a server) and nothing else.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodePublishBody, REPO_ROOT, startRedisServer, startTopology, type Topology } from '@entropic/testkit';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    publishers: { type: 'string', default: '2' },
    installers: { type: 'string', default: '2' },
    'blob-store': { type: 'string', default: 's3' },
    out: { type: 'string', default: 'bench/results/soak-2026-12-07.md' },
  },
});
const totalMs = Number(values.minutes) * 60_000;
const postgresUrl = process.env.POSTGRES_URL;
const SECRET = 'soak-secret-that-is-long-enough-0123456789';

interface Outcome {
  phase: string;
  kind: 'publish' | 'read';
  status: number;
  retryAfter: boolean;
  ms: number;
  detail?: string;
}

const sha512 = (bytes: Uint8Array | string) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

/** The phases, in order: [name, share of the run, fault started at its beginning, ended after faultMs]. */
function phases(t: Topology, redis: Awaited<ReturnType<typeof startRedisServer>>) {
  const victim = t.instances[2] as Topology['instances'][0];
  return [
    { name: 'baseline', share: 0.15, fault: undefined },
    {
      name: 'instance i3 SIGKILLed, restarted after 15 s',
      share: 0.25,
      fault: async () => {
        await victim.kill('SIGKILL');
        await sleep(15_000);
        await victim.restart();
      },
    },
    {
      name: 'Redis SIGKILLed, restarted after 5 s',
      share: 0.25,
      fault: async () => {
        await redis.kill();
        await sleep(5_000);
        await redis.restart();
      },
    },
    ...(t.s3
      ? [
          {
            name: 'object store unreachable 10 s (radosgw SIGSTOPped, then SIGCONT)',
            share: 0.2,
            fault: async () => {
              // scripts/s3-gateway.sh writes the daemons' pids in start order: radosgw last
              const pid = Number((await readFile(join((t.s3 as { dir: string }).dir, 'pids'), 'utf8')).trim().split('\n').at(-1));
              process.kill(pid, 'SIGSTOP');
              await sleep(10_000);
              process.kill(pid, 'SIGCONT');
            },
          },
        ]
      : []),
    { name: 'after the faults', share: t.s3 ? 0.15 : 0.35, fault: undefined },
  ];
}

async function main(): Promise<void> {
  if (!postgresUrl) throw new Error('set POSTGRES_URL (a PostgreSQL server; a database is made and dropped)');
  execFileSync(process.execPath, [`${REPO_ROOT}/scripts/build-server.mjs`], { stdio: 'inherit' });
  const redisDir = await mkdtemp(join(tmpdir(), 'entropic-soak-redis-'));
  const redis = await startRedisServer({ dir: redisDir });
  const t = await startTopology({
    postgresUrl,
    redisUrl: redis.url,
    instances: 3,
    entry: 'dist',
    checkIntervalMs: 500,
    blobStore: values['blob-store'] === 's3' ? 's3' : 'fs',
    env: { NODE_ENV: 'production', SESSION_SECRET: SECRET, OAUTH_PASSWORD: SECRET, LOG_LEVEL: 'warn' },
  });
  const started = new Date().toISOString();
  const loadBefore = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  try {
    const token = (await t.admin(['user', 'create', 'soak'])).trim().split('\n').at(-1) as string;
    const outcomes: Outcome[] = [];
    const published: Array<{ name: string; version: string; content: string }> = [];
    let phase = 'baseline';
    let running = true;
    const timed = async (kind: Outcome['kind'], run: () => Promise<Response>): Promise<Response | undefined> => {
      const start = performance.now();
      try {
        const response = await run();
        outcomes.push({
          phase,
          kind,
          status: response.status,
          retryAfter: response.headers.has('retry-after'),
          ms: performance.now() - start,
        });
        return response;
      } catch (error) {
        outcomes.push({
          phase,
          kind,
          status: 0,
          retryAfter: false,
          ms: performance.now() - start,
          detail: String((error as Error).cause ?? error),
        });
        return undefined;
      }
    };
    const publisher = async (p: number) => {
      for (let n = 0; running; n++) {
        const name = `pkg-${p}`;
        const version = `1.0.${n}`;
        const content = `module.exports = '${name}@${version}';\n${'x'.repeat((n % 50) * 100)}\n`;
        const { payload, contentType } = await encodePublishBody({ files: { 'index.js': content } });
        const response = await timed('publish', () =>
          fetch(`${t.url}/packages/package/soak/${name}/versions/${version}`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
            body: new Uint8Array(payload),
          }),
        );
        await response?.arrayBuffer();
        if (response?.status === 201) published.push({ name, version, content });
        else if (response?.status === 503) await sleep(1000 * Number(response.headers.get('retry-after') ?? 1));
      }
    };
    const installer = async () => {
      while (running) {
        const target = published[Math.floor(Math.random() * published.length)];
        if (!target) {
          await sleep(200);
          continue;
        }
        const doc = await timed('read', () => fetch(`${t.url}/packages/package/soak/${target.name}/versions/${target.version}`));
        if (doc?.status !== 200) {
          await doc?.arrayBuffer();
          if (doc?.status === 503) await sleep(1000);
          continue;
        }
        const integrity = ((await doc.json()) as { files: Record<string, string> }).files['./package/index.js'] as string;
        const object = await timed('read', () => fetch(`${t.url}/objects/object/sha512/${encodeURIComponent(integrity.slice(7))}`));
        await object?.arrayBuffer();
      }
    };
    const load = Promise.all([
      ...Array.from({ length: Number(values.publishers) }, (_, p) => publisher(p)),
      ...Array.from({ length: Number(values.installers) }, () => installer()),
    ]);
    const windows: Array<{ name: string; ms: number; faultMs: number }> = [];
    for (const step of phases(t, redis)) {
      phase = step.name;
      const begin = Date.now();
      console.error(`${new Date().toISOString()} phase: ${phase}`);
      const faultStart = Date.now();
      if (step.fault) await step.fault().catch((error) => console.error('fault step failed:', error));
      const faultMs = step.fault ? Date.now() - faultStart : 0;
      const rest = totalMs * step.share - (Date.now() - begin);
      if (rest > 0) await sleep(rest);
      windows.push({ name: step.name, ms: Date.now() - begin, faultMs });
    }
    running = false;
    await load;

    // the oracle
    let unreadable = 0;
    for (const { name, version, content } of published) {
      const doc = await fetch(`${t.url}/packages/package/soak/${name}/versions/${version}`);
      const integrity = doc.ok ? (((await doc.json()) as { files: Record<string, string> }).files['./package/index.js'] as string) : '';
      const object = integrity ? await fetch(`${t.url}/objects/object/sha512/${encodeURIComponent(integrity.slice(7))}`) : undefined;
      const bytes = object?.ok ? new Uint8Array(await object.arrayBuffer()) : undefined;
      if (integrity !== sha512(content) || !bytes || sha512(bytes) !== integrity) unreadable++;
    }
    const fsck = await t.admin(['fsck']).catch((error: Error) => error.message);
    const jobs = await checkJobs(t.databaseUrl);
    const report = render({ outcomes, windows, published: published.length, unreadable, fsck, jobs, started, loadBefore });
    console.log(report);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${REPO_ROOT}/${values.out}`, report);
  } finally {
    await t.stop();
    await redis.stop();
    await rm(redisDir, { recursive: true, force: true });
  }
}

interface JobsOracle {
  /** how long the queue took to have nothing queued or running after the load stopped (ms), or undefined when it never did */
  drainedMs: number | undefined;
  counts: Record<string, number>;
  /** dead jobs: kind, tries and the first line of their error */
  dead: string[];
  /** dead jobs without an error recorded (a reason is required) */
  deadWithoutReason: number;
  /** versions (answered 201) without their npm tarball and without a dead npm-tarball job saying why */
  versionsWithoutTarball: number;
  /** soak packages with versions but no search document */
  packagesNotIndexed: number;
  versions: number;
}

/**
 * "No job lost": once the load stopped, the queue drains (a job leased by the killed instance
 * runs elsewhere after its lease, JOBS_LEASE_SECONDS, 30 s), then nothing is queued or running,
 * every dead job has its reason, every version answered 201 has the npm tarball its job builds
 * (or a dead job saying why), and every package is in the search index (its search-index jobs).
 */
async function checkJobs(databaseUrl: string): Promise<JobsOracle> {
  const pg = (await import('pg')).default;
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const counts = async () => {
      // the periodic blob-repack job (packing is on by default) is always queued: not the soak's work
      const { rows } = await db.query("SELECT state, count(*)::int AS n FROM jobs WHERE kind <> 'blob-repack' GROUP BY state");
      const result: Record<string, number> = { queued: 0, running: 0, dead: 0 };
      for (const row of rows) result[row.state] = row.n;
      return result;
    };
    const begin = Date.now();
    let drainedMs: number | undefined;
    // bounded: a lease (30 s) plus retries' backoff; a queue that never drains is the finding
    while (Date.now() - begin < 180_000) {
      const now = await counts();
      if (now.queued === 0 && now.running === 0) {
        drainedMs = Date.now() - begin;
        break;
      }
      await sleep(1000);
    }
    const dead = await db.query("SELECT kind, attempts, last_error FROM jobs WHERE state = 'dead' ORDER BY id");
    const untarred = await db.query(
      `SELECT count(*)::int AS n FROM versions v JOIN packages p ON p.id = v.package_id
       WHERE NOT EXISTS (SELECT 1 FROM npm_tarballs t WHERE t.version_id = v.id)
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.state = 'dead' AND j.kind = 'npm-tarball' AND j.payload->>'versionId' = v.id::text)`,
    );
    const unindexed = await db.query(
      `SELECT count(*)::int AS n FROM packages p
       WHERE EXISTS (SELECT 1 FROM versions v WHERE v.package_id = p.id)
         AND NOT EXISTS (SELECT 1 FROM package_search s WHERE s.package_id = p.id)`,
    );
    const versions = await db.query('SELECT count(*)::int AS n FROM versions');
    return {
      drainedMs,
      counts: await counts(),
      dead: dead.rows.map((row) => `${row.kind} after ${row.attempts} tries: ${String(row.last_error ?? '').split('\n')[0]}`),
      deadWithoutReason: dead.rows.filter((row) => !row.last_error).length,
      versionsWithoutTarball: untarred.rows[0].n,
      packagesNotIndexed: unindexed.rows[0].n,
      versions: versions.rows[0].n,
    };
  } finally {
    await db.end();
  }
}

function renderJobs(j: JobsOracle): string {
  const clean =
    j.drainedMs !== undefined &&
    j.counts.running === 0 &&
    j.deadWithoutReason === 0 &&
    j.versionsWithoutTarball === 0 &&
    j.packagesNotIndexed === 0;
  return (
    `Jobs (no job lost: ${clean ? 'yes' : 'NO'}): the queue ${j.drainedMs === undefined ? 'did not drain within 180 s' : `had nothing queued or running ${(j.drainedMs / 1000).toFixed(0)} s after the load stopped`}; ` +
    `then queued ${j.counts.queued}, running ${j.counts.running}, dead ${j.counts.dead}` +
    (j.dead.length ? ` (${[...new Set(j.dead)].slice(0, 5).join('; ')})` : '') +
    `; ${j.deadWithoutReason} dead without a reason; of ${j.versions} versions, ${j.versionsWithoutTarball} without the npm tarball their job builds (and no dead job saying why); ` +
    `${j.packagesNotIndexed} packages with versions missing from the search index.`
  );
}

function render(r: {
  outcomes: Outcome[];
  jobs: JobsOracle;
  windows: Array<{ name: string; ms: number; faultMs: number }>;
  published: number;
  unreadable: number;
  fsck: string;
  started: string;
  loadBefore: string;
}): string {
  const rows = r.windows.flatMap((w) =>
    (['publish', 'read'] as const).map((kind) => {
      const mine = r.outcomes.filter((o) => o.phase === w.name && o.kind === kind);
      const byStatus: Record<string, number> = {};
      for (const o of mine) {
        const key =
          o.status === 0
            ? 'no answer'
            : o.status === 503
              ? o.retryAfter
                ? '503+Retry-After'
                : '503 without Retry-After'
              : String(o.status);
        byStatus[key] = (byStatus[key] ?? 0) + 1;
      }
      const ok = mine
        .filter((o) => o.status >= 200 && o.status < 300)
        .map((o) => o.ms)
        .sort((a, b) => a - b);
      const statuses = Object.entries(byStatus)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
      return `| ${w.name} (${Math.round(w.ms / 1000)} s${w.faultMs ? `, fault ${Math.round(w.faultMs / 1000)} s` : ''}) | ${kind} | ${mine.length} | ${statuses} | ${percentile(ok, 50).toFixed(1)} | ${percentile(ok, 99).toFixed(1)} |`;
    }),
  );
  const bad = r.outcomes.filter((o) => !(o.status >= 200 && o.status < 300) && !(o.status === 503 && o.retryAfter) && o.status !== 404);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  return [
    '# Soak with faults, 2026-12-07',
    '',
    `Command: \`POSTGRES_URL=postgres://postgres@127.0.0.1:5432/<db> npm run bench:soak -- --minutes ${values.minutes} --publishers ${values.publishers} --installers ${values.installers} --blob-store ${values['blob-store']}\` ` +
      `(bench/soak.ts) at ${commit}, started ${r.started}, load average before ${r.loadBefore}.`,
    '',
    'Topology: 3 instances of the bundled server (NODE_ENV=production) behind HAProxy 2.6 (checks of GET /-/ready every 500 ms), one ' +
      `PostgreSQL database, a redis-server of its own (not the shared one), blob store: ${values['blob-store'] === 's3' ? 'S3 (a Ceph RADOS Gateway of its own, startS3Gateway)' : 'one shared directory (BLOB_STORE=fs)'}. ` +
      'Publishers publish new versions of their package in a loop (waiting Retry-After on a 503); ' +
      'installers read a random published version document and its object.',
    '',
    '| phase | kind | requests | answers by status | p50 ms (2xx) | p99 ms (2xx) |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Oracle: ${r.published} publishes answered 201; ${r.unreadable} of them not readable with the right bytes afterwards. ` +
      `\`admin fsck\`: ${r.fsck.trim().split('\n').at(-1)}. Answers other than 2xx, 404 or 503 with Retry-After: ${bad.length}` +
      (bad.length
        ? ` (${[...new Set(bad.map((o) => `${o.kind} ${o.status}${o.detail ? ` ${o.detail}` : ''}`))].slice(0, 10).join('; ')})`
        : '') +
      '.',
    '',
    renderJobs(r.jobs),
    '',
  ].join('\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
