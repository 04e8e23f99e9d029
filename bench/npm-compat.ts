// `npm run bench:npm [-- --quick]` (node --import tsx bench/npm-compat.ts): issue 6, item 6 and its
// "Targets" table. Entropic (PostgreSQL + Redis, fresh database dropped afterwards) and Verdaccio
// 6.8.0 side by side in one run, both pinned to the server core and holding the same corpus;
// the npm read paths under autocannon, a cold `npm install` against each and against nginx serving
// the same files, and the npm publish round trip. Loopback only; every loop is bounded in count
// and in time, and a watchdog stops every child. Not part of `npm test`.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import tar from 'tar-stream';
import { measureBulk } from './lib/bulk.ts';
import { type ReferenceServer, startStaticNginx } from './lib/children.ts';
import { generateCorpus } from './lib/corpus.ts';
import { canPin, LOAD_CPU, pinnedCommand, pinProcess, SERVER_CPU } from './lib/cpu.ts';
import { keepAliveAgent, type LoadResult, measure, percentile, send } from './lib/load.ts';
import { freePort, waitForHttp } from './lib/net.ts';
import { clientEnv } from './lib/npm-client.ts';
import { type NpmVersion, npmVersion, publishDocument } from './lib/npm-document.ts';
import { startRegistryVerdaccio, stopper } from './lib/pinned-verdaccio.ts';
import { REPO_ROOT, startRegistry } from './lib/registry.ts';
import { processCpuNs } from './lib/rss.ts';
import { createRunGuard } from './lib/run-guard.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
    skip: { type: 'string', default: '' },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    backend: { type: 'string', default: 'postgres' },
    'entropic-root': { type: 'string' },
    label: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const CASE_IDS = 'full,abbreviated,gzip,tarball,not-found,not-found-unscoped,whoami';
if (flags.help) {
  console.log(`Usage: npm run bench:npm -- [--quick] [--duration <s>] [--no-write] [--only <ids>] [--skip install,publish] [--cpu-prof <dir>]
  --quick          short runs and a smaller corpus (at most 6 versions a package), writes npm-<date>-quick.md
  --duration       seconds per measured autocannon run (default 5, quick 2)
  --no-write       print the report only (default also writes bench/results/npm-<date>.md)
  --only <ids>     read runs to do, comma-separated (${CASE_IDS})
  --skip <phases>  leave out install and/or publish (comma-separated)
  --cpu-prof <dir> run Entropic with --cpu-prof, writing its profile to <dir> when it stops
  --backend <b>    postgres (default: PostgreSQL + Redis) or embedded (PGlite, in-process key-value: the default install)
  --entropic-root  run the Entropic of another checkout (its own node_modules), e.g. a worktree of an older commit
  --label <text>   added to the results file name (npm-<date>-<label>.md) and the title
  --postgres-url   an admin URL for creating/dropping the bench database (BENCH_POSTGRES_URL)
  --redis-url      (BENCH_REDIS_URL)`);
  process.exit(0);
}

const quick = flags.quick as boolean;
const BACKEND = flags.backend === 'embedded' ? 'embedded' : 'postgres';
if (flags.backend !== BACKEND) throw new Error(`--backend: postgres or embedded, not ${flags.backend}`);
const BACKEND_LABEL = BACKEND === 'embedded' ? 'embedded default: PGlite, in-process key-value' : 'PostgreSQL + Redis';
const LABEL = flags.label ? `-${flags.label.replace(/[^a-z0-9-]/gi, '')}` : '';
const durationSeconds = Math.min(60, Math.max(1, Number(flags.duration ?? (quick ? 2 : 5))));
const warmupSeconds = quick ? 0.5 : 1;
const CONNECTIONS = [10, 50];
const INSTALL_RUNS = 3;
const INSTALL_DEPENDENCIES = 10;
const PUBLISH_WARMUP = 5;
const PUBLISH_COUNT = quick ? 20 : 50;
const HARD_LIMIT_MS = (quick ? 12 : 30) * 60_000;
const USER = 'bench';
const SCOPE = `@${USER}`;
const NPM_ACCEPT_ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

