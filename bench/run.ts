// `npm run bench [-- --quick] [--backend embedded|postgres|both]`: see bench/README.md.
// Loopback only; every loop is bounded in count and in time. Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { measureBulk } from './lib/bulk.ts';
import { type RecordedResponse, type ReferenceServer, startCeiling, startNginx } from './lib/children.ts';
import { binaryBytes, type Corpus, generateCorpus, OBJECT_FILES, sourceText } from './lib/corpus.ts';
import { canPin, LOAD_CPU, pinProcess } from './lib/cpu.ts';
import { keepAliveAgent, type LoadResult, measure, percentile, send } from './lib/load.ts';
import { encodePublishBody, type PublishFile } from './lib/multipart.ts';
import { type Backend, type BenchRegistry, REPO_ROOT, startRegistry } from './lib/registry.ts';
import { type BackendResult, type PublishStats, type ReadCase, type Reference, renderReport, type StressStats } from './lib/report.ts';
import { RssSampler } from './lib/rss.ts';
import { createRunGuard } from './lib/run-guard.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'both' },
    duration: { type: 'string' },
    'log-level': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
    skip: { type: 'string', default: '' },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (flags.help) {
  console.log(`Usage: npm run bench -- [--quick] [--backend embedded|postgres|both] [--duration <s>] [--log-level <level>] [--no-write]
  --quick          short runs and a smaller corpus (a smoke check of the harness, ~2 minutes)
  --backend        which storage to measure (default both)
  --duration       seconds per measured autocannon run (default 5, quick 2)
  --log-level      the registry's LOG_LEVEL (default: its own production default)
  --no-write       print the report only (default also writes bench/results/<date>.md)
  --cpu-prof <dir> run the registry with --cpu-prof, writing its profiles to <dir>
  --skip <phases>  leave out publish and/or stress (comma-separated), for profiling runs
  --only <ids>     read runs to do, comma-separated (${'package,version,object-10k,object-5m,not-found,whoami'})
  --postgres-url   an admin URL for creating/dropping the bench database (BENCH_POSTGRES_URL)
  --redis-url      (BENCH_REDIS_URL)`);
  process.exit(0);
}

const quick = flags.quick as boolean;
const backends: Backend[] =
  flags.backend === 'both' ? ['embedded', 'postgres'] : flags.backend === 'embedded' || flags.backend === 'postgres' ? [flags.backend] : [];
if (backends.length === 0) {
  console.error(`--backend must be embedded, postgres or both, got "${flags.backend}"`);
  process.exit(2);
}
const durationSeconds = Math.min(60, Math.max(1, Number(flags.duration ?? (quick ? 2 : 5))));
const warmupSeconds = quick ? 0.5 : 1;
const CONNECTIONS = [10, 50];
const PUBLISH_COUNT = quick ? 20 : 100;
const PUBLISH_WARMUP = 5;
const STRESS_SECONDS = quick ? 5 : 15;
const STRESS_PUBLISHERS = 10;
const STRESS_PUBLISHES_PER_CLIENT = quick ? 1 : 3;
const STRESS_VERSION_BYTES = 20 * 1024 * 1024;
const HARD_LIMIT_MS = (quick ? 6 : 20) * 60_000;
const USER = 'bench';

const CASES: ReadCase[] = [
  { id: 'package', label: 'GET package document', bulk: false },
  { id: 'version', label: 'GET version document', bulk: false },
  { id: 'object-10k', label: 'GET object 10 KB', bulk: false },
  { id: 'object-5m', label: 'GET object 5 MB', bulk: true },
  { id: 'not-found', label: '404 unknown package', bulk: false },
  { id: 'whoami', label: 'GET /auth/whoami (token)', bulk: false },
];

const started = performance.now();
const notes: string[] = [];
const log = (message: string) =>
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

// A hard bound on the whole run: stop every child we started and exit.
const { cleanups, track, runCleanups, disarm } = createRunGuard(HARD_LIMIT_MS, log);

