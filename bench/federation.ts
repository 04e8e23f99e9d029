// `npm run bench:federation` (node --import tsx bench/federation.ts): issue 15's first two targets.
//
// (a) `ds install` of a 50-package graph whose packages live on two other hosts (B and C, even
//     and odd packages, depending on each other across hosts), through the local registry A with
//     a warm mirror, against the same graph published on A itself: within 1.1×.
// (b) Origin bytes per mirrored version against the bytes of the files A did not already hold
//     (content addressing: a file A holds is never fetched again).
//
// Three registry processes on loopback (the bundled server as `npm start` runs it, each its own
// host, all pinned to the server core), started and stopped by the bench. A reaches B and C
// through counting forwarders in this process, which count every request and byte A asks of an
// origin. The local graph on A shares half of each package's files with the remote one (README,
// LICENSE, index.js and two modules are the same bytes; three modules differ per host), so
// mirroring has something to skip. One discarded install of each graph warms A (the remote one
// mirrors every version on demand); then rounds alternate which graph goes first. Every install
// is cold on the client (fresh ds cache and project, no lockfile). Reported per install: wall
// time, ds's CPU (GNU time) and A's CPU (/proc), and the origin requests during the measured
// installs (none expected: FEDERATION_REFRESH_SECONDS is `--refresh-seconds`, default 3600, so
// the warm mirror serves package documents without asking their origin).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { encodePublishBody } from '@entropic/testkit';
import { DS_BIN } from '../packages/cli/test/support/ds-harness.ts';
import { LOAD_CPU, pinnedCommand } from './lib/cpu.ts';
import { freePort } from './lib/net.ts';
import { type BenchRegistry, REPO_ROOT, startRegistry } from './lib/registry.ts';
import { processCpuNs } from './lib/rss.ts';

const exec = promisify(execFile);
const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    packages: { type: 'string', default: '50' },
    'refresh-seconds': { type: 'string', default: '3600' },
    backend: { type: 'string', default: 'embedded' },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    packing: { type: 'string', default: 'on' },
    'no-write': { type: 'boolean', default: false },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds));
const COUNT = Math.max(4, Number(flags.packages));
const BACKEND = flags.backend === 'postgres' ? 'postgres' : 'embedded';
if (flags.backend !== BACKEND) throw new Error(`--backend: embedded or postgres, not ${flags.backend}`);
const USER = 'bench';
const ROOTS = 10;
const log = (message: string) => process.stderr.write(`[bench:federation] ${message}\n`);

// ---------- the graph: p000 … p049, deterministic, every package reachable from a root ----------
const pname = (i: number) => `p${String(i).padStart(3, '0')}`;
function generateEdges(count: number): number[][] {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const deps: number[][] = Array.from({ length: count }, () => []);
  for (let i = Math.min(ROOTS, count); i < count; i++) {
    (deps[Math.floor(random() * i)] as number[]).push(i); // one parent keeps it reachable
    const parent = Math.floor(random() * i);
    if (!deps[parent]?.includes(i)) deps[parent]?.push(i);
  }
  return deps;
}

/** A package's files: the same bytes on every host but three modules, which carry the host's tag. */
function filesOf(i: number, deps: number[], tag: string): Record<string, string> {
  const files: Record<string, string> = {
    'index.js': `${deps.map((d) => `require('@bench/${pname(d)}');`).join('\n')}\nmodule.exports = '${pname(i)}';\n`,
    'README.md': `# ${pname(i)}\n\n${'Some documentation. '.repeat(40)}\n`,
    LICENSE: 'MIT\n',
  };
  for (let f = 0; f < 5; f++) {
    const seed = createHash('sha256').update(`${i}/${f}`).digest('hex');
    const own = f < 3 ? `// ${tag}\n` : '';
    files[`lib/module-${f}.js`] =
      `${own}// ${seed}\n${'export const value = 1;\n'.repeat(20 + (Number.parseInt(seed.slice(0, 4), 16) % 200))}`;
  }
  return files;
}

