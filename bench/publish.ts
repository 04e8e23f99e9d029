// `npm run bench:publish` (node --import tsx bench/publish.ts): issue 12.3's targets in one run.
// Entropic on the embedded default and/or PostgreSQL + Redis, and Verdaccio 6.8.0, each pinned to
// the server core, the load generator (this process) on the other: sequential publishes by one
// client of 20 files / 200 KB through the Entropic API (multipart PUT), and the same files as the
// document `npm publish` sends (PUT /<name>, base64 tarball) to Entropic and to Verdaccio, in
// interleaved rounds so that the machine's load hits every series alike. Loopback only; every loop
// is bounded in count and in time, and a watchdog stops every child. Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sourceText } from './lib/corpus.ts';
import { canPin, LOAD_CPU, pinProcess } from './lib/cpu.ts';
import { keepAliveAgent, percentile, send } from './lib/load.ts';
import { encodePublishBody, type PublishFile } from './lib/multipart.ts';
import { npmVersion, publishDocument } from './lib/npm-document.ts';
import { startRegistryVerdaccio } from './lib/pinned-verdaccio.ts';
import { type Backend, REPO_ROOT, startRegistry } from './lib/registry.ts';
import { processCpuNs } from './lib/rss.ts';
import { createRunGuard } from './lib/run-guard.ts';

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    count: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '5' },
    'no-write': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    label: { type: 'string' },
    'entropic-root': { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (flags.help) {
  console.log(`Usage: npm run bench:publish -- [--backend embedded|postgres|both] [--count <n>] [--rounds <n>] [--no-write]
  --backend        which Entropic storage to measure (default both; Verdaccio runs once for the whole run)
  --count          measured publishes per series and backend (default 100), after 5 warm-up ones
  --rounds         the series are interleaved in this many rounds (default 5)
  --cpu-prof <dir> run Entropic with --cpu-prof, writing its profiles to <dir>
  --entropic-root  run the Entropic of another checkout (its own node_modules), for before/after figures
  --env KEY=VALUE  an environment variable for Entropic (repeatable), e.g. --env JOBS_QUIET_MS=0
  --label <text>   added to the results file name (publish-<date>-<label>.md)
  --no-write       print the report only (default also writes bench/results/publish-<date>.md)
  --postgres-url   an admin URL for creating/dropping the bench database (BENCH_POSTGRES_URL)
  --redis-url      (BENCH_REDIS_URL)`);
  process.exit(0);
}

const backends: Backend[] =
  flags.backend === 'both' ? ['embedded', 'postgres'] : flags.backend === 'embedded' || flags.backend === 'postgres' ? [flags.backend] : [];
if (backends.length === 0) throw new Error(`--backend: embedded, postgres or both, not ${flags.backend}`);
const COUNT = Math.min(1000, Math.max(1, Number(flags.count)));
const ROUNDS = Math.min(COUNT, Math.max(1, Number(flags.rounds)));
const WARMUP = 5;
const FILES = 20;
const FILE_BYTES = 10 * 1024;
const SERIES_DEADLINE_MS = 180_000;
const USER = 'bench';
const ENTROPIC_ENV = Object.fromEntries(
  (flags.env as string[]).map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--env: KEY=VALUE, not ${pair}`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const SETTLE_WINDOW_MS = 500;
const SETTLE_IDLE_NS = 5e6;
const SETTLE_DEADLINE_MS = 60_000;
const LABEL = flags.label ? `-${flags.label.replace(/[^a-z0-9-]/gi, '')}` : '';

const started = performance.now();
const log = (message: string) =>
  process.stderr.write(`[bench:publish ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
const { cleanups, track, runCleanups, disarm } = createRunGuard(30 * 60_000, log);

interface Series {
  samples: number[];
  errors: number;
  /** server CPU from the first measured publish to the last answer */
  cpuNs: number;
  /** … to when the server went idle after it: its background work for these publishes (jobs) included */
  settledCpuNs: number;
  /** Entropic's repository calls (its /metrics) over the same span as settledCpuNs; NaN for Verdaccio */
  calls: number;
}

/** The repository calls the server made so far (the sum of its database operation counts in /metrics); NaN without /metrics. */
async function repositoryCalls(t: Target): Promise<number> {
  try {
    const res = await fetch(`${t.url}/metrics`);
    if (!res.ok) return Number.NaN;
    let calls = 0;
    for (const line of (await res.text()).split('\n'))
      if (line.startsWith('entropic_database_operation_duration_seconds_count')) calls += Number(line.slice(line.lastIndexOf(' ') + 1));
    return calls;
  } catch {
    return Number.NaN;
  }
}

/**
 * Waits until the server used under SETTLE_IDLE_NS of CPU in a SETTLE_WINDOW_MS window (its jobs
 * for the publishes done), at most SETTLE_DEADLINE_MS; answers its CPU counter then.
 */
async function settledCpuNs(pid: number): Promise<number> {
  const deadline = Date.now() + SETTLE_DEADLINE_MS;
  let last = processCpuNs(pid);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_WINDOW_MS));
    const now = processCpuNs(pid);
    if (now - last < SETTLE_IDLE_NS || Date.now() > deadline || Number.isNaN(now)) return now;
    last = now;
  }
}