const started = performance.now();
const notes: string[] = [];
const log = (message: string) =>
  process.stderr.write(`[bench:npm ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

const { cleanups, track, runCleanups, disarm } = createRunGuard(HARD_LIMIT_MS, log);

// ---------------------------------------------------------------------------------------------
// The corpus as npm tarballs

async function buildCorpus(): Promise<{ packages: { name: string; versions: NpmVersion[] }[]; versions: number; bytes: number }> {
  const corpus = generateCorpus(USER, { quick });
  const packages: { name: string; versions: NpmVersion[] }[] = [];
  let versions = 0;
  let bytes = 0;
  for (const p of corpus.packages) {
    const name = `${SCOPE}/${p.name}`;
    const built: NpmVersion[] = [];
    for (const v of p.versions) {
      // corpus dependencies are `bench/pkg-NN` (→ @bench/pkg-NN) and `left-pad`, which neither
      // registry has (no uplinks, mirror off): left out.
      const dependencies: Record<string, string> = {};
      for (const [dep, range] of Object.entries(v.dependencies)) if (dep.startsWith(`${USER}/`)) dependencies[`@${dep}`] = range;
      const npm = await npmVersion(name, v.version, v.files, dependencies);
      built.push(npm);
      versions++;
      bytes += npm.tarball.length;
    }
    packages.push({ name, versions: built });
  }
  return { packages, versions, bytes };
}

const encodeName = (name: string) => name.replace('/', '%2f');

interface Target {
  name: 'entropic' | 'verdaccio';
  url: string;
  pid: number;
  token: string;
}

async function publishOne(t: Target, agent: ReturnType<typeof keepAliveAgent>, name: string, body: Buffer): Promise<number> {
  const answer = await send(agent, `${t.url}/${encodeName(name)}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${t.token}`,
      'content-type': 'application/json',
      'content-length': String(body.length),
      'npm-command': 'publish',
    },
    body,
    timeoutMs: 60_000,
  });
  if (answer.status !== 200 && answer.status !== 201) {
    throw new Error(`${t.name}: publish ${name}: ${answer.status} ${answer.body.toString().slice(0, 300)}`);
  }
  return answer.ms;
}

/** Four packages at a time, each package's versions in order. */
async function publishCorpus(t: Target, packages: readonly { name: string; versions: NpmVersion[] }[]): Promise<number> {
  const t0 = performance.now();
  const queue = [...packages];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const agent = keepAliveAgent();
      try {
        for (let next = queue.shift(); next; next = queue.shift()) {
          for (const v of next.versions) await publishOne(t, agent, v.name, publishDocument(t.url, v));
        }
      } finally {
        agent.destroy();
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

// ---------------------------------------------------------------------------------------------
// Verdaccio and nginx

/** Debian's nginx serving `root` (packuments as JSON files, tarballs) as static files. */
function startPackumentNginx(dir: string, root: string, port: number): Promise<ReferenceServer> {
  return startStaticNginx(dir, {
    port,
    root,
    types: 'types { application/octet-stream tgz; }\n  default_type application/json;',
    probe: `/${SCOPE}%2fpkg-00`,
  });
}

/**
 * The static copy for nginx: each package's abbreviated packument as Entropic serves it (what npm
 * install asks for), with `dist.tarball` pointing at nginx, and Entropic's tarballs beside it.
 * nginx decodes `%2f`, so `/@bench%2fpkg-00` is the file `@bench/pkg-00`.
 */
async function writeStaticMirror(entropicUrl: string, names: readonly string[], root: string, nginxUrl: string): Promise<number> {
  const agent = keepAliveAgent();
  let files = 0;
  try {
    await mkdir(join(root, SCOPE), { recursive: true });
    await mkdir(join(root, 'tarballs'), { recursive: true });
    for (const name of names) {
      const answer = await send(agent, `${entropicUrl}/${encodeName(name)}`, { headers: { accept: NPM_ACCEPT_ABBREVIATED } });
      if (answer.status !== 200) throw new Error(`GET ${name}: ${answer.status}`);
      const packument = JSON.parse(answer.body.toString()) as { versions: Record<string, { dist: { tarball: string } }> };
      for (const view of Object.values(packument.versions)) {
        const source = view.dist.tarball;
        const file = source.slice(source.lastIndexOf('/') + 1);
        const tgz = await send(agent, source);
        if (tgz.status !== 200) throw new Error(`GET ${source}: ${tgz.status}`);
        await writeFile(join(root, 'tarballs', file), tgz.body);
        view.dist.tarball = `${nginxUrl}/tarballs/${file}`;
        files++;
      }
      await writeFile(join(root, name), JSON.stringify(packument));
      files++;
    }
  } finally {
    agent.destroy();
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Read runs

interface ReadCase {
  id: string;
  label: string;
  /** target ratio Entropic ÷ Verdaccio at 50 connections */
  ratio: number;
  /** target p99 (ms) for Entropic at 50 connections */
  p99?: number;
  /** measured with the raw-socket client (lib/bulk.ts): autocannon reads bodies at ~25 MB/s */
  bulk?: boolean;
}

const CASES: ReadCase[] = [
  { id: 'full', label: 'packument, full', ratio: 20, p99: 10 },
  { id: 'abbreviated', label: 'packument, abbreviated', ratio: 20, p99: 10 },
  { id: 'gzip', label: 'packument, abbreviated, gzip', ratio: 20, p99: 10 },
  { id: 'tarball', label: 'tarball', ratio: 10, bulk: true },
  { id: 'not-found', label: '404 unknown package', ratio: 5 },
  { id: 'not-found-unscoped', label: '404 unknown unscoped name (mirror off)', ratio: 5 },
  { id: 'whoami', label: 'whoami (token)', ratio: 5 },
];

interface Request {
  path: string;
  headers: Record<string, string>;
  status: number;
}

function requestFor(id: string, t: Target, packageName: string, tarballFile: string): Request {
  switch (id) {
    case 'full':
      return { path: `/${encodeName(packageName)}`, headers: { accept: 'application/json' }, status: 200 };
    case 'abbreviated':
      return { path: `/${encodeName(packageName)}`, headers: { accept: NPM_ACCEPT_ABBREVIATED }, status: 200 };
    case 'gzip':
      return {
        path: `/${encodeName(packageName)}`,
        headers: { accept: NPM_ACCEPT_ABBREVIATED, 'accept-encoding': 'gzip' },
        status: 200,
      };
    case 'tarball':
      return { path: `/${packageName}/-/${tarballFile}`, headers: {}, status: 200 };
    case 'not-found':
      return { path: `/${encodeName(`${SCOPE}/no-such-package`)}`, headers: { accept: NPM_ACCEPT_ABBREVIATED }, status: 404 };
    case 'not-found-unscoped':
      return { path: '/entropic-bench-no-such-package', headers: { accept: NPM_ACCEPT_ABBREVIATED }, status: 404 };
    case 'whoami':
      return { path: '/-/whoami', headers: { authorization: `Bearer ${t.token}` }, status: 200 };
    default:
      throw new Error(`unknown case ${id}`);
  }
}

interface Described {
  bytes: number;
  contentLength: boolean;
  contentType: string;
  contentEncoding: string;
}

async function describe(t: Target, r: Request): Promise<Described> {
  const agent = keepAliveAgent();
  try {
    const answer = await send(agent, `${t.url}${r.path}`, { headers: r.headers });
    if (answer.status !== r.status) throw new Error(`${t.name} GET ${r.path}: expected ${r.status}, got ${answer.status}`);
    return {
      bytes: answer.body.length,
      contentLength: answer.headers['content-length'] !== undefined,
      contentType: answer.headers['content-type'] ?? '',
      contentEncoding: answer.headers['content-encoding'] ?? 'identity',
    };
  } finally {
    agent.destroy();
  }
}

async function loadRun(t: Target, c: ReadCase, r: Request, connections: number): Promise<LoadResult> {
  const result = await (c.bulk ? measureBulk : measure)({
    cpuPid: t.pid,
    url: `${t.url}${r.path}`,
    connections,
    durationSeconds,
    warmupSeconds,
    headers: r.headers,
    expectStatus: r.status,
    timeoutSeconds: 30,
  });
  log(
    `${t.name}: ${c.label} @${connections}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50.toFixed(1)} ms, ` +
      `p99 ${result.p99.toFixed(1)} ms, server CPU ${result.cpuUsPerRequest.toFixed(0)} µs/req, ${(result.cpuShare * 100).toFixed(0)}% of a core` +
      (result.errors ? `, ${result.errors} errors ${JSON.stringify(result.statusCodes)}` : ''),
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// npm install and publish

function runCommand(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

interface InstallServer {
  name: string;
  url: string;
}

/** One cold install: fresh HOME, npm cache and project (no node_modules, no lockfile); wall time in ms. */
async function coldInstall(root: string, server: InstallServer, dependencies: Record<string, string>, expected: number): Promise<number> {
  const dir = await mkdtemp(join(root, `install-${server.name}-`));
  try {
    const home = join(dir, 'home');
    const project = join(dir, 'project');
    await mkdir(home, { recursive: true });
    await mkdir(project, { recursive: true });
    const registry = `${server.url}/`;
    await writeFile(
      join(home, '.npmrc'),
      `registry=${registry}\n${SCOPE}:registry=${registry}\naudit=false\nfund=false\nupdate-notifier=false\n`,
    );
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies }));
    const { command, args } = pinnedCommand(LOAD_CPU, 'npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
    ]);
    const t0 = performance.now();
    await runCommand(command, args, project, clientEnv(home, join(dir, 'cache')), 180_000);
    const ms = performance.now() - t0;
    const installed = (await readdir(join(project, 'node_modules', SCOPE))).length;
    if (installed !== expected) throw new Error(`${server.name}: npm installed ${installed} packages, expected ${expected}`);
    const lock = readFileSync(join(project, 'package-lock.json'), 'utf8');
    if (!lock.includes(`"resolved": "${server.url}/`)) throw new Error(`${server.name}: the lockfile does not resolve to ${server.url}`);
    return ms;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface PublishStats {
  /** server CPU time (all threads) per measured publish, ms */
  cpuMs: number;
  count: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

/** One client, sequential `npm publish` documents of new versions (corpus contents), bodies built before timing. */
async function publishBench(t: Target, sources: readonly NpmVersion[]): Promise<PublishStats> {
  const name = `${SCOPE}/publish-bench`;
  const total = PUBLISH_WARMUP + PUBLISH_COUNT;
  const bodies: Buffer[] = [];
  for (let i = 0; i < total; i++) {
    const source = sources[i % sources.length] as NpmVersion;
    const files = await extractTarball(source.tarball);
    const v = await npmVersion(name, `1.0.${i}`, files, {});
    bodies.push(publishDocument(t.url, v));
  }
  const agent = keepAliveAgent();
  const samples: number[] = [];
  let errors = 0;
  const deadline = Date.now() + 120_000;
  let cpuBefore = Number.NaN;
  try {
    for (let i = 0; i < total && Date.now() < deadline; i++) {
      if (i === PUBLISH_WARMUP) cpuBefore = processCpuNs(t.pid);
      try {
        const ms = await publishOne(t, agent, name, bodies[i] as Buffer);
        if (i >= PUBLISH_WARMUP) samples.push(ms);
      } catch (error) {
        errors++;
        log((error as Error).message);
      }
    }
  } finally {
    agent.destroy();
  }
  const cpuMs = (processCpuNs(t.pid) - cpuBefore) / 1e6 / Math.max(1, samples.length);
  return { cpuMs, count: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples), errors };
}

