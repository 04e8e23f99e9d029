// `npm run bench:private-install` (node --import tsx bench/private-install.ts): issue 9's target
// "cold `npm install` of 10 private dependencies within 1.05× of the same graph public". The
// registry runs as `npm start` runs it (a real process: the bundled server, NODE_ENV=production,
// pinned to core 0), on the embedded default or PostgreSQL + Redis (`--backend postgres`). Two
// namespaces hold the same graph of 10 direct dependencies (5 of them depend on the other 5, so
// npm resolves in two waves): `openco` is public, `closedco` private. The real npm CLI (pinned
// to core 1) installs each cold (fresh HOME, cache and project, no lockfile) with the same
// member's token in `.npmrc`; rounds alternate which namespace goes first, after one discarded
// warm-up install each. Reported per install: wall time and the registry process's CPU time
// (all its threads, from /proc: what to trust on a loaded machine).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LOAD_CPU, pinnedCommand } from './lib/cpu.ts';
import { clientEnv } from './lib/npm-client.ts';
import { npmVersion, publishDocument } from './lib/npm-document.ts';
import { type BenchRegistry, startRegistry } from './lib/registry.ts';
import { processCpuNs } from './lib/rss.ts';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    files: { type: 'string', default: '20' },
    backend: { type: 'string', default: 'embedded' },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds));
const FILES = Math.max(2, Number(flags.files));
const BACKEND = flags.backend === 'postgres' ? 'postgres' : 'embedded';
if (flags.backend !== BACKEND) throw new Error(`--backend: embedded or postgres, not ${flags.backend}`);
const DEPENDENCIES = 10;
const USER = 'bench';
const NAMESPACES = { public: 'openco', private: 'closedco' } as const;
type Kind = keyof typeof NAMESPACES;
const log = (message: string) => process.stderr.write(`[bench:private-install] ${message}\n`);