function ensureNginx(): string | undefined {
  if (spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0) return undefined;
  if (process.getuid?.() !== 0) return 'nginx is not installed (apt-get install -y nginx); the 5 MB comparison to nginx is skipped';
  log('nginx is missing: apt-get install -y nginx');
  const install = spawnSync('apt-get', ['install', '-y', 'nginx'], { stdio: 'ignore', timeout: 300_000 });
  if (install.status === 0) return undefined;
  return 'nginx could not be installed; the 5 MB comparison to nginx is skipped';
}

function authHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

async function publishVersion(
  registry: BenchRegistry,
  agent: ReturnType<typeof keepAliveAgent>,
  name: string,
  version: string,
  files: readonly PublishFile[],
  dependencies: Record<string, string> = {},
): Promise<number> {
  const { body, contentType } = encodePublishBody({ dependencies: JSON.stringify(dependencies) }, files);
  const answer = await send(agent, `${registry.url}/packages/package/${registry.namespace}/${name}/versions/${version}`, {
    method: 'PUT',
    headers: { ...authHeaders(registry.token), 'content-type': contentType, 'content-length': String(body.length) },
    body,
  });
  if (answer.status !== 201) throw new Error(`publish ${name}@${version}: ${answer.status} ${answer.body.toString().slice(0, 300)}`);
  return answer.ms;
}

/** Publishes the corpus: four packages at a time, each package's versions in order. */
async function publishCorpus(registry: BenchRegistry, corpus: Corpus): Promise<{ integrities: Record<string, string> }> {
  const queue = [...corpus.packages];
  const workers = Array.from({ length: 4 }, async () => {
    const agent = keepAliveAgent();
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        for (const v of next.versions) await publishVersion(registry, agent, next.name, v.version, v.files, v.dependencies);
      }
    } finally {
      agent.destroy();
    }
  });
  await Promise.all(workers);
  const agent = keepAliveAgent();
  try {
    const { objects } = corpus;
    const { body, contentType } = encodePublishBody({}, objects.files);
    const answer = await send(agent, `${registry.url}/packages/package/${registry.namespace}/${objects.name}/versions/${objects.version}`, {
      method: 'PUT',
      headers: { ...authHeaders(registry.token), 'content-type': contentType, 'content-length': String(body.length) },
      body,
    });
    if (answer.status !== 201) throw new Error(`publish objects: ${answer.status} ${answer.body.toString().slice(0, 300)}`);
    const document = JSON.parse(answer.body.toString()) as { files: Record<string, string> };
    return { integrities: document.files };
  } finally {
    agent.destroy();
  }
}

function objectPath(integrity: string | undefined): string {
  if (!integrity?.startsWith('sha512-')) throw new Error(`no integrity: ${integrity}`);
  return `/objects/object/sha512/${integrity.slice('sha512-'.length)}`;
}

interface Target {
  c: ReadCase;
  path: string;
  headers: Record<string, string>;
  expectStatus: number;
}

function readTargets(registry: BenchRegistry, corpus: Corpus, integrities: Record<string, string>): Target[] {
  const biggest = corpus.packages.reduce((a, b) => (b.versions.length > a.versions.length ? b : a));
  const lastVersion = biggest.versions.at(-1)?.version as string;
  const ns = registry.namespace;
  const paths: Record<string, [string, number, Record<string, string>]> = {
    package: [`/packages/package/${ns}/${biggest.name}`, 200, {}],
    version: [`/packages/package/${ns}/${biggest.name}/versions/${lastVersion}`, 200, {}],
    'object-10k': [objectPath(integrities[`./package/${OBJECT_FILES.small}`]), 200, {}],
    'object-5m': [objectPath(integrities[`./package/${OBJECT_FILES.medium}`]), 200, {}],
    'not-found': [`/packages/package/${ns}/no-such-package`, 404, {}],
    whoami: ['/auth/whoami', 200, authHeaders(registry.token)],
  };
  const only = flags.only?.split(',');
  return CASES.filter((c) => !only || only.includes(c.id)).map((c) => {
    const [path, expectStatus, headers] = paths[c.id] as [string, number, Record<string, string>];
    return { c, path, headers, expectStatus };
  });
}

