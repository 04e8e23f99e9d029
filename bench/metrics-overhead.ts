// What Prometheus metrics cost (issue 12.5): req/s and server CPU per request on hot read routes with
// METRICS on and off, the registry pinned to core 0 and autocannon to core 1, rounds alternating
// on/off. Not a test. `npm run bench:metrics -- --help`.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canPin, LOAD_CPU, pinProcess } from './lib/cpu.ts';
import { keepAliveAgent, type LoadResult, measure, send } from './lib/load.ts';
import { encodePublishBody } from './lib/multipart.ts';
import { type BenchRegistry, REPO_ROOT, startRegistry } from './lib/registry.ts';
import { createRunGuard } from './lib/run-guard.ts';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(`npm run bench:metrics -- [--rounds 3] [--duration 5] [--connections 50] [--no-write]
Embedded backend, NODE_ENV=production, LOG_LEVEL=warn (no access log, so the metrics are what differs).
Each round measures METRICS=on then METRICS=off (order alternates by round) on a fresh registry.`);
  process.exit(0);
}

const log = (message: string) => console.error(`[bench:metrics] ${message}`);
const { runCleanups, track, disarm } = createRunGuard(20 * 60_000, log);
const rounds = Number(flags.rounds);
const durationSeconds = Number(flags.duration);
const connections = Number(flags.connections);

interface Case {
  label: string;
  path: (registry: BenchRegistry) => string;
  expectStatus: number;
}

const CASES: Case[] = [
  { label: 'package document (cached)', path: (r) => `/packages/package/${r.namespace}/hot`, expectStatus: 200 },
  { label: 'npm 404, unknown name (name index)', path: () => '/no-such-package-anywhere', expectStatus: 404 },
];

async function prepare(registry: BenchRegistry): Promise<void> {
  const agent = keepAliveAgent();
  const { body, contentType } = encodePublishBody({}, [{ path: 'index.js', content: Buffer.from('module.exports = 1;\n') }]);
  const answer = await send(agent, `${registry.url}/packages/package/${registry.namespace}/hot/versions/1.0.0`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${registry.token}`, 'content-type': contentType, 'content-length': String(body.length) },
    body,
  });
  agent.destroy();
  if (answer.status !== 201) throw new Error(`publish: ${answer.status} ${answer.body.toString().slice(0, 300)}`);
}

async function runSide(metrics: 'on' | 'off'): Promise<LoadResult[]> {
  const registry = track(
    await startRegistry({
      backend: 'embedded',
      postgresAdminUrl: '',
      redisUrl: '',
      logLevel: 'warn',
      user: 'bench',
      env: { METRICS: metrics },
    }),
  );
  try {
    await prepare(registry);
    const agent = keepAliveAgent();
    const check = await send(agent, `${registry.url}/metrics`);
    agent.destroy();
    if ((check.status === 200) !== (metrics === 'on')) throw new Error(`/metrics answered ${check.status} with METRICS=${metrics}`);
    const results: LoadResult[] = [];
    for (const c of CASES) {
      results.push(
        await measure({
          url: registry.url + c.path(registry),
          connections,
          durationSeconds,
          warmupSeconds: 2,
          expectStatus: c.expectStatus,
          cpuPid: registry.pid,
        }),
      );
    }
    return results;
  } finally {
    await registry.stop();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function main(): Promise<void> {
  const pinned = canPin() && pinProcess(process.pid, LOAD_CPU);
  const samples: Record<'on' | 'off', LoadResult[][]> = { on: [], off: [] };
  const started = new Date().toISOString();
  const load = () => execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  const loadBefore = load();
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      log(`round ${round + 1}/${rounds}: METRICS=${side}`);
      samples[side].push(await runSide(side));
    }
  }
  const rows = CASES.map((c, index) => {
    const rps = (side: 'on' | 'off') => samples[side].map((r) => (r[index] as LoadResult).requestsPerSecond);
    const cpu = (side: 'on' | 'off') => median(samples[side].map((r) => (r[index] as LoadResult).cpuUsPerRequest));
    const errors = (side: 'on' | 'off') => samples[side].reduce((sum, r) => sum + (r[index] as LoadResult).errors, 0);
    const on = median(rps('on'));
    const off = median(rps('off'));
    return (
      `| ${c.label} | ${Math.round(off)} (${rps('off').map(Math.round).join(', ')}) | ${Math.round(on)} (${rps('on').map(Math.round).join(', ')}) ` +
      `| ${((on / off - 1) * 100).toFixed(1)} % | ${cpu('off').toFixed(0)} | ${cpu('on').toFixed(0)} | ${errors('off')} / ${errors('on')} |`
    );
  });
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const report = [
    '# Metrics overhead, 2026-12-07',
    '',
    `Command: \`npm run bench:metrics -- --rounds ${rounds} --duration ${durationSeconds} --connections ${connections}\` ` +
      `(bench/metrics-overhead.ts) at ${commit}, started ${started}.`,
    `Registry: embedded backend (PGlite, in-process key-value), NODE_ENV=production, LOG_LEVEL=warn, the bundled server ` +
      `(as \`npm start\`) ${pinned ? 'pinned to core 0, autocannon pinned to core 1' : 'NOT pinned (taskset unavailable)'}; ` +
      `${connections} connections, ${durationSeconds} s measured after a 2 s warm-up, a fresh registry per side and round, ` +
      'rounds alternating which side goes first. Load average before: ' +
      `${loadBefore}; after: ${load()} (the machine is shared: compare the two columns of one run, not runs).`,
    '',
    '| route | req/s METRICS=off: median (rounds) | req/s METRICS=on: median (rounds) | on vs off | CPU µs/req off | CPU µs/req on | errors off / on |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  console.log(report);
  if (!flags['no-write']) writeFileSync(join(REPO_ROOT, 'bench/results/metrics-2026-12-07.md'), report);
}

main()
  .then(async () => {
    disarm();
    await runCleanups();
  })
  .catch(async (error) => {
    console.error(error);
    await runCleanups();
    process.exit(1);
  });