async function call(registry: BenchRegistry, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(registry.url + path, {
    method,
    headers: {
      authorization: `Bearer ${registry.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** The same bytes for both namespaces but the names: FILES files of ~2 KB each. */
function filesOf(index: number): { path: string; content: Buffer }[] {
  const files = [{ path: 'package.json', content: Buffer.from('{}') }];
  for (let f = 0; f < FILES; f++) {
    const seed = createHash('sha256').update(`${index}/${f}`).digest('hex');
    files.push({ path: `lib/file-${f}.js`, content: Buffer.from(`// ${seed}\nmodule.exports = ${JSON.stringify(seed.repeat(30))};\n`) });
  }
  return files;
}

/** dep-0…dep-4 depend on dep-5…dep-9. */
async function publishGraph(registry: BenchRegistry, namespace: string): Promise<void> {
  for (let i = DEPENDENCIES - 1; i >= 0; i--) {
    const name = `@${namespace}/dep-${i}`;
    const dependencies = i < DEPENDENCIES / 2 ? { [`@${namespace}/dep-${i + DEPENDENCIES / 2}`]: '^1.0.0' } : {};
    const version = await npmVersion(name, '1.0.0', filesOf(i), dependencies);
    await call(registry, 'PUT', `/${name.replace('/', '%2f')}`, publishDocument(registry.url, version), { 'npm-command': 'publish' });
  }
}

/** Waits until every package's npm tarball is served (a job builds it after the publish). */
async function waitForTarballs(registry: BenchRegistry, namespace: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (let i = 0; i < DEPENDENCIES; i++) {
    const url = `${registry.url}/@${namespace}/dep-${i}/-/dep-${i}-1.0.0.tgz`;
    for (;;) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${registry.token}` } });
      await res.arrayBuffer();
      if (res.status === 200) break;
      if (Date.now() > deadline) throw new Error(`${url}: still ${res.status}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`));
      else resolve();
    });
  });
}

interface Install {
  wallMs: number;
  serverCpuMs: number;
}

/** One cold `npm install` of the namespace's 10 dependencies with the member's token. */
async function coldInstall(registry: BenchRegistry, root: string, namespace: string): Promise<Install> {
  const dir = await mkdtemp(join(root, `install-${namespace}-`));
  try {
    const home = join(dir, 'home');
    const project = join(dir, 'project');
    await mkdir(home, { recursive: true });
    await mkdir(project, { recursive: true });
    const hostPath = registry.url.replace(/^https?:/, '');
    await writeFile(join(home, '.npmrc'), `registry=${registry.url}/\n${hostPath}/:_authToken=${registry.token}\n`);
    const dependencies = Object.fromEntries(Array.from({ length: DEPENDENCIES }, (_, i) => [`@${namespace}/dep-${i}`, '^1.0.0']));
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies }));
    const { command, args } = pinnedCommand(LOAD_CPU, 'npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
    ]);
    const cpu0 = processCpuNs(registry.pid);
    const t0 = performance.now();
    await run(command, args, project, clientEnv(home, join(dir, 'cache')));
    const wallMs = performance.now() - t0;
    const serverCpuMs = (processCpuNs(registry.pid) - cpu0) / 1e6;
    const installed = (await readdir(join(project, 'node_modules', `@${namespace}`))).length;
    if (installed !== DEPENDENCIES) throw new Error(`@${namespace}: npm installed ${installed} packages, expected ${DEPENDENCIES}`);
    const lock = readFileSync(join(project, 'package-lock.json'), 'utf8');
    if (!lock.includes(`"resolved": "${registry.url}/`)) throw new Error(`@${namespace}: the lockfile does not resolve to ${registry.url}`);
    return { wallMs, serverCpuMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const loadBefore = loadavg().map((l) => l.toFixed(1));
  const registry = await startRegistry({
    backend: BACKEND,
    postgresAdminUrl: flags['postgres-url'] as string,
    redisUrl: flags['redis-url'] as string,
    logLevel: 'warn',
    user: USER,
    // the member's token makes every request of the installs: the per-token limit would answer 429
    env: { TOKEN_RATE_LIMIT_PER_MINUTE: '0' },
  });
  const root = await mkdtemp(join(tmpdir(), 'entropic-bench-private-install-'));
  try {
    for (const namespace of Object.values(NAMESPACES)) await call(registry, 'PUT', `/namespaces/namespace/${namespace}`);
    await call(registry, 'PUT', `/namespaces/namespace/${NAMESPACES.private}/access`, { private: true });
    for (const namespace of Object.values(NAMESPACES)) {
      await publishGraph(registry, namespace);
      await waitForTarballs(registry, namespace);
    }
    // an outsider sees nothing of the private graph (the bench measures what it means to)
    const outsider = await fetch(`${registry.url}/@${NAMESPACES.private}/dep-0`);
    await outsider.arrayBuffer();
    if (outsider.status !== 404) throw new Error(`an anonymous packument read of the private graph answered ${outsider.status}`);
    log(`published ${DEPENDENCIES} packages of ${FILES} files to @${NAMESPACES.public} (public) and @${NAMESPACES.private} (private)`);
    const kinds = Object.keys(NAMESPACES) as Kind[];
    for (const kind of kinds) {
      const warm = await coldInstall(registry, root, NAMESPACES[kind]);
      log(`warm-up ${kind}: ${warm.wallMs.toFixed(0)} ms wall, ${warm.serverCpuMs.toFixed(0)} ms registry CPU`);
    }
    const results: Record<Kind, Install[]> = { public: [], private: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
        const install = await coldInstall(registry, root, NAMESPACES[kind]);
        results[kind].push(install);
        log(
          `round ${round + 1}/${ROUNDS} ${kind}: ${install.wallMs.toFixed(0)} ms wall, ${install.serverCpuMs.toFixed(0)} ms registry CPU`,
        );
      }
    }
    const wall = (kind: Kind) => median(results[kind].map((r) => r.wallMs));
    const cpu = (kind: Kind) => median(results[kind].map((r) => r.serverCpuMs));
    console.log(
      `# bench:private-install (${new Date().toISOString()}), ${BACKEND === 'postgres' ? 'PostgreSQL + Redis' : 'embedded default'}, ${ROUNDS} rounds`,
    );
    console.log(
      `load average before: ${loadBefore.join(' ')}, after: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log(`cold \`npm install\` of ${DEPENDENCIES} dependencies (${FILES} files each), the member's token in .npmrc; medians`);
    console.log('| graph | wall ms (each round) | wall ms | registry CPU ms (each round) | registry CPU ms |');
    console.log('|---|---|---|---|---|');
    for (const kind of kinds) {
      const each = (pick: (r: Install) => number) => results[kind].map((r) => pick(r).toFixed(0)).join(', ');
      console.log(
        `| @${NAMESPACES[kind]} (${kind}) | ${each((r) => r.wallMs)} | ${wall(kind).toFixed(0)} | ${each((r) => r.serverCpuMs)} | ${cpu(kind).toFixed(0)} |`,
      );
    }
    console.log(
      `private ÷ public: wall ${(wall('private') / wall('public')).toFixed(3)} (target ≤ 1.05), registry CPU ${(cpu('private') / cpu('public')).toFixed(3)}`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
    await registry.stop();
  }
}

await main();
