// Issue 12 target: reads through the load balancer with 2 instances ≥ 1.7× one instance.
// `npm run bench:lb -- [--rounds 2] [--duration 10] [--connections 64]`: the topology of
// `npm run topology` (bundled server, PostgreSQL, Redis, one blob dir, HAProxy) with 1 and then 2
// instances, rounds alternating, each instance pinned to its own core (1 instance: core 0; 2:
// cores 0 and 1). The machine has 2 cores, so HAProxy and autocannon (this process) share them with
// the instances: the report gives each one's CPU seconds, so what the load generator costs is seen.
// Needs POSTGRES_URL (a server; a database is made and dropped) and REDIS_URL.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { encodePublishBody, REPO_ROOT, startTopology, type Topology } from '@entropic/testkit';
import { type LoadResult, measure } from './lib/load.ts';
import { processCpuNs } from './lib/rss.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    out: { type: 'string', default: 'bench/results/lb-throughput-2026-12-07.md' },
  },
});
const rounds = Number(values.rounds);
const durationSeconds = Number(values.duration);
const connections = Number(values.connections);
const postgresUrl = process.env.POSTGRES_URL;
const redisUrl = process.env.REDIS_URL;
const SECRET = 'bench-secret-that-is-long-enough-0123456789';

interface Sample {
  result: LoadResult;
  /** CPU seconds during the measured run, per component */
  cpu: { instances: number[]; haproxy: number; loadGenerator: number };
}

const loadavg = () => execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

async function prepare(t: Topology): Promise<string> {
  const token = (await t.admin(['user', 'create', 'bench'])).trim().split('\n').at(-1) as string;
  const { payload, contentType } = await encodePublishBody({ files: { 'index.js': 'module.exports = 1;\n', 'README.md': '# bench\n' } });
  const response = await fetch(`${t.url}/packages/package/bench/reads/versions/1.0.0`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: new Uint8Array(payload),
  });
  if (response.status !== 201) throw new Error(`publish: ${response.status} ${await response.text()}`);
  return `${t.url}/packages/package/bench/reads`;
}

async function runSide(instances: number): Promise<Sample> {
  const t = await startTopology({
    postgresUrl: postgresUrl as string,
    redisUrl: redisUrl as string,
    instances,
    entry: 'dist',
    instanceCpus: instances === 1 ? ['0'] : ['0', '1'],
    checkIntervalMs: 1000,
    env: { NODE_ENV: 'production', SESSION_SECRET: SECRET, OAUTH_PASSWORD: SECRET, LOG_LEVEL: 'warn', LISTEN_ADDRESS: '127.0.0.1' },
  });
  try {
    const url = await prepare(t);
    const pids = t.instances.map((i) => i.current().child.pid as number);
    const haproxyPid = t.lb.child.pid as number;
    // a discarded warm-up, then CPU readings around the measured run only
    const warm = await measure({ url, connections, durationSeconds: 2, warmupSeconds: 0, expectStatus: 200 });
    if (warm.errors > 0) throw new Error(`warm-up errors: ${JSON.stringify(warm.statusCodes)}`);
    const start = { instances: pids.map(processCpuNs), haproxy: processCpuNs(haproxyPid), self: process.cpuUsage() };
    const result = await measure({ url, connections, durationSeconds, warmupSeconds: 0, expectStatus: 200 });
    const self = process.cpuUsage(start.self);
    return {
      result,
      cpu: {
        instances: pids.map((pid, i) => (processCpuNs(pid) - (start.instances[i] as number)) / 1e9),
        haproxy: (processCpuNs(haproxyPid) - start.haproxy) / 1e9,
        loadGenerator: (self.user + self.system) / 1e6,
      },
    };
  } finally {
    await t.stop();
  }
}

async function main(): Promise<void> {
  if (!postgresUrl || !redisUrl) throw new Error('set POSTGRES_URL and REDIS_URL');
  execFileSync(process.execPath, [`${REPO_ROOT}/scripts/build-server.mjs`], { stdio: 'inherit' });
  const started = new Date().toISOString();
  const loadBefore = loadavg();
  const samples: Record<1 | 2, Sample[]> = { 1: [], 2: [] };
  for (let round = 0; round < rounds; round++) {
    for (const n of round % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
      console.error(`round ${round + 1}/${rounds}: ${n} instance(s)`);
      samples[n].push(await runSide(n));
    }
  }
  const rps = (n: 1 | 2) => samples[n].map((s) => s.result.requestsPerSecond);
  const row = (n: 1 | 2) => {
    const s = samples[n];
    const cpu = (pick: (x: Sample) => number) => median(s.map(pick)).toFixed(1);
    return (
      `| ${n} | ${Math.round(median(rps(n)))} (${rps(n).map(Math.round).join(', ')}) | ${median(s.map((x) => x.result.p50))} | ` +
      `${median(s.map((x) => x.result.p99))} | ${s.reduce((sum, x) => sum + x.result.errors, 0)} | ` +
      `${cpu((x) => x.cpu.instances.reduce((a, b) => a + b, 0))} (${s.map((x) => x.cpu.instances.map((c) => c.toFixed(1)).join('+')).join(', ')}) | ` +
      `${cpu((x) => x.cpu.haproxy)} | ${cpu((x) => x.cpu.loadGenerator)} |`
    );
  };
  const ratio = median(rps(2)) / median(rps(1));
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const report = [
    '# Reads through the load balancer: 2 instances vs 1, 2026-12-07',
    '',
    `Command: \`POSTGRES_URL=… REDIS_URL=… npm run bench:lb -- --rounds ${rounds} --duration ${durationSeconds} --connections ${connections}\` ` +
      `(bench/lb-throughput.ts) at ${commit}, started ${started}; load average before ${loadBefore}, after ${loadavg()}.`,
    '',
    `Route: \`GET /packages/package/bench/reads\` (a cached JSON document, ~0.7 KB) through HAProxy 2.6 ` +
      `(http-server-close: a new loopback connection to an instance per request), ${connections} connections, ` +
      `${durationSeconds} s measured after a 2 s warm-up, a fresh topology (database, Redis prefix, blob dir) per side and round, ` +
      `rounds alternating which side goes first. Instances: the bundled server, NODE_ENV=production, PostgreSQL + Redis, ` +
      `pinned with taskset (1 instance: core 0; 2 instances: cores 0 and 1). HAProxy and autocannon (the load generator) are ` +
      `NOT pinned: on this 2-core machine they take CPU from the instances; their CPU seconds in the measured window are below.`,
    '',
    '| instances | req/s: median (rounds) | p50 ms | p99 ms | errors | instances CPU s (each) | HAProxy CPU s | load generator CPU s |',
    '|---|---|---|---|---|---|---|---|',
    row(1),
    row(2),
    '',
    `**2 vs 1: ${ratio.toFixed(2)}×** (target ≥ 1.7×). The machine is shared with other work (load average above): compare ` +
      'the two rows of this run, not runs.',
    '',
  ].join('\n');
  console.log(report);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${REPO_ROOT}/${values.out}`, report);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
