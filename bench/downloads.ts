// `npm run bench:downloads` (node --import tsx bench/downloads.ts): issue 16.5's read-path cost of
// download counting. Two registries from this checkout (embedded default, NODE_ENV=production,
// bundled), one with DOWNLOAD_COUNTS=on and one with it off, both pinned to the server core and
// loaded one at a time by autocannon from the load core: GET of one npm tarball, rounds
// alternating on/off so drifting machine load hits both alike. Then the counted total is read
// back from /-/downloads (after a flush) and compared with the 200s autocannon saw.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { canPin, LOAD_CPU, pinProcess } from './lib/cpu.ts';
import { type LoadResult, measure } from './lib/load.ts';
import { encodePublishBody } from './lib/multipart.ts';
import { type BenchRegistry, startRegistry } from './lib/registry.ts';
import { createRunGuard } from './lib/run-guard.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    out: { type: 'string' },
  },
});
const DURATION = Number(flags.duration);
const ROUNDS = Number(flags.rounds);
const CONNECTIONS = Number(flags.connections);
const FLUSH_SECONDS = 5;
const log = (message: string) => process.stderr.write(`[bench:downloads] ${message}\n`);

async function publish(registry: BenchRegistry): Promise<string> {
  const { body, contentType } = encodePublishBody({}, [
    { path: 'package.json', content: Buffer.from(JSON.stringify({ name: 'counted', version: '1.0.0' })) },
    { path: 'index.js', content: Buffer.from(`module.exports = ${JSON.stringify('x'.repeat(4000))};\n`) },
  ]);
  const response = await fetch(`${registry.url}/packages/package/${registry.namespace}/counted/versions/1.0.0`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${registry.token}`, 'content-type': contentType },
    body: new Uint8Array(body),
  });
  if (response.status !== 201) throw new Error(`publish: ${response.status} ${await response.text()}`);
  const url = `${registry.url}/@${registry.namespace}/counted/-/counted-1.0.0.tgz`;
  const first = await fetch(url);
  if (first.status !== 200) throw new Error(`tarball: ${first.status}`);
  await first.arrayBuffer();
  return url;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  const guard = createRunGuard(30 * 60_000, log);
  const pinned = canPin() && pinProcess(process.pid, LOAD_CPU);
  const started = new Date().toISOString();
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const base = { backend: 'embedded' as const, postgresAdminUrl: '', redisUrl: '', logLevel: 'warn', user: 'bench' };
  const on = guard.track(await startRegistry({ ...base, env: { DOWNLOAD_COUNTS: 'on', DOWNLOAD_FLUSH_SECONDS: String(FLUSH_SECONDS) } }));
  const off = guard.track(await startRegistry({ ...base, env: { DOWNLOAD_COUNTS: 'off' } }));
  const targets = { on: { registry: on, url: await publish(on) }, off: { registry: off, url: await publish(off) } };
  const results: Record<'on' | 'off', LoadResult[]> = { on: [], off: [] };
  let sentToOn = 1; // the check in publish()
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      const { registry, url } = targets[mode];
      // no warm-up run: every 200 the "on" server answers must show up in its count
      const result = await measure({
        url,
        connections: CONNECTIONS,
        durationSeconds: DURATION,
        warmupSeconds: 0,
        expectStatus: 200,
        cpuPid: registry.pid,
      });
      results[mode].push(result);
      if (mode === 'on') sentToOn += result.statusCodes['200'] ?? 0;
      log(
        `round ${round + 1} ${mode}: ${result.requestsPerSecond.toFixed(0)} req/s, ${result.cpuUsPerRequest.toFixed(0)} µs CPU/req, errors ${result.errors}`,
      );
    }
  }
  await new Promise((r) => setTimeout(r, (FLUSH_SECONDS + 2) * 1000));
  const point = (await (await fetch(`${on.url}/-/downloads/point/last-day/@${on.namespace}/counted`)).json()) as { downloads: number };
  await guard.runCleanups();
  guard.disarm();

  const row = (mode: 'on' | 'off') => {
    const runs = results[mode];
    return `| counting ${mode} | ${runs.map((r) => r.requestsPerSecond.toFixed(0)).join(' / ')} | ${median(runs.map((r) => r.requestsPerSecond)).toFixed(0)} | ${median(runs.map((r) => r.cpuUsPerRequest)).toFixed(1)} | ${median(runs.map((r) => r.p50))} / ${median(runs.map((r) => r.p99))} | ${runs.reduce((s, r) => s + r.errors, 0)} |`;
  };
  const ratio = median(results.on.map((r) => r.requestsPerSecond)) / median(results.off.map((r) => r.requestsPerSecond));
  const report = `# Download counting on the tarball read path (issue 16.5), ${started.slice(0, 10)}

Command: \`npm run bench:downloads -- --duration ${DURATION} --rounds ${ROUNDS} --connections ${CONNECTIONS}\`

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average at start ${load} (shared with other work).
Servers pinned to core 0, autocannon to core ${pinned ? LOAD_CPU : '(not pinned)'}; embedded default (PGlite), NODE_ENV=production, bundled server.
Case: \`GET /@bench/counted/-/counted-1.0.0.tgz\` (a built npm tarball, served from memory), ${CONNECTIONS} connections,
${ROUNDS} rounds of ${DURATION} s each, alternating which server goes first.

| server | req/s per round | median req/s | median server CPU µs/req | p50 / p99 ms | errors |
|---|---|---|---|---|---|
${row('on')}
${row('off')}

Counting on / off (median req/s): **${ratio.toFixed(3)}**.

Counted by the "on" server (\`/-/downloads/point/last-day\`, read after a ${FLUSH_SECONDS} s flush interval): **${point.downloads}**;
200 answers it sent (autocannon, plus one check request): **${sentToOn}**.
`;
  process.stdout.write(report);
  if (flags.out) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(flags.out, report);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
