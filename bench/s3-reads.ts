// `npm run bench:s3` (issue 12.1): object reads through the registry with blobs on the filesystem
// and on S3 (a real Ceph RADOS Gateway started by scripts/s3-gateway.sh), hot (in the in-memory
// cache of small objects in front of S3) and, for context, with that cache off, in one run.
// Registries and the gateway's daemons on core 0, the load generator (autocannon) on core 1.
// Target: hot S3 reads within 1.2x of the filesystem backend (throughput and p50).
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createFsBlobStore } from '@entropic/blobs';
import { createS3BlobStore } from '@entropic/blobs/s3';
import { type RegistryProcess, startRegistryProcess, startS3Gateway } from '@entropic/testkit';
import { LOAD_CPU, pinProcess, SERVER_CPU } from './lib/cpu.ts';
import { type LoadResult, measure } from './lib/load.ts';
import { REPO_ROOT } from './lib/registry.ts';
import { createRunGuard } from './lib/run-guard.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    'no-write': { type: 'boolean', default: false },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const rounds = Number(args.rounds);
const log = (message: string) => console.error(`[bench:s3 ${new Date().toISOString().slice(11, 19)}] ${message}`);
const guard = createRunGuard(20 * 60_000, log);

const SIZES = [
  ['10 KB', 10 * 1024],
  ['1 MB', 1024 * 1024],
] as const;

interface Server {
  label: string;
  registry: RegistryProcess;
}

async function main(): Promise<void> {
  pinProcess(process.pid, LOAD_CPU);
  const gateway = guard.track(await startS3Gateway());
  for (const pid of (await readFile(join(gateway.dir, 'pids'), 'utf8')).split('\n').filter(Boolean)) pinProcess(Number(pid), SERVER_CPU);
  const contents = SIZES.map(([label, size]) => ({ label, bytes: randomBytes(size) }));
  const servers: Server[] = [];
  try {
    const fs = await startRegistryProcess({
      env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', SESSION_SECRET: 'x'.repeat(40), OAUTH_PASSWORD: 'y'.repeat(40) },
    });
    servers.push({ label: 'fs', registry: fs });
    const s3Env = {
      ...gateway.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      SESSION_SECRET: 'x'.repeat(40),
      OAUTH_PASSWORD: 'y'.repeat(40),
    };
    servers.push({
      label: 's3 (hot cache)',
      registry: await startRegistryProcess({ env: { ...s3Env, BLOB_CACHE_BYTES: String(64 * 1024 * 1024) } }),
    });
    servers.push({ label: 's3 (no cache)', registry: await startRegistryProcess({ env: { ...s3Env, BLOB_CACHE_BYTES: '0' } }) });
    for (const server of servers) {
      guard.track(server.registry);
      pinProcess(server.registry.child.pid as number, SERVER_CPU);
    }
    // objects go straight into each store: a read of /objects/… touches the blob store only
    const fsStore = createFsBlobStore({ dir: join(fs.dataDir, 'blobs') });
    const s3Store = createS3BlobStore({
      bucket: gateway.bucket,
      endpoint: gateway.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: gateway.accessKeyId, secretAccessKey: gateway.secretAccessKey },
    });
    const integrities = [];
    for (const { bytes } of contents) {
      const { integrity } = await fsStore.putBytes(bytes);
      await s3Store.putBytes(bytes);
      integrities.push(integrity);
    }
    await s3Store.close();

    const results: { size: string; server: string; round: number; result: LoadResult }[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const [i, { label: size }] of contents.entries()) {
        const path = `/objects/object/sha512/${encodeURIComponent((integrities[i] as string).slice(7))}`;
        // alternate who goes first, so drift on a shared machine does not favour one
        const order = round % 2 === 1 ? servers : [...servers].reverse();
        for (const server of order) {
          log(`round ${round}: ${size} from ${server.label}`);
          const result = await measure({
            url: `${server.registry.url}${path}`,
            connections,
            durationSeconds: duration,
            warmupSeconds: 1,
            expectStatus: 200,
            cpuPid: server.registry.child.pid,
          });
          results.push({ size, server: server.label, round, result });
        }
      }
    }
    const report = render(results);
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function render(results: { size: string; server: string; round: number; result: LoadResult }[]): string {
  const lines = [
    `# Object reads: filesystem vs S3 (${new Date().toISOString().slice(0, 16)}Z)`,
    '',
    `Command: \`npm run bench:s3 -- --duration ${duration} --connections ${connections} --rounds ${rounds}\``,
    '',
    `GET /objects/object/sha512/<digest> of one object, ${connections} connections, ${duration} s per run after a 1 s warm-up,`,
    `${rounds} rounds (order alternating); median of the rounds. Registries (NODE_ENV=production, embedded database) and the`,
    'Ceph RADOS Gateway (mon, memstore OSD, radosgw: scripts/s3-gateway.sh) pinned to core 0, autocannon to core 1.',
    `Machine load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}.`,
    '',
    '| object | backend | req/s | p50 ms | p99 ms | server CPU µs/req | errors | req/s vs fs | p50 vs fs |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const verdicts: string[] = [];
  for (const [size] of SIZES) {
    const of = (server: string) => results.filter((r) => r.size === size && r.server === server).map((r) => r.result);
    const fs = of('fs');
    const fsRps = median(fs.map((r) => r.requestsPerSecond));
    const fsP50 = median(fs.map((r) => r.p50));
    for (const server of ['fs', 's3 (hot cache)', 's3 (no cache)']) {
      const runs = of(server);
      const rps = median(runs.map((r) => r.requestsPerSecond));
      const p50 = median(runs.map((r) => r.p50));
      const errors = runs.reduce((sum, r) => sum + r.errors, 0);
      lines.push(
        `| ${size} | ${server} | ${rps.toFixed(0)} | ${p50.toFixed(1)} | ${median(runs.map((r) => r.p99)).toFixed(1)} | ${median(runs.map((r) => r.cpuUsPerRequest)).toFixed(0)} | ${errors} | ${(fsRps / rps).toFixed(2)}x slower | ${(p50 / Math.max(fsP50, 0.01)).toFixed(2)}x |`,
      );
      if (server === 's3 (hot cache)') {
        const ratio = fsRps / rps;
        verdicts.push(`- ${size}, hot S3 vs fs throughput: ${ratio.toFixed(2)}x (target ≤ 1.2x): ${ratio <= 1.2 ? 'PASS' : 'FAIL'}`);
      }
    }
  }
  lines.push('', '## Target', '', ...verdicts, '');
  lines.push('Rounds:', '', '| round | object | backend | req/s | p50 ms | p99 ms |', '|---|---|---|---|---|---|');
  for (const r of results) {
    lines.push(`| ${r.round} | ${r.size} | ${r.server} | ${r.result.requestsPerSecond.toFixed(0)} | ${r.result.p50} | ${r.result.p99} |`);
  }
  return `${lines.join('\n')}\n`;
}

await main();
