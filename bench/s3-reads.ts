// `npm run bench:s3` (issue 12.1): object reads through the registry with blobs on the filesystem
// and on S3 (a real Ceph RADOS Gateway started by scripts/s3-gateway.sh), hot (in the in-memory
// cache of small objects in front of S3) and, for context, with that cache off, in one run.
// The objects are files of a public version published to each registry (as hot objects are).
// What each backend does for one GET is in bench/README.md; before measuring, every backend's
// answers (GET, HEAD, Range, If-None-Match, an unsatisfiable Range) are checked byte for byte
// against the object and against the filesystem's answers, so all sides do the same work.
// Registries (the production bundle) and the gateway's daemons on core 0, the load generator
// (autocannon) on core 1. Target: hot S3 reads within 1.2x of the filesystem backend; on a loaded
// machine read the CPU-per-request ratio, which other load disturbs far less than req/s.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodePublishBody, startS3Gateway } from '@entropic/testkit';
import { measureBulk } from './lib/bulk.ts';
import { LOAD_CPU, pinProcess, SERVER_CPU } from './lib/cpu.ts';
import { type LoadResult, measure } from './lib/load.ts';
import { type BenchRegistry, REPO_ROOT, startRegistry } from './lib/registry.ts';
import { createRunGuard } from './lib/run-guard.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'fs,fs-raw,s3-hot,s3-cold' },
    'cpu-prof': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const rounds = Number(args.rounds);
const log = (message: string) => console.error(`[bench:s3 ${new Date().toISOString().slice(11, 19)}] ${message}`);
const guard = createRunGuard(30 * 60_000, log);

const SIZES = [
  ['10 KB', 10 * 1024],
  ['1 MB', 1024 * 1024],
] as const;

/** The backends, as an operator configures them; `fs` is the default install. */
const BACKENDS = {
  fs: { label: 'fs (default: packing on)', s3: false, env: {} },
  'fs-raw': { label: 'fs (packing off)', s3: false, env: { BLOB_PACKING: 'off' } },
  's3-hot': { label: 's3 (hot cache)', s3: true, env: { BLOB_CACHE_BYTES: String(64 * 1024 * 1024) } },
  's3-cold': { label: 's3 (no cache)', s3: true, env: { BLOB_CACHE_BYTES: '0' } },
} as const;
type BackendName = keyof typeof BACKENDS;
const chosen = (args.backends as string).split(',').map((name) => {
  if (!(name in BACKENDS)) throw new Error(`--backends: unknown "${name}" (${Object.keys(BACKENDS).join(', ')})`);
  return name as BackendName;
});
if (!chosen.includes('fs')) throw new Error('--backends must include fs: every ratio is against it');

interface Server {
  name: BackendName;
  label: string;
  registry: BenchRegistry;
}

interface Sample {
  size: string;
  server: BackendName;
  round: number;
  result: LoadResult;
  /** blob-cache misses during the warm-up and run (S3 GETs: 0 when every read is hot); undefined without the cache */
  misses: number | undefined;
}