async function record(url: string, targets: readonly Target[]): Promise<RecordedResponse[]> {
  const agent = keepAliveAgent();
  try {
    const recorded: RecordedResponse[] = [];
    for (const t of targets) {
      const answer = await send(agent, `${url}${t.path}`, { headers: t.headers });
      if (answer.status !== t.expectStatus) throw new Error(`GET ${t.path}: expected ${t.expectStatus}, got ${answer.status}`);
      recorded.push({ path: t.path, status: answer.status, headers: answer.headers, body: answer.body });
    }
    return recorded;
  } finally {
    agent.destroy();
  }
}

async function runOne(
  name: string,
  server: { url: string; pid: number },
  t: Target,
  connections: number,
  path = t.path,
): Promise<LoadResult> {
  const result = await (t.c.bulk ? measureBulk : measure)({
    cpuPid: server.pid,
    url: `${server.url}${path}`,
    connections,
    durationSeconds,
    warmupSeconds,
    headers: t.headers,
    expectStatus: t.expectStatus,
    timeoutSeconds: 30,
  });
  log(
    `${name}: ${t.c.label} @${connections}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50.toFixed(1)} ms, ` +
      `p99 ${result.p99.toFixed(1)} ms, ${(result.bytesPerSecond / 1024 / 1024).toFixed(0)} MB/s, ` +
      `server CPU ${result.cpuUsPerRequest.toFixed(0)} µs/req, ${(result.cpuShare * 100).toFixed(0)}% of a core` +
      (result.errors ? `, ${result.errors} errors ${JSON.stringify(result.statusCodes)}` : ''),
  );
  return result;
}

/**
 * Every read run, each right after the same run against the ceiling (and nginx for bulk cases),
 * so that drift in the machine's load hits both sides of a ratio alike.
 */
async function readRuns(
  registry: BenchRegistry,
  targets: readonly Target[],
  ceiling: ReferenceServer,
  nginx: ReferenceServer | undefined,
  sampler: RssSampler,
): Promise<{ reads: Record<string, Record<number, LoadResult>>; reference: Reference; peakRss: number }> {
  const reads: Record<string, Record<number, LoadResult>> = {};
  const reference: Reference = { ceiling: {}, nginx: nginx ? {} : undefined };
  let peakRss = 0;
  for (const t of targets) {
    const mine: Record<number, LoadResult> = {};
    const theirs: Record<number, LoadResult> = {};
    reads[t.c.id] = mine;
    reference.ceiling[t.c.id] = theirs;
    for (const connections of CONNECTIONS) {
      theirs[connections] = await runOne('ceiling', ceiling, t, connections);
      if (t.c.bulk && nginx && reference.nginx) reference.nginx[connections] = await runOne('nginx', nginx, t, connections, '/object');
      sampler.start();
      mine[connections] = await runOne(registry.backend, registry, t, connections);
      peakRss = Math.max(peakRss, sampler.stop());
    }
  }
  return { reads, reference, peakRss };
}

function stats(samples: readonly number[], errors: number): PublishStats {
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples.length ? Math.max(...samples) : Number.NaN,
    errors,
  };
}