interface Target {
  url: string;
  pid: number;
  token: string;
}

type Body = { url: string; headers: Record<string, string>; body: Buffer };

function files(seed: string): PublishFile[] {
  return Array.from({ length: FILES }, (_, f) => ({ path: `lib/file-${f}.js`, content: sourceText(`${seed}/${f}`, FILE_BYTES) }));
}

function apiBody(t: Target, version: string, seed: string): Body {
  const { body, contentType } = encodePublishBody({ dependencies: '{}' }, files(seed));
  return {
    url: `${t.url}/packages/package/${USER}/publish-api/versions/${version}`,
    headers: { authorization: `Bearer ${t.token}`, 'content-type': contentType, 'content-length': String(body.length) },
    body,
  };
}

async function npmBody(t: Target, version: string, seed: string): Promise<Body> {
  const name = `@${USER}/publish-npm`;
  const v = await npmVersion(name, version, [...files(seed), { path: 'package.json', content: Buffer.alloc(0) }], {});
  const body = publishDocument(t.url, v);
  return {
    url: `${t.url}/${name.replace('/', '%2f')}`,
    headers: {
      authorization: `Bearer ${t.token}`,
      'content-type': 'application/json',
      'content-length': String(body.length),
      'npm-command': 'publish',
    },
    body,
  };
}

/** Publishes `bodies` in order on one keep-alive connection, timing each round trip after `skip`. */
async function runSeries(t: Target, bodies: Body[], series: Series, skip: number): Promise<void> {
  const agent = keepAliveAgent();
  const deadline = Date.now() + SERIES_DEADLINE_MS;
  try {
    let cpuBefore = Number.NaN;
    let callsBefore = Number.NaN;
    for (let i = 0; i < bodies.length && Date.now() < deadline; i++) {
      if (i === skip) {
        callsBefore = await repositoryCalls(t);
        cpuBefore = processCpuNs(t.pid);
      }
      const b = bodies[i] as Body;
      try {
        const answer = await send(agent, b.url, { method: 'PUT', headers: b.headers, body: b.body, timeoutMs: 60_000 });
        if (answer.status !== 201 && answer.status !== 200)
          throw new Error(`${b.url}: ${answer.status} ${answer.body.toString().slice(0, 200)}`);
        if (i >= skip) series.samples.push(answer.ms);
      } catch (error) {
        series.errors++;
        log((error as Error).message);
      }
    }
    if (!Number.isNaN(cpuBefore)) {
      series.cpuNs += processCpuNs(t.pid) - cpuBefore;
      series.settledCpuNs += (await settledCpuNs(t.pid)) - cpuBefore;
      series.calls += (await repositoryCalls(t)) - callsBefore;
    } else await settledCpuNs(t.pid);
  } finally {
    agent.destroy();
  }
}

const newSeries = (): Series => ({ samples: [], errors: 0, cpuNs: 0, settledCpuNs: 0, calls: 0 });