async function extractTarball(tgz: Buffer): Promise<{ path: string; content: Buffer }[]> {
  const { gunzipSync } = await import('node:zlib');
  const extract = tar.extract();
  const files: { path: string; content: Buffer }[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      files.push({ path: entry.header.name.replace(/^package\//, ''), content: Buffer.concat(chunks) });
    }
  })();
  extract.end(gunzipSync(tgz));
  await done;
  return files;
}

// ---------------------------------------------------------------------------------------------
// Report

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : n.toFixed(0)) : '–');
const times = (n: number) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(1) : n.toFixed(0)}×` : '–');
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const median = (xs: readonly number[]) => percentile(xs, 50);

interface InstallResult {
  name: string;
  runs: number[];
}

function render(input: {
  date: string;
  command: string;
  reads: Record<string, Record<number, { entropic: LoadResult; verdaccio: LoadResult }>>;
  described: Record<string, { entropic: Described; verdaccio: Described }>;
  installs: InstallResult[] | undefined;
  publish: { entropic: PublishStats; verdaccio: PublishStats } | undefined;
  corpus: { packages: number; versions: number; bytes: number; entropicSeconds: number; verdaccioSeconds: number };
}): string {
  const out: string[] = [];
  const top = Math.max(...CONNECTIONS);
  out.push(
    `# Entropic vs Verdaccio 6.8.0 over the npm protocol, ${input.date}${quick ? ' (quick)' : ''}${LABEL ? ` (${LABEL.slice(1)})` : ''}`,
    '',
  );
  out.push(`Command: \`${input.command}\``, '');
  out.push(
    `Node ${process.version} · ${cpus()[0]?.model ?? 'unknown CPU'} · ${cpus().length} cores · ` +
      (canPin() ? 'Entropic, Verdaccio and nginx pinned to core 0 (one at a time), load generator and npm on core 1' : 'not pinned') +
      ` · ${durationSeconds} s per run after ${warmupSeconds} s warm-up · Entropic: ${BACKEND_LABEL}${flags['entropic-root'] ? ` (checkout ${flags['entropic-root']})` : ''}, NODE_ENV=production, bundled server, default log level (info)` +
      ` · Verdaccio: htpasswd, JWT API tokens, no uplinks, log level http as JSON to a file · corpus ${input.corpus.packages} packages,` +
      ` ${input.corpus.versions} versions, ${(input.corpus.bytes / 1024 / 1024).toFixed(1)} MB of tarballs` +
      ` · whole run ${((performance.now() - started) / 1000).toFixed(0)} s`,
    '',
  );
  out.push(`## Targets (issue 6; Entropic ÷ Verdaccio at ${top} connections, same run, same core)`, '');
  out.push('A ratio target passes only when both the req/s ratio and the CPU-per-request ratio (Verdaccio µs/req ÷ Entropic µs/req,');
  out.push('server CPU time of all threads) meet it, and Entropic answered without errors.', '');
  out.push('| what | target | Entropic | Verdaccio | result |');
  out.push('|---|---|---|---|---|');
  for (const c of CASES) {
    const pair = input.reads[c.id]?.[top];
    if (!pair) continue;
    const { entropic: e, verdaccio: v } = pair;
    const byRate = e.requestsPerSecond / v.requestsPerSecond;
    const byCpu = v.cpuUsPerRequest / e.cpuUsPerRequest;
    const ratio = Number.isFinite(byCpu) ? Math.min(byRate, byCpu) : byRate;
    const pass = ratio >= c.ratio && (c.p99 === undefined || e.p99 <= c.p99) && e.errors === 0;
    out.push(
      `| ${c.label} | ≥ ${c.ratio}×${c.p99 === undefined ? '' : `, p99 ≤ ${c.p99} ms`} | ${int(e.requestsPerSecond)} req/s, p99 ${ms(e.p99)} ms` +
        `${e.errors ? `, ${e.errors} errors` : ''} | ${int(v.requestsPerSecond)} req/s, p99 ${ms(v.p99)} ms${v.errors ? `, ${v.errors} errors` : ''} | ` +
        `${times(byRate)} by req/s, ${times(byCpu)} by CPU${c.p99 === undefined ? '' : `, p99 ${ms(e.p99)} ms`} — **${pass ? 'PASS' : 'FAIL'}** |`,
    );
  }
  if (input.installs) {
    const by = Object.fromEntries(input.installs.map((i) => [i.name, median(i.runs)])) as Record<string, number>;
    const e = by.entropic as number;
    const n = by.nginx as number;
    const v = by.verdaccio as number;
    out.push(
      `| cold \`npm install\`, ${INSTALL_DEPENDENCIES} dependencies (median of ${INSTALL_RUNS}) | ≤ 1.05× nginx | ${ms(e)} ms | ${ms(v)} ms | ` +
        `${(e / n).toFixed(2)}× nginx (${ms(n)} ms) — **${e / n <= 1.05 ? 'PASS' : 'FAIL'}** |`,
    );
  }
  if (input.publish) {
    const { entropic: e, verdaccio: v } = input.publish;
    out.push(
      `| \`npm publish\` of a corpus version, one client | round trip p50 ≤ 10 ms | p50 ${ms(e.p50)} ms, p99 ${ms(e.p99)} ms${e.errors ? `, ${e.errors} errors` : ''} | ` +
        `p50 ${ms(v.p50)} ms, p99 ${ms(v.p99)} ms | **${e.p50 <= 10 && e.errors === 0 ? 'PASS' : 'FAIL'}** |`,
    );
  }
  out.push('');
  out.push('## Read runs', '');
  out.push('Each Entropic run follows the same run against Verdaccio. Latencies in ms; "CPU µs/req" is the server process\'s CPU');
  out.push('time (all threads, /proc schedstat) per answered request. autocannon drives every request except the tarball, which');
  out.push('the raw-socket client of `lib/bulk.ts` fetches (keep-alive, sequential per connection, body bytes counted by Content-Length)');
  out.push('because autocannon reads response bodies slowly (~25 MB/s).', '');
  out.push(
    '| request | conns | Entropic req/s | p50 | p99 | CPU µs/req | Verdaccio req/s | p50 | p99 | CPU µs/req | × by req/s | × by CPU |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of CASES) {
    for (const conns of CONNECTIONS) {
      const pair = input.reads[c.id]?.[conns];
      if (!pair) continue;
      const { entropic: e, verdaccio: v } = pair;
      const errors = (r: LoadResult) => (r.errors ? ` (${r.errors} errors)` : '');
      out.push(
        `| ${c.label} | ${conns} | ${int(e.requestsPerSecond)}${errors(e)} | ${ms(e.p50)} | ${ms(e.p99)} | ${int(e.cpuUsPerRequest)} | ` +
          `${int(v.requestsPerSecond)}${errors(v)} | ${ms(v.p50)} | ${ms(v.p99)} | ${int(v.cpuUsPerRequest)} | ` +
          `${times(e.requestsPerSecond / v.requestsPerSecond)} | ${times(v.cpuUsPerRequest / e.cpuUsPerRequest)} |`,
      );
    }
  }
  out.push('');
  out.push('Responses (one request each, as measured):', '');
  out.push('| request | Entropic | Verdaccio |');
  out.push('|---|---|---|');
  for (const c of CASES) {
    const d = input.described[c.id];
    if (!d) continue;
    const cell = (x: Described) =>
      `${kb(x.bytes)}, \`${x.contentType}\`${x.contentEncoding !== 'identity' ? `, ${x.contentEncoding}` : ''}${x.contentLength ? '' : ', chunked'}`;
    out.push(`| ${c.label} | ${cell(d.entropic)} | ${cell(d.verdaccio)} |`);
  }
  out.push('');
  if (input.installs) {
    out.push(`## Cold \`npm install\` (${INSTALL_DEPENDENCIES} dependencies, 20 packages in the graph)`, '');
    out.push('Fresh HOME, npm cache, project directory and no lockfile for every run; the runs are interleaved (one against each');
    out.push(
      'server per round, rotating which goes first) after one discarded warm-up install each. npm runs on core 1, the servers on core 0. nginx serves',
    );
    out.push("Entropic's abbreviated packuments (with `dist.tarball` rewritten to nginx) and Entropic's tarballs as static files.", '');
    out.push('| server | runs (ms) | median |');
    out.push('|---|---|---|');
    for (const i of input.installs) out.push(`| ${i.name} | ${i.runs.map(ms).join(', ')} | ${ms(median(i.runs))} |`);
    out.push('');
  }
  if (input.publish) {
    out.push('## Publish', '');
    out.push(
      `One client, ${PUBLISH_WARMUP} warm-up + ${PUBLISH_COUNT} sequential PUT /${SCOPE}%2fpublish-bench with the document \`npm publish\` sends`,
    );
    out.push('(new versions holding the files of corpus versions; tarballs 3–60 KB), timed by the client on a keep-alive connection.', '');
    out.push('| server | publishes | p50 | p99 | max | server CPU per publish |');
    out.push('|---|---|---|---|---|---|');
    for (const [name, p] of Object.entries(input.publish)) {
      out.push(
        `| ${name} | ${p.count}${p.errors ? ` (${p.errors} errors)` : ''} | ${ms(p.p50)} | ${ms(p.p99)} | ${ms(p.max)} | ${ms(p.cpuMs)} ms |`,
      );
    }
    out.push('');
  }
  out.push('## Corpus', '');
  out.push(
    `${input.corpus.packages} packages (five with 30–40 versions, the others 1–8; \`bench/lib/corpus.ts\`), ${input.corpus.versions} versions, ` +
      `published to both with the \`npm publish\` document (PUT /<name>, base64 tarball), four packages at a time: ` +
      `Entropic ${input.corpus.entropicSeconds.toFixed(1)} s, Verdaccio ${input.corpus.verdaccioSeconds.toFixed(1)} s. ` +
      'Read runs use the 40-version package `@bench/pkg-04` and one of its tarballs.',
    '',
  );
  if (notes.length > 0) {
    out.push('## Notes', '');
    for (const note of notes) out.push(`- ${note}`);
    out.push('');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const pinned = canPin() && pinProcess(process.pid, LOAD_CPU);
  if (!pinned) notes.push('taskset is unavailable or the machine has one core: servers and load generator share the CPU.');
  if (spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status !== 0) throw new Error('nginx is not installed (apt-get install -y nginx)');
  const uptimeAtStart = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  log(`uptime: ${uptimeAtStart}`);
  const skip = (flags.skip as string).split(',');
  const only = flags.only?.split(',');
  const workDir = await mkdtemp(join(tmpdir(), 'entropic-bench-npm-'));
  cleanups.add(() => rm(workDir, { recursive: true, force: true }));

  log(`building the corpus${quick ? ' (quick)' : ''}`);
  const corpus = await buildCorpus();
  log(`${corpus.packages.length} packages, ${corpus.versions} versions, ${(corpus.bytes / 1024 / 1024).toFixed(1)} MB of tarballs`);

  log(`starting Entropic (${BACKEND_LABEL}) and Verdaccio 6.8.0`);
  const registry = track(
    await startRegistry({
      backend: BACKEND,
      ...(flags['entropic-root'] ? { root: flags['entropic-root'] } : {}),
      postgresAdminUrl: flags['postgres-url'] as string,
      redisUrl: flags['redis-url'] as string,
      logLevel: undefined,
      user: USER,
      ...(flags['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] } : {}),
    }),
  );
  const verdaccio = track(await startRegistryVerdaccio(join(workDir, 'verdaccio'), USER));
  const verdaccioToken = verdaccio.token;
  const entropic: Target = { name: 'entropic', url: registry.url, pid: registry.pid, token: registry.token };
  const verd: Target = { name: 'verdaccio', url: verdaccio.url, pid: verdaccio.pid, token: verdaccioToken };

  log('publishing the corpus to both');
  const [entropicSeconds, verdaccioSeconds] = await Promise.all([
    publishCorpus(entropic, corpus.packages),
    publishCorpus(verd, corpus.packages),
  ]);
  log(`corpus published: Entropic ${entropicSeconds.toFixed(1)} s, Verdaccio ${verdaccioSeconds.toFixed(1)} s`);

  const big = corpus.packages.reduce((a, b) => (b.versions.length > a.versions.length ? b : a));
  const middle = big.versions[Math.floor(big.versions.length / 2)] as NpmVersion;
  const tarballFile = `${big.name.slice(big.name.indexOf('/') + 1)}-${middle.version}.tgz`;

  const reads: Record<string, Record<number, { entropic: LoadResult; verdaccio: LoadResult }>> = {};
  const described: Record<string, { entropic: Described; verdaccio: Described }> = {};
  for (const c of CASES.filter((x) => !only || only.includes(x.id))) {
    const re = requestFor(c.id, entropic, big.name, tarballFile);
    const rv = requestFor(c.id, verd, big.name, tarballFile);
    described[c.id] = { entropic: await describe(entropic, re), verdaccio: await describe(verd, rv) };
    if (c.bulk && !(described[c.id]?.entropic.contentLength && described[c.id]?.verdaccio.contentLength)) {
      throw new Error(`${c.label}: the raw-socket client needs Content-Length answers`);
    }
    reads[c.id] = {};
    for (const connections of CONNECTIONS) {
      const v = await loadRun(verd, c, rv, connections);
      const e = await loadRun(entropic, c, re, connections);
      (reads[c.id] as Record<number, { entropic: LoadResult; verdaccio: LoadResult }>)[connections] = { entropic: e, verdaccio: v };
    }
  }

  let installs: InstallResult[] | undefined;
  if (!skip.includes('install')) {
    const nginxPort = await freePort();
    const nginxUrl = `http://127.0.0.1:${nginxPort}`;
    const root = join(workDir, 'static');
    const files = await writeStaticMirror(
      registry.url,
      corpus.packages.map((p) => p.name),
      root,
      nginxUrl,
    );
    log(`static copy for nginx: ${files} files`);
    const nginx = track(await startPackumentNginx(join(workDir, 'nginx'), root, nginxPort));
    try {
      const servers: InstallServer[] = [
        { name: 'entropic', url: registry.url },
        { name: 'verdaccio', url: verdaccio.url },
        { name: 'nginx', url: nginx.url },
      ];
      const dependencies = Object.fromEntries(corpus.packages.slice(0, INSTALL_DEPENDENCIES).map((p) => [p.name, '^1.0.0']));
      const expected = corpus.packages.length;
      const installRoot = join(workDir, 'installs');
      await mkdir(installRoot, { recursive: true });
      for (const server of servers) {
        const warm = await coldInstall(installRoot, server, dependencies, expected);
        log(`npm install warm-up from ${server.name}: ${warm.toFixed(0)} ms`);
      }
      installs = servers.map((s) => ({ name: s.name, runs: [] }));
      for (let round = 0; round < INSTALL_RUNS; round++) {
        // each round starts with another server, so that no server always follows the same one
        for (let k = 0; k < servers.length; k++) {
          const i = (k + round) % servers.length;
          const server = servers[i] as InstallServer;
          const elapsed = await coldInstall(installRoot, server, dependencies, expected);
          installs[i]?.runs.push(elapsed);
          log(`npm install from ${server.name} (run ${round + 1}): ${elapsed.toFixed(0)} ms`);
        }
      }
    } finally {
      await nginx.stop();
    }
  }

  let publish: { entropic: PublishStats; verdaccio: PublishStats } | undefined;
  if (!skip.includes('publish')) {
    const sources = big.versions;
    const e = await publishBench(entropic, sources);
    log(`publish Entropic: p50 ${e.p50.toFixed(1)} ms, p99 ${e.p99.toFixed(1)} ms`);
    const v = await publishBench(verd, sources);
    log(`publish Verdaccio: p50 ${v.p50.toFixed(1)} ms, p99 ${v.p99.toFixed(1)} ms`);
    publish = { entropic: e, verdaccio: v };
  }

  const uptimeAtEnd = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  notes.push(
    `Machine load: \`${uptimeAtStart}\` at the start, \`${uptimeAtEnd}\` at the end (1-minute load average ${(loadavg()[0] ?? 0).toFixed(1)}). ` +
      'The machine is shared with other sessions’ work on its two cores; figures taken above a load of ~1 are noisy, which is why ' +
      'every Entropic run directly follows the same Verdaccio run and the CPU-per-request ratio is shown beside the req/s one.',
  );
  notes.push(
    'PostgreSQL and Redis are the machine’s own services on loopback and are not pinned. autocannon is one Node thread on core 1: ' +
      'at high rates it, not the server, is the limit (see "CPU share" in the log), which caps the req/s ratio; the CPU ratio is not capped.',
  );
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench:npm${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const report = render({
    date,
    command,
    reads,
    described,
    installs,
    publish,
    corpus: { packages: corpus.packages.length, versions: corpus.versions, bytes: corpus.bytes, entropicSeconds, verdaccioSeconds },
  });
  process.stdout.write(`${report}\n`);
  if (!flags['no-write']) {
    const dir = join(REPO_ROOT, 'bench/results');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `npm-${date}${quick ? '-quick' : ''}${LABEL}.md`);
    await writeFile(file, `${report}\n`);
    log(`wrote ${file}`);
  }
  if (existsSync(verdaccio.logFile)) {
    const errors = readFileSync(verdaccio.logFile, 'utf8')
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l));
    if (errors.length > 0) log(`verdaccio logged ${errors.length} errors, e.g. ${errors[0]?.slice(0, 300)}`);
  }
}

main()
  .catch((error) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await runCleanups();
    disarm();
  });