/** One client, sequential publishes of 20 files / 200 KB each (bodies built before timing). */
async function publishBench(registry: BenchRegistry): Promise<PublishStats> {
  const total = PUBLISH_WARMUP + PUBLISH_COUNT;
  const bodies = Array.from({ length: total }, (_, i) =>
    Array.from(
      { length: 20 },
      (_, f): PublishFile => ({ path: `lib/file-${f}.js`, content: sourceText(`publish-bench/${i}/${f}`, 10 * 1024) }),
    ),
  );
  const agent = keepAliveAgent();
  const samples: number[] = [];
  let errors = 0;
  const deadline = Date.now() + 120_000;
  try {
    for (let i = 0; i < total && Date.now() < deadline; i++) {
      try {
        const elapsed = await publishVersion(registry, agent, 'publish-bench', `1.0.${i}`, bodies[i] as PublishFile[]);
        if (i >= PUBLISH_WARMUP) samples.push(elapsed);
      } catch (error) {
        errors++;
        log(`publish bench: ${(error as Error).message}`);
      }
    }
  } finally {
    agent.destroy();
  }
  return stats(samples, errors);
}

function skippedStress(): StressStats {
  const empty = {
    connections: 50,
    requestsPerSecond: 0,
    bytesPerSecond: 0,
    p50: Number.NaN,
    p99: Number.NaN,
    requests: 0,
    errors: 0,
    statusCodes: {},
    cpuUsPerRequest: Number.NaN,
    cpuShare: Number.NaN,
  };
  return { seconds: 0, download: empty, publishes: stats([], 0), publishBytes: 0, peakRss: Number.NaN };
}

/** 50 clients download the 50 MB object while 10 clients publish 20 MB versions; peak RSS. */
async function stress(registry: BenchRegistry, largePath: string, sampler: RssSampler): Promise<StressStats> {
  sampler.start();
  const end = Date.now() + STRESS_SECONDS * 1000;
  const samples: number[] = [];
  let errors = 0;
  let publishBytes = 0;
  const publishers = Array.from({ length: STRESS_PUBLISHERS }, async (_, client) => {
    const agent = keepAliveAgent();
    try {
      for (let round = 0; round < STRESS_PUBLISHES_PER_CLIENT && Date.now() < end; round++) {
        const files: PublishFile[] = Array.from({ length: 4 }, (_, f) => ({
          path: `data-${f}.bin`,
          content: binaryBytes(`stress/${client}/${round}/${f}`, STRESS_VERSION_BYTES / 4),
        }));
        try {
          samples.push(await publishVersion(registry, agent, `stress-${client}`, `1.0.${round}`, files));
          publishBytes += STRESS_VERSION_BYTES;
        } catch (error) {
          errors++;
          log(`stress publish: ${(error as Error).message}`);
        }
      }
    } finally {
      agent.destroy();
    }
  });
  const download = measureBulk({
    url: `${registry.url}${largePath}`,
    connections: 50,
    durationSeconds: STRESS_SECONDS,
    warmupSeconds: 0,
    expectStatus: 200,
    timeoutSeconds: 120,
  });
  const [downloaded] = await Promise.all([download, ...publishers]);
  const peakRss = sampler.stop();
  return { seconds: STRESS_SECONDS, download: downloaded, publishes: stats(samples, errors), publishBytes, peakRss };
}

