// Issue 12 target: reads through the load balancer with 2 instances ≥ 1.7× one instance.
// `npm run bench:lb -- [--rounds 2] [--duration 10] [--connections 32] [--routes document,object]`:
// the topology of `npm run topology` (bundled server, PostgreSQL, HAProxy as shipped: one request per
// client connection, kept-alive reused connections to the instances) with 1 and then 2 instances,
// a redis-server of the run's own (so its CPU and commands are the run's), rounds alternating.
// Pinning on a 2-core machine: instance 1 on core 0; HAProxy and the load generator (autocannon, this
// process) on core 1; instance 2 on core 1 too. So the 1-instance side has a core to itself and the
// 2-instance side has none spare: the measured ratio is bounded by the machine. The report therefore
// also gives each component's CPU per request (instances, HAProxy, load generator, Redis) and the
// database transactions per request, and the ratio those imply for instances on cores of their own.
// Needs PostgreSQL (POSTGRES_URL, default the local server; a database is made and dropped) and redis-server.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodePublishBody, REPO_ROOT, startRedisServer, startTopology, type Topology } from '@entropic/testkit';
import { LOAD_CPU, pinProcess } from './lib/cpu.ts';
import { type LoadResult, measure } from './lib/load.ts';
import { processCpuNs } from './lib/rss.ts';
import { createRunGuard } from './lib/run-guard.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    routes: { type: 'string', default: 'document,object' },
    versions: { type: 'string', default: '12' },
    'no-write': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const durationSeconds = Number(values.duration);
const connections = Number(values.connections);
const versions = Number(values.versions);
const postgresUrl = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'bench-secret-that-is-long-enough-0123456789';
const log = (message: string) => console.error(`[bench:lb ${new Date().toISOString().slice(11, 19)}] ${message}`);
const guard = createRunGuard(40 * 60_000, log);

const ROUTES = {
  document: 'GET /packages/package/bench/reads (the package document: versions, README; from the response cache)',
  object: 'GET /objects/object/sha512/<digest> (a 16 KB file of that package, from the shared blob directory)',
} as const;
type Route = keyof typeof ROUTES;
const routes = (values.routes as string).split(',').map((name) => {
  if (!(name in ROUTES)) throw new Error(`--routes: unknown "${name}" (${Object.keys(ROUTES).join(', ')})`);
  return name as Route;
});

interface Sample {
  instances: 1 | 2;
  route: Route;
  result: LoadResult;
  /** CPU µs per answered request, per component; instances summed */
  us: { instances: number; each: number[]; haproxy: number; loadGenerator: number; redis: number };
  /** database transactions (pg_stat_database) and Redis commands per answered request */
  perRequest: { transactions: number; redisCommands: number };
}