async function main(): Promise<void> {
  pinProcess(process.pid, LOAD_CPU);
  const gateway = guard.track(await startS3Gateway());
  for (const pid of (await readFile(join(gateway.dir, 'pids'), 'utf8')).split('\n').filter(Boolean)) pinProcess(Number(pid), SERVER_CPU);
  const contents = SIZES.map(([label, size]) => ({ label, bytes: randomBytes(size) }));
  const servers: Server[] = [];
  try {
    for (const name of chosen) {
      const backend = BACKENDS[name];
      const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['cpu-prof'], name)}`] : [];
      if (args['cpu-prof']) await mkdir(resolve(args['cpu-prof'], name), { recursive: true });
      const env = { ...(backend.s3 ? gateway.env : {}), ...backend.env };
      // as `npm start` runs it (the bundle, --max-semi-space-size=4), pinned to core 0, user made before it starts
      const registry = guard.track(
        await startRegistry({ backend: 'embedded', postgresAdminUrl: '', redisUrl: '', logLevel: 'warn', user: 'bench', nodeArgs, env }),
      );
      servers.push({ name, label: backend.label, registry });
    }
    // The objects are files of a published public version, as hot objects are: the registry knows
    // them as public (its verdict cache answers) and each backend stored them through its publish.
    const files = Object.fromEntries(contents.map(({ bytes }, i) => [`file-${i}.bin`, bytes]));
    const { payload, contentType } = await encodePublishBody({ files });
    for (const server of servers) {
      const response = await fetch(`${server.registry.url}/packages/package/bench/objects/versions/1.0.0`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${server.registry.token}`, 'content-type': contentType },
        body: new Uint8Array(payload),
      });
      if (response.status !== 201) throw new Error(`publish to ${server.label}: ${response.status} ${await response.text()}`);
    }
    const integrities = contents.map(({ bytes }) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`);
    const paths = integrities.map((integrity) => `/objects/object/sha512/${encodeURIComponent(integrity.slice(7))}`);
    for (const [i, { label, bytes }] of contents.entries()) {
      await checkSameAnswers(servers, paths[i] as string, integrities[i] as string, bytes);
      log(`${label}: every backend answers GET, HEAD, Range and If-None-Match alike`);
    }

    const samples: Sample[] = [];
    const sideBySide: Sample[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const [i, { label: size }] of contents.entries()) {
        // alternate who goes first, so drift on a shared machine does not favour one
        const order = round % 2 === 1 ? servers : [...servers].reverse();
        for (const server of order) {
          log(`round ${round}: ${size} from ${server.label}`);
          const before = await blobCacheMisses(server.registry.url);
          // autocannon reads large bodies at ~25 MB/s (bench/lib/bulk.ts): raw sockets for the 1 MB object
          const result = await (size === '1 MB' ? measureBulk : measure)({
            url: `${server.registry.url}${paths[i]}`,
            connections,
            durationSeconds: duration,
            warmupSeconds: 1,
            expectStatus: 200,
            cpuPid: server.registry.pid,
          });
          const after = await blobCacheMisses(server.registry.url);
          const misses = before === undefined || after === undefined ? undefined : after - before;
          samples.push({ size, server: server.name, round, result, misses });
        }
        // Side by side: the same seconds on the same core, so other load hits every backend alike;
        // throughput is shared here, CPU per request is what to compare (s3-cold would only wait).
        const together = servers.filter((server) => server.name !== 's3-cold');
        log(`round ${round}: ${size} from ${together.map((server) => server.name).join(' + ')} side by side`);
        const results = await Promise.all(
          together.map((server) =>
            (size === '1 MB' ? measureBulk : measure)({
              url: `${server.registry.url}${paths[i]}`,
              connections,
              durationSeconds: duration,
              warmupSeconds: 1,
              expectStatus: 200,
              cpuPid: server.registry.pid,
            }),
          ),
        );
        for (const [j, server] of together.entries())
          sideBySide.push({ size, server: server.name, round, result: results[j] as LoadResult, misses: undefined });
      }
    }
    const report = render(samples, sideBySide, servers);
    console.log(report);
    if (!args['no-write']) {
      const file = join(REPO_ROOT, 'bench/results', `s3-${new Date().toISOString().slice(0, 10)}.md`);
      await writeFile(file, report);
      log(`wrote ${file}`);
    }
  } finally {
    await guard.runCleanups();
    guard.disarm();
  }
}

const COMPARED_HEADERS = ['etag', 'content-length', 'content-range', 'accept-ranges', 'cache-control', 'content-type'];

/** Throws unless every backend answers each request with the same status, headers and bytes as the filesystem. */
async function checkSameAnswers(servers: Server[], path: string, integrity: string, bytes: Buffer): Promise<void> {
  const etag = `"${integrity}"`;
  const requests: { name: string; method: string; headers: Record<string, string>; status: number; body: Buffer }[] = [
    { name: 'GET', method: 'GET', headers: {}, status: 200, body: bytes },
    { name: 'GET again (hot)', method: 'GET', headers: {}, status: 200, body: bytes },
    { name: 'HEAD', method: 'HEAD', headers: {}, status: 200, body: Buffer.alloc(0) },
    { name: 'Range', method: 'GET', headers: { range: 'bytes=100-199' }, status: 206, body: bytes.subarray(100, 200) },
    { name: 'suffix Range', method: 'GET', headers: { range: 'bytes=-50' }, status: 206, body: bytes.subarray(-50) },
    { name: 'If-None-Match', method: 'GET', headers: { 'if-none-match': etag }, status: 304, body: Buffer.alloc(0) },
    { name: 'Range past the end', method: 'GET', headers: { range: `bytes=${bytes.byteLength}-` }, status: 416, body: Buffer.alloc(0) },
  ];
  for (const request of requests) {
    let reference: string | undefined;
    for (const server of servers) {
      const response = await fetch(`${server.registry.url}${path}`, { method: request.method, headers: request.headers });
      const body = Buffer.from(await response.arrayBuffer());
      const where = `${request.name} from ${server.label}`;
      if (response.status !== request.status) throw new Error(`${where}: ${response.status}, expected ${request.status}`);
      if (request.status < 300 && !body.equals(request.body)) throw new Error(`${where}: the bytes differ from the object's`);
      const headers = JSON.stringify(COMPARED_HEADERS.map((name) => [name, response.headers.get(name)]));
      reference ??= headers;
      if (headers !== reference) throw new Error(`${where}: headers ${headers}, the filesystem answered ${reference}`);
    }
  }
}