interface BackendResult {
  backend: Backend;
  api: Series;
  npm: Series;
  verdaccio: Series;
}

/** One backend: warm-up, then ROUNDS rounds of (API, npm → Entropic, npm → Verdaccio), rotating which goes first. */
async function measureBackend(backend: Backend, verdaccio: Target, versionBase: number): Promise<BackendResult> {
  log(`${backend}: starting Entropic`);
  const registry = track(
    await startRegistry({
      backend,
      postgresAdminUrl: flags['postgres-url'] as string,
      redisUrl: flags['redis-url'] as string,
      logLevel: undefined,
      user: USER,
      env: ENTROPIC_ENV,
      ...(flags['entropic-root'] ? { root: flags['entropic-root'] } : {}),
      ...(flags['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] } : {}),
    }),
  );
  try {
    const entropic: Target = { url: registry.url, pid: registry.pid, token: registry.token };
    const total = WARMUP + COUNT;
    const api: Body[] = [];
    const npm: Body[] = [];
    const verd: Body[] = [];
    for (let i = 0; i < total; i++) {
      api.push(apiBody(entropic, `1.0.${i}`, `api/${i}`));
      npm.push(await npmBody(entropic, `1.0.${i}`, `npm/${i}`));
      verd.push(await npmBody(verdaccio, `${versionBase}.0.${i}`, `npm/${i}`));
    }
    const result: BackendResult = { backend, api: newSeries(), npm: newSeries(), verdaccio: newSeries() };
    const warm = newSeries();
    await runSeries(entropic, api.slice(0, WARMUP), warm, WARMUP);
    await runSeries(entropic, npm.slice(0, WARMUP), warm, WARMUP);
    await runSeries(verdaccio, verd.slice(0, WARMUP), warm, WARMUP);
    const per = Math.ceil(COUNT / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      const from = WARMUP + round * per;
      const to = Math.min(total, from + per);
      const runs = [
        () => runSeries(entropic, api.slice(from, to), result.api, 0),
        () => runSeries(entropic, npm.slice(from, to), result.npm, 0),
        () => runSeries(verdaccio, verd.slice(from, to), result.verdaccio, 0),
      ];
      for (let k = 0; k < runs.length; k++) await (runs[(round + k) % runs.length] as () => Promise<void>)();
    }
    log(
      `${backend}: API p50 ${fmt(percentile(result.api.samples, 50))} ms, npm p50 ${fmt(percentile(result.npm.samples, 50))} ms, ` +
        `Verdaccio p50 ${fmt(percentile(result.verdaccio.samples, 50))} ms`,
    );
    return result;
  } finally {
    await registry.stop();
  }
}

const fmt = (n: number) => (Number.isNaN(n) ? '–' : n < 10 ? n.toFixed(2) : n.toFixed(1));

function row(name: string, s: Series): string {
  const p50 = percentile(s.samples, 50);
  const cpu = s.samples.length ? s.cpuNs / 1e6 / s.samples.length : Number.NaN;
  const settled = s.samples.length ? s.settledCpuNs / 1e6 / s.samples.length : Number.NaN;
  const calls = s.samples.length ? s.calls / s.samples.length : Number.NaN;
  return `| ${name} | ${s.samples.length} | ${fmt(p50)} | ${fmt(percentile(s.samples, 99))} | ${fmt(Math.max(...s.samples))} | ${fmt(cpu)} | ${fmt(settled)} | ${fmt(calls)} | ${s.errors} |`;
}

function report(results: BackendResult[], context: { date: string; uptime: string; uptimeEnd: string; pinned: boolean }): string {
  const out = [
    `# Publish latency, Entropic vs Verdaccio 6.8.0, ${context.date}${LABEL ? ` (${LABEL.slice(1)})` : ''}`,
    '',
    `Command: \`npm run bench:publish -- ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'),
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; at start \`${context.uptime}\`; at the end \`${context.uptimeEnd}\`. ` +
      (context.pinned
        ? 'Servers pinned to core 0 (taskset), this load generator to core 1.'
        : '**Not pinned** (no taskset or one core): figures include contention.'),
    '',
    `One client, sequential, keep-alive. Each series: ${WARMUP} warm-up publishes, then ${COUNT} measured, ` +
      `interleaved in ${ROUNDS} rounds (API → Entropic, npm → Entropic, npm → Verdaccio, rotating the order). ` +
      `Every publish is a new version of ${FILES} files of ${FILE_BYTES / 1024} KB of source-like text ` +
      '(the npm tarball adds a package.json, gzip level 9). Round trip from the first byte sent to the last byte of the answer. ' +
      'Server CPU: all threads of the server process per measured publish, from the first measured publish to the last answer, ' +
      `and to when the server went idle after it (under ${SETTLE_IDLE_NS / 1e6} ms of CPU in ${SETTLE_WINDOW_MS} ms: its jobs ` +
      'for these publishes done; each series settles before the next starts). PostgreSQL and Redis run in their own processes, not counted. ' +
      'Repository calls: the database operations Entropic counted in its /metrics over the same span (its periodic name-index sync and the scrape included).' +
      (Object.keys(ENTROPIC_ENV).length ? ` Entropic's extra environment: \`${(flags.env as string[]).join(' ')}\`.` : ''),
    '',
    '## Targets (issue 12.3)',
    '',
    '| backend | API publish p50 ≤ 10 ms | `npm publish` p50 ≤ Verdaccio p50 |',
    '|---|---|---|',
  ];
  for (const r of results) {
    const api = percentile(r.api.samples, 50);
    const npm = percentile(r.npm.samples, 50);
    const verd = percentile(r.verdaccio.samples, 50);
    out.push(
      `| ${r.backend} | ${fmt(api)} ms **${api <= 10 ? 'PASS' : 'FAIL'}** | ${fmt(npm)} vs ${fmt(verd)} ms (${(npm / verd).toFixed(2)}×) **${npm <= verd ? 'PASS' : 'FAIL'}** |`,
    );
  }
  for (const r of results) {
    out.push(
      '',
      `## ${r.backend === 'embedded' ? 'Embedded default (PGlite, in-process key-value, filesystem blobs)' : 'PostgreSQL + Redis (filesystem blobs)'}`,
      '',
      '| series | publishes | p50 ms | p99 ms | max ms | server CPU ms / publish | with its background work | repository calls / publish (with background) | errors |',
      '|---|---|---|---|---|---|---|---|---|',
      row('Entropic API (multipart PUT)', r.api),
      row('Entropic `npm publish` (PUT /<name>)', r.npm),
      row('Verdaccio 6.8.0 `npm publish`', r.verdaccio),
    );
  }
  out.push('');
  return out.join('\n');
}

async function main(): Promise<void> {
  const pinned = canPin() && pinProcess(process.pid, LOAD_CPU);
  const uptime = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  log(`uptime: ${uptime}; pinned: ${pinned}; load ${loadavg()[0]?.toFixed(1)}`);
  const workDir = await mkdtemp(join(tmpdir(), 'entropic-bench-publish-'));
  cleanups.add(() => rm(workDir, { recursive: true, force: true }));
  const verdaccio = track(await startRegistryVerdaccio(join(workDir, 'verdaccio'), USER));
  const verdaccioTarget: Target = { url: verdaccio.url, pid: verdaccio.pid, token: verdaccio.token };
  const results: BackendResult[] = [];
  for (const [i, backend] of backends.entries()) results.push(await measureBackend(backend, verdaccioTarget, i + 1));
  const uptimeEnd = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  const text = report(results, { date: new Date().toISOString().slice(0, 10), uptime, uptimeEnd, pinned });
  console.log(text);
  if (!flags['no-write']) {
    const dir = join(REPO_ROOT, 'bench/results');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `publish-${new Date().toISOString().slice(0, 10)}${LABEL}.md`);
    await writeFile(file, text);
    log(`wrote ${file}`);
  }
}

try {
  await main();
} finally {
  await runCleanups();
  disarm();
}