/** Publishes `versions` versions of bench/reads (README, sources, one 16 KB file); answers the paths of the two routes. */
async function prepare(t: Topology): Promise<Record<Route, string>> {
  const token = (await t.admin(['user', 'create', 'bench'])).trim().split('\n').at(-1) as string;
  const big = Buffer.alloc(16 * 1024, 'const answer = 42; // filler of a source file\n');
  for (let v = 0; v < versions; v++) {
    const files = {
      'README.md': `# reads\n\n${'A package whose document the benchmark reads. '.repeat(40)}\n`,
      'index.js': `module.exports = ${v};\n`,
      'lib/big.js': big,
    };
    const { payload, contentType } = await encodePublishBody({ files });
    const response = await fetch(`${t.url}/packages/package/bench/reads/versions/1.${v}.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: new Uint8Array(payload),
    });
    if (response.status !== 201) throw new Error(`publish: ${response.status} ${await response.text()}`);
  }
  const version = (await (await fetch(`${t.url}/packages/package/bench/reads/versions/1.0.0`)).json()) as { files: Record<string, string> };
  const integrity = Object.entries(version.files).find(([name]) => name.endsWith('lib/big.js'))?.[1];
  if (integrity === undefined) throw new Error(`no lib/big.js in ${JSON.stringify(version.files)}`);
  return { document: '/packages/package/bench/reads', object: `/objects/object/sha512/${encodeURIComponent(integrity.slice(7))}` };
}

async function redisCommands(url: string): Promise<number> {
  const out = execFileSync('redis-cli', ['-u', url, 'info', 'stats'], { encoding: 'utf8' });
  return Number(/total_commands_processed:(\d+)/.exec(out)?.[1]);
}

async function transactions(databaseUrl: string): Promise<number> {
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

async function runSide(instances: 1 | 2): Promise<Sample[]> {
  const dir = await mkdtemp(join(tmpdir(), 'entropic-bench-lb-'));
  const redis = await startRedisServer({ dir });
  pinProcess(redis.child.pid as number, LOAD_CPU);
  let t: Topology | undefined;
  try {
    t = await startTopology({
      postgresUrl,
      redisUrl: redis.url,
      instances,
      entry: 'dist',
      instanceCpus: instances === 1 ? ['0'] : ['0', '1'],
      lbCpus: String(LOAD_CPU),
      checkIntervalMs: 1000,
      env: { NODE_ENV: 'production', SESSION_SECRET: SECRET, OAUTH_PASSWORD: SECRET, LOG_LEVEL: 'warn', LISTEN_ADDRESS: '127.0.0.1' },
    });
    const paths = await prepare(t);
    // every instance in rotation before anything is measured
    for (let tries = 0; ; tries++) {
      const servers = Object.values(await t.lb.servers());
      if (servers.length === instances && servers.every((s) => s.status === 'UP')) break;
      if (tries > 120) throw new Error(`HAProxy does not report every instance UP: ${JSON.stringify(servers)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const pids = t.instances.map((i) => i.current().child.pid as number);
    const haproxyPid = t.lb.child.pid as number;
    const redisPid = redis.child.pid as number;
    const samples: Sample[] = [];
    for (const route of routes) {
      const url = `${t.url}${paths[route]}`;
      // a discarded warm-up, then readings around the measured run only
      const warm = await measure({ url, connections, durationSeconds: 2, warmupSeconds: 0, expectStatus: 200 });
      if (warm.errors > 0) throw new Error(`warm-up errors: ${JSON.stringify(warm.statusCodes)}`);
      await new Promise((r) => setTimeout(r, 1000)); // PostgreSQL publishes its counters within a second
      const before = {
        instances: pids.map(processCpuNs),
        haproxy: processCpuNs(haproxyPid),
        redis: processCpuNs(redisPid),
        self: process.cpuUsage(),
        transactions: await transactions(t.databaseUrl),
        commands: await redisCommands(redis.url),
      };
      const result = await measure({ url, connections, durationSeconds, warmupSeconds: 0, expectStatus: 200 });
      const self = process.cpuUsage(before.self);
      const each = pids.map((pid, i) => (processCpuNs(pid) - (before.instances[i] as number)) / 1000 / result.requests);
      const commands = await redisCommands(redis.url);
      await new Promise((r) => setTimeout(r, 1000));
      const txs = await transactions(t.databaseUrl);
      samples.push({
        instances,
        route,
        result,
        us: {
          instances: each.reduce((a, b) => a + b, 0),
          each,
          haproxy: (processCpuNs(haproxyPid) - before.haproxy) / 1000 / result.requests,
          loadGenerator: (self.user + self.system) / result.requests,
          redis: (processCpuNs(redisPid) - before.redis) / 1000 / result.requests,
        },
        // the readings themselves are a transaction each and a command each
        perRequest: {
          transactions: (txs - before.transactions - 1) / result.requests,
          redisCommands: (commands - before.commands - 1) / result.requests,
        },
      });
      log(`${instances} instance(s), ${route}: ${Math.round(result.requestsPerSecond)} req/s`);
    }
    return samples;
  } finally {
    await t?.stop();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const loadavg = () => execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');

function render(samples: Sample[], started: string, loadBefore: string): string {
  const command = ['npm run bench:lb', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const lines = [
    `# Reads through the load balancer: 2 instances vs 1 (${started.slice(0, 16)}Z)`,
    '',
    `Command: \`${command}\` (bench/lb-throughput.ts) at ${commit}; load average before ${loadBefore}, after ${loadavg()}.`,
    '',
    `${connections} connections, ${durationSeconds} s measured after a 2 s warm-up per route, ${rounds} round(s) alternating which side goes`,
    'first, a fresh topology (database, redis-server, blob dir) per side and round. Instances: the bundled server, NODE_ENV=production,',
    'PostgreSQL + Redis, LOG_LEVEL=warn. HAProxy as shipped (deploy/haproxy.cfg): one request per client connection, kept-alive',
    'reused connections to the instances. Pinned: instance 1 on core 0; HAProxy, autocannon and Redis on core 1; instance 2 on',
    'core 1. CPU columns are µs of CPU per answered request (instances: summed over the instances, each in brackets).',
    '',
    ...routes.map((route) => `- \`${route}\`: ${ROUTES[route]}`),
    '',
    '| route | instances | req/s: median (rounds) | p50 ms | p99 ms | errors | instances µs/req | HAProxy µs/req | autocannon µs/req | Redis µs/req | DB transactions/req | Redis commands/req |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const verdicts: string[] = [];
  for (const route of routes) {
    const of = (n: 1 | 2) => samples.filter((s) => s.route === route && s.instances === n);
    for (const n of [1, 2] as const) {
      const s = of(n);
      const rps = s.map((x) => x.result.requestsPerSecond);
      const med = (pick: (x: Sample) => number, digits = 0) => median(s.map(pick)).toFixed(digits);
      lines.push(
        `| ${route} | ${n} | ${Math.round(median(rps))} (${rps.map(Math.round).join(', ')}) | ${med((x) => x.result.p50, 1)} | ` +
          `${med((x) => x.result.p99, 1)} | ${s.reduce((sum, x) => sum + x.result.errors, 0)} | ` +
          `${med((x) => x.us.instances)} (${s.map((x) => x.us.each.map((c) => c.toFixed(0)).join('+')).join(', ')}) | ` +
          `${med((x) => x.us.haproxy)} | ${med((x) => x.us.loadGenerator)} | ${med((x) => x.us.redis)} | ` +
          `${med((x) => x.perRequest.transactions, 3)} | ${med((x) => x.perRequest.redisCommands, 3)} |`,
      );
    }
    const measured = median(of(2).map((x) => x.result.requestsPerSecond)) / median(of(1).map((x) => x.result.requestsPerSecond));
    // with a core per instance and the balancer and clients elsewhere, throughput is cores ÷ instance CPU per request
    const projected = (2 * median(of(1).map((x) => x.us.instances))) / median(of(2).map((x) => x.us.instances));
    verdicts.push(
      `- \`${route}\`: measured 2 vs 1 **${measured.toFixed(2)}×** (target ≥ 1.7×: ${measured >= 1.7 ? 'PASS' : 'FAIL'}); ` +
        `implied by instance CPU per request with a core per instance: ${projected.toFixed(2)}× (not a measurement of the target)`,
    );
  }
  lines.push('', '## Target', '', ...verdicts, '');
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  pinProcess(process.pid, LOAD_CPU);
  execFileSync(process.execPath, [`${REPO_ROOT}/scripts/build-server.mjs`], { stdio: 'inherit' });
  const started = new Date().toISOString();
  const loadBefore = loadavg();
  const samples: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const n of round % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
      log(`round ${round + 1}/${rounds}: ${n} instance(s)`);
      samples.push(...(await runSide(n)));
    }
  }
  const report = render(samples, started, loadBefore);
  console.log(report);
  if (!values['no-write']) {
    const file = join(REPO_ROOT, 'bench/results', `lb-throughput-${started.slice(0, 10)}.md`);
    await writeFile(file, report);
    log(`wrote ${file}`);
  }
  guard.disarm();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