async function publish(
  registry: BenchRegistry,
  name: string,
  files: Record<string, string>,
  dependencies: Record<string, string>,
): Promise<{ integrity: string; files: Record<string, string> }> {
  const { payload, contentType } = await encodePublishBody({ files, fields: { dependencies } });
  const response = await fetch(`${registry.url}/packages/package/${USER}/${name}/versions/1.0.0`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${registry.token}`, 'content-type': contentType },
    body: new Uint8Array(payload),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`publish ${name} on ${registry.url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as { integrity: string; files: Record<string, string> };
}

/** A forwarder in front of an origin: counts requests, and body bytes of object answers by path. */
interface Counter {
  url: string;
  requests: number;
  objectBytes: Map<string, number>;
  otherBytes: number;
  server: Server;
}
async function countingForwarder(target: string): Promise<Counter> {
  const port = await freePort();
  const counter: Counter = {
    url: `http://127.0.0.1:${port}`,
    requests: 0,
    objectBytes: new Map(),
    otherBytes: 0,
    server: undefined as never,
  };
  counter.server = createServer((req, res) => {
    counter.requests += 1;
    const path = req.url ?? '/';
    fetch(`${target}${path}`, { headers: { accept: req.headers.accept ?? '*/*' }, redirect: 'manual' })
      .then(async (upstream) => {
        const body = Buffer.from(await upstream.arrayBuffer());
        if (path.startsWith('/objects/')) counter.objectBytes.set(path, (counter.objectBytes.get(path) ?? 0) + body.length);
        else counter.otherBytes += body.length;
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' }).end(body);
      })
      .catch(() => res.socket?.destroy());
  });
  await new Promise<void>((r) => counter.server.listen(port, '127.0.0.1', r));
  return counter;
}

interface Timing {
  wallMs: number;
  dsCpuMs: number;
  registryCpuMs: number;
}

/** A cold `ds install` (fresh cache and project) of the roots, pinned to the load core, under GNU time. */
async function install(registry: BenchRegistry, roots: string[], work: string): Promise<Timing> {
  const dir = await mkdtemp(join(work, 'project-'));
  await writeFile(join(dir, 'Package.toml'), `[dependencies]\n${roots.map((r) => `"${r}" = "^1.0.0"`).join('\n')}\n`);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_CACHE_HOME: join(dir, '.cache'),
    ENTROPIC_CACHE: join(dir, '.cache'),
    ENTROPIC_REGISTRY: registry.url,
    NO_COLOR: '1',
  };
  const { command, args } = pinnedCommand(LOAD_CPU, '/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, DS_BIN, 'install']);
  const cpuBefore = processCpuNs(registry.pid);
  const started = performance.now();
  const { stderr } = await exec(command, args, { cwd: dir, env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  const registryCpuMs = (processCpuNs(registry.pid) - cpuBefore) / 1e6;
  const match = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  await rm(dir, { recursive: true, force: true });
  return { wallMs, dsCpuMs: match ? (Number(match[1]) + Number(match[2])) * 1000 : Number.NaN, registryCpuMs };
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;
const hexOf = (integrity: string) => encodeURIComponent(integrity.slice('sha512-'.length));

async function main(): Promise<void> {
  const load = loadavg().map((l) => l.toFixed(1));
  const work = await mkdtemp(join(tmpdir(), 'entropic-bench-federation-'));
  const registries: BenchRegistry[] = [];
  const counters: Counter[] = [];
  const common = {
    backend: BACKEND,
    postgresAdminUrl: flags['postgres-url'],
    redisUrl: flags['redis-url'],
    logLevel: 'warn',
    user: USER,
    env: { BLOB_PACKING: flags.packing === 'off' ? 'off' : 'on' },
  } as const;
  try {
    log('starting B and C');
    // one after the other: each start builds the server bundle (as `npm start` does)
    const b = await startRegistry(common);
    registries.push(b);
    const c = await startRegistry(common);
    registries.push(c);
    const origins = [b, c];
    for (const origin of origins) counters.push(await countingForwarder(origin.url));
    const hosts = origins.map((origin) => new URL(origin.url).host);
    log('starting A, federating with B and C through counting forwarders');
    const a = await startRegistry({
      ...common,
      env: {
        ...common.env,
        FEDERATION_HOSTS: hosts.map((host, i) => `${host}=${counters[i]?.url}`).join(','),
        FEDERATION_REFRESH_SECONDS: String(flags['refresh-seconds']),
      },
    });
    registries.push(a);
    const aHost = new URL(a.url).host;
    const edges = generateEdges(COUNT);
    const homeOf = (i: number) => (i % 2 === 0 ? 0 : 1);
    log(`publishing ${COUNT} packages on A, and the same graph spread over B (even) and C (odd)`);
    const remote: Array<{ integrity: string; files: Record<string, string> }> = [];
    const local: typeof remote = [];
    for (let i = COUNT - 1; i >= 0; i--) {
      const deps = edges[i] as number[];
      local[i] = await publish(
        a,
        pname(i),
        filesOf(i, deps, aHost),
        Object.fromEntries(deps.map((d) => [`${USER}/${pname(d)}`, '^1.0.0'])),
      );
      const home = homeOf(i);
      const remoteDeps = Object.fromEntries(deps.map((d) => [`${USER}@${hosts[homeOf(d)]}/${pname(d)}`, '^1.0.0']));
      remote[i] = await publish(origins[home] as BenchRegistry, pname(i), filesOf(i, deps, hosts[home] as string), remoteDeps);
    }

    // (b) which files A does not hold yet (A holds exactly what its own publishes stored): those,
    // and the version documents, are all that mirroring may fetch
    const held = new Set(local.flatMap((version) => Object.values(version.files)));
    const notHeld = new Map<string, number>();
    for (const [i, version] of remote.entries()) {
      const contents = filesOf(i, edges[i] as number[], hosts[homeOf(i)] as string);
      for (const [path, integrity] of Object.entries(version.files)) {
        if (!held.has(integrity)) notHeld.set(integrity, Buffer.byteLength(contents[path.slice('./package/'.length)] ?? ''));
      }
    }

    const localRoots = Array.from({ length: Math.min(ROOTS, COUNT) }, (_, i) => `${USER}/${pname(i)}`);
    const remoteRoots = localRoots.map((_, i) => `${USER}@${hosts[homeOf(i)]}/${pname(i)}`);
    log('warm-up: one install of each (the remote one mirrors every version through A)');
    await install(a, localRoots, work);
    const warm = await install(a, remoteRoots, work);
    const versionDocs = new Set(remote.map((version) => `/objects/object/sha512/${hexOf(version.integrity)}`));
    let documentBytes = 0;
    let fileBytes = 0;
    for (const counter of counters) {
      for (const [path, bytes] of counter.objectBytes) {
        if (versionDocs.has(path)) documentBytes += bytes;
        else fileBytes += bytes;
      }
    }
    const metadataBytes = counters.reduce((sum, counter) => sum + counter.otherBytes, 0);
    const notHeldBytes = [...notHeld.values()].reduce((sum, bytes) => sum + Math.max(0, bytes), 0);
    const requestsAfterWarmUp = counters.reduce((sum, counter) => sum + counter.requests, 0);

    const results: Record<'local' | 'remote', Timing[]> = { local: [], remote: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Array<'local' | 'remote'> = round % 2 === 0 ? ['local', 'remote'] : ['remote', 'local'];
      for (const kind of order) {
        const timing = await install(a, kind === 'local' ? localRoots : remoteRoots, work);
        results[kind].push(timing);
        log(
          `round ${round + 1} ${kind}: ${timing.wallMs.toFixed(0)} ms wall, ds CPU ${timing.dsCpuMs.toFixed(0)} ms, A CPU ${timing.registryCpuMs.toFixed(0)} ms`,
        );
      }
    }
    const originRequestsMeasured = counters.reduce((sum, counter) => sum + counter.requests, 0) - requestsAfterWarmUp;

    const row = (kind: 'local' | 'remote') => {
      const list = results[kind];
      return `| ${kind === 'local' ? `all on A (\`${USER}/…\`)` : 'on B and C, through A'} | ${list.map((t) => t.wallMs.toFixed(0)).join(', ')} | ${median(list.map((t) => t.wallMs)).toFixed(0)} | ${median(list.map((t) => t.dsCpuMs)).toFixed(0)} | ${median(list.map((t) => t.registryCpuMs)).toFixed(0)} |`;
    };
    const ratio = (pick: (t: Timing) => number) => (median(results.remote.map(pick)) / median(results.local.map(pick))).toFixed(3);
    const perVersion = (bytes: number) => (bytes / COUNT).toFixed(0);
    const report = [
      `# bench:federation, ${new Date().toISOString().slice(0, 10)} (issue 15, targets 1 and 2)`,
      '',
      `\`npm run bench:federation -- --rounds ${ROUNDS} --packages ${COUNT}${BACKEND === 'postgres' ? ' --backend postgres' : ''}\` at ${new Date().toISOString().slice(0, 16)} UTC, backend ${BACKEND}, BLOB_PACKING=${common.env.BLOB_PACKING}, load average before: ${load.join(' ')}.`,
      `Three registry processes (A, B, C) on loopback, pinned to core 0; ds on core 1. ${COUNT} packages, ${ROOTS} roots, ${edges.flat().length} edges; each package 8 files.`,
      '',
      '## (a) cold `ds install` through A with a warm mirror, against the same graph on A',
      '',
      '| graph | wall ms (each round) | median wall ms | median ds CPU ms | median A CPU ms |',
      '|---|---|---|---|---|',
      row('local'),
      row('remote'),
      '',
      `remote ÷ local (medians): wall **${ratio((t) => t.wallMs)}** (target ≤ 1.1), ds CPU ${ratio((t) => t.dsCpuMs)}, A CPU ${ratio((t) => t.registryCpuMs)}.`,
      `Requests A made to B and C during the measured installs: ${originRequestsMeasured} (FEDERATION_REFRESH_SECONDS=${flags['refresh-seconds']}).`,
      `The warm-up install that mirrored the remote graph took ${warm.wallMs.toFixed(0)} ms wall, A CPU ${warm.registryCpuMs.toFixed(0)} ms.`,
      '',
      '## (b) origin bytes per mirrored version',
      '',
      '| | bytes | per version |',
      '|---|---|---|',
      `| files A did not hold before (unique) | ${notHeldBytes} | ${perVersion(notHeldBytes)} |`,
      `| file bytes fetched from B and C | ${fileBytes} | ${perVersion(fileBytes)} |`,
      `| version documents fetched | ${documentBytes} | ${perVersion(documentBytes)} |`,
      `| package and host documents fetched | ${metadataBytes} | ${perVersion(metadataBytes)} |`,
      '',
      `File bytes fetched ÷ bytes of files not held: **${(fileBytes / Math.max(1, notHeldBytes)).toFixed(3)}** (target ≤ 1); all object bytes (files and version documents) ÷ not held: ${((fileBytes + documentBytes) / Math.max(1, notHeldBytes)).toFixed(3)}.`,
      'Each remote package shares 5 of its 8 files (README, LICENSE, index.js, two modules) with its copy on A: content addressing never fetches those.',
    ].join('\n');
    process.stdout.write(`${report}\n`);
    if (!flags['no-write']) {
      const dir = join(REPO_ROOT, 'bench/results');
      await mkdir(dir, { recursive: true });
      const file = join(dir, `federation-${new Date().toISOString().slice(0, 10)}.md`);
      await writeFile(file, `${report}\n`);
      log(`wrote ${file}`);
    }
  } catch (error) {
    for (const registry of registries) log(`${registry.url} log:\n${readFileSync(registry.logFile, 'utf8').slice(-3000)}`);
    throw error;
  } finally {
    for (const counter of counters) counter.server.close();
    await Promise.allSettled(registries.map((registry) => registry.stop()));
    await rm(work, { recursive: true, force: true });
  }
}

await main();