async function main(): Promise<void> {
  const pinned = canPin() && pinProcess(process.pid, LOAD_CPU);
  if (!pinned) notes.push('taskset is unavailable or the machine has one core: servers and load generator share the CPU.');
  const loadAtStart = loadavg()[0] ?? 0;
  const nginxNote = ensureNginx();
  if (nginxNote) notes.push(nginxNote);
  const workDir = await mkdtemp(join(tmpdir(), 'entropic-bench-'));
  cleanups.add(() => rm(workDir, { recursive: true, force: true }));
  log(`generating the corpus${quick ? ' (quick)' : ''}`);
  const corpus = generateCorpus(USER, { quick });
  log(`${corpus.packages.length} packages, ${corpus.totalVersions} versions, ${(corpus.totalBytes / 1024 / 1024).toFixed(0)} MB`);
  const results: BackendResult[] = [];
  const logLevel = flags['log-level'];
  for (const backend of backends) {
    log(`${backend}: starting the registry`);
    const registry = track(
      await startRegistry({
        backend,
        postgresAdminUrl: flags['postgres-url'] as string,
        redisUrl: flags['redis-url'] as string,
        logLevel,
        user: USER,
        ...(flags['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] } : {}),
      }),
    );
    try {
      const sampler = new RssSampler(registry.pid);
      const rssIdle = sampler.current();
      log(`${backend}: publishing the corpus`);
      const t0 = performance.now();
      const { integrities } = await publishCorpus(registry, corpus);
      const corpusSeconds = (performance.now() - t0) / 1000;
      log(`${backend}: corpus published in ${corpusSeconds.toFixed(1)} s`);
      const rssAfterCorpus = sampler.current();
      const targets = readTargets(registry, corpus, integrities);
      const recorded = await record(registry.url, targets);
      const ceiling = track(await startCeiling(join(workDir, `ceiling-${backend}`), recorded));
      const medium = corpus.objects.files.find((f) => f.path === OBJECT_FILES.medium) as PublishFile;
      const nginx = nginxNote ? undefined : track(await startNginx(join(workDir, `nginx-${backend}`), { object: medium.content }));
      let readPeakRss: number;
      let reads: Record<string, Record<number, LoadResult>>;
      let reference: Reference;
      try {
        ({ reads, reference, peakRss: readPeakRss } = await readRuns(registry, targets, ceiling, nginx, sampler));
      } finally {
        await ceiling.stop();
        await nginx?.stop();
      }
      log(`${backend}: peak RSS during the read runs ${(readPeakRss / 1024 / 1024).toFixed(0)} MB`);
      log(`${backend}: publish bench (${PUBLISH_COUNT} sequential publishes)`);
      const skip = (flags.skip as string).split(',');
      const publish = skip.includes('publish') ? stats([], 0) : await publishBench(registry);
      log(`${backend}: publish p50 ${publish.p50.toFixed(1)} ms, p99 ${publish.p99.toFixed(1)} ms`);
      log(`${backend}: stress (${STRESS_SECONDS} s)`);
      const largePath = objectPath(integrities[`./package/${OBJECT_FILES.large}`]);
      const stressed = skip.includes('stress') ? skippedStress() : await stress(registry, largePath, sampler);
      log(
        `${backend}: stress peak RSS ${(stressed.peakRss / 1024 / 1024).toFixed(0)} MB, ${stressed.download.requests} downloads, ${stressed.publishes.count} publishes`,
      );
      results.push({
        backend,
        reference,
        corpus: { versions: corpus.totalVersions, bytes: corpus.totalBytes, seconds: corpusSeconds },
        reads,
        readPeakRss,
        rssIdle,
        rssAfterCorpus,
        publish,
        stress: stressed,
      });
    } finally {
      await registry.stop();
    }
  }
  notes.push(
    `Load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end: other work on the machine ` +
      'shares the two cores, so figures above ~1 are noisy.',
  );
  notes.push(
    'PostgreSQL and Redis are the machine’s own services on loopback and are not pinned: they use either core. ' +
      'The load generator (autocannon, or the raw-socket client for the 5 MB object) is one Node thread on one core, so the ' +
      'ceiling and nginx figures are partly its own limit.',
  );
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const report = renderReport(
    {
      command,
      date,
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      cores: cpus().length,
      pinned,
      durationSeconds,
      warmupSeconds,
      connections: CONNECTIONS,
      logLevel: logLevel ?? 'info (default)',
      quick,
      elapsedSeconds: (performance.now() - started) / 1000,
    },
    CASES,
    results,
    notes,
  );
  process.stdout.write(`${report}\n`);
  if (!flags['no-write']) {
    const dir = join(REPO_ROOT, 'bench/results');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${date}${quick ? '-quick' : ''}.md`);
    await writeFile(file, `${report}\n`);
    log(`wrote ${file}`);
  }
}

/** The ceiling (recorded bytes from memory) and nginx (the 5 MB file), on the server core. */
main()
  .catch((error) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await runCleanups();
    disarm();
  });