/** `entropic_cache_lookups_total{cache="blob",result="miss"}` from the registry's /metrics; undefined when it has no blob cache. */
async function blobCacheMisses(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^entropic_cache_lookups_total\{cache="blob",result="miss"\} (\d+)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function render(samples: Sample[], sideBySide: Sample[], servers: Server[]): string {
  const command = ['npm run bench:s3', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const lines = [
    `# Object reads: filesystem vs S3 (${new Date().toISOString().slice(0, 16)}Z)`,
    '',
    `Command: \`${command}\` at ${commit}`,
    '',
    `GET /objects/object/sha512/<digest> of one object, ${connections} connections (autocannon; for 1 MB the raw-socket client of`,
    `bench/lib/bulk.ts), ${duration} s per run after a 1 s warm-up,`,
    `${rounds} rounds (order alternating); median of the rounds. Registries: started as \`npm start\` runs them (the bundle),`,
    'NODE_ENV=production, embedded database, LOG_LEVEL=warn; with the Ceph RADOS Gateway (mon, memstore OSD, radosgw:',
    'scripts/s3-gateway.sh) pinned to core 0, autocannon to core 1. The objects are files of a public version published to',
    'each registry. Every backend answered GET, HEAD, Range, suffix Range, If-None-Match and an unsatisfiable Range with the',
    'same status, headers and bytes before the runs. What each backend does per GET: bench/README.md.',
    `Machine load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}.`,
    '',
    '| object | backend | req/s | p50 ms | p99 ms | server CPU µs/req | S3 GETs (cache misses) | errors | req/s: fs ÷ this | CPU/req: this ÷ fs |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const verdicts: string[] = [];
  for (const [size] of SIZES) {
    const of = (server: BackendName) => samples.filter((r) => r.size === size && r.server === server);
    const fsRps = median(of('fs').map((r) => r.result.requestsPerSecond));
    const fsCpu = median(of('fs').map((r) => r.result.cpuUsPerRequest));
    for (const server of servers) {
      const runs = of(server.name);
      const rps = median(runs.map((r) => r.result.requestsPerSecond));
      const cpu = median(runs.map((r) => r.result.cpuUsPerRequest));
      const errors = runs.reduce((sum, r) => sum + r.result.errors, 0);
      const misses = runs.every((r) => r.misses === undefined) ? '—' : String(runs.reduce((sum, r) => sum + (r.misses ?? 0), 0));
      lines.push(
        `| ${size} | ${server.label} | ${rps.toFixed(0)} | ${median(runs.map((r) => r.result.p50)).toFixed(1)} | ` +
          `${median(runs.map((r) => r.result.p99)).toFixed(1)} | ${cpu.toFixed(0)} | ${misses} | ${errors} | ` +
          `${(fsRps / rps).toFixed(2)}x | ${(cpu / fsCpu).toFixed(2)}x |`,
      );
      if (server.name === 's3-hot') {
        const ratio = fsRps / rps;
        const cpuRatio = cpu / fsCpu;
        // per round, side by side: hot S3's CPU per request over the filesystem's in the same seconds
        const paired = [...new Set(sideBySide.map((r) => r.round))].map((round) => {
          const at = (name: BackendName) => sideBySide.find((r) => r.size === size && r.round === round && r.server === name);
          return (at('s3-hot')?.result.cpuUsPerRequest ?? Number.NaN) / (at('fs')?.result.cpuUsPerRequest ?? Number.NaN);
        });
        const pairedRatio = median(paired);
        verdicts.push(
          `- ${size}, hot S3 vs fs: throughput ${ratio.toFixed(2)}x (target ≤ 1.2x): ${ratio <= 1.2 ? 'PASS' : 'FAIL'}; ` +
            `CPU per request, runs in turn ${cpuRatio.toFixed(2)}x, side by side ${pairedRatio.toFixed(2)}x ` +
            `(rounds: ${paired.map((x) => x.toFixed(2)).join(', ')}): ${pairedRatio <= 1.2 ? 'PASS' : 'FAIL'}`,
        );
      }
    }
  }
  lines.push('', '## Target', '', ...verdicts, '');
  lines.push(
    'Side by side (every backend but s3-cold served at once, same core, same seconds; throughput is shared):',
    '',
    '| round | object | backend | req/s | CPU µs/req | CPU/req: this ÷ fs |',
    '|---|---|---|---|---|---|',
    ...sideBySide.map((r) => {
      const fs = sideBySide.find((x) => x.size === r.size && x.round === r.round && x.server === 'fs');
      const ratio = r.result.cpuUsPerRequest / (fs?.result.cpuUsPerRequest ?? Number.NaN);
      return `| ${r.round} | ${r.size} | ${BACKENDS[r.server].label} | ${r.result.requestsPerSecond.toFixed(0)} | ${r.result.cpuUsPerRequest.toFixed(0)} | ${ratio.toFixed(2)}x |`;
    }),
    '',
  );
  lines.push(
    'Rounds:',
    '',
    '| round | object | backend | req/s | p50 ms | p99 ms | CPU µs/req |',
    '|---|---|---|---|---|---|---|',
    ...samples.map(
      (r) =>
        `| ${r.round} | ${r.size} | ${BACKENDS[r.server].label} | ${r.result.requestsPerSecond.toFixed(0)} | ${r.result.p50.toFixed(1)} | ` +
        `${r.result.p99.toFixed(1)} | ${r.result.cpuUsPerRequest.toFixed(0)} |`,
    ),
  );
  return `${lines.join('\n')}\n`;
}

await main();
