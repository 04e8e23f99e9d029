// `node --import tsx bench/ds-install.ts [--runs 3] [--packages 100] [--cpu-prof <dir>] [--out <file>]`
// `ds install` of a generated dependency graph against `bun install`, `pnpm install` and
// `npm install` of the same graph from the same Entropic registry (its npm face for the other
// three), cold (empty caches, no lockfile, no node_modules) and warm (caches full, no lockfile,
// no node_modules), interleaved round by round. Reports medians of wall and CPU time (GNU time:
// user + system of the installer and its children). bun and pnpm come from the npm registry as
// packages. Loopback only; every step is bounded. Not part of `npm test`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { createMultipartBody, createRegistryClient, type MultipartPart } from '@entropic/client';
import { startDsWorld } from '../packages/cli/test/support/ds-harness.ts';
import { freePort } from './lib/net.ts';
import { realGraph, startUpstream, type UpstreamFiles } from './lib/npm-upstream.ts';

const exec = promisify(execFile);
const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    packages: { type: 'string', default: '100' },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
    graphs: { type: 'string', default: 'generated,real' },
  },
});
const GRAPHS = (flags.graphs as string).split(',');
/** The real graph's roots: their trees as this checkout's node_modules holds them. */
const REAL_ROOTS = ['express', 'fastify'];
const PROF = flags['cpu-prof'];
const RUNS = Number(flags.runs);
const COUNT = Number(flags.packages);

// ---------- the graph: p000 … p099, deterministic, every package reachable from the root ----------
interface BenchPackage {
  name: string;
  deps: string[];
  files: Record<string, string>;
}
function generateGraph(count: number): { packages: BenchPackage[]; roots: string[] } {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const name = (i: number) => `p${String(i).padStart(3, '0')}`;
  const deps: string[][] = Array.from({ length: count }, () => []);
  const roots = Array.from({ length: Math.min(10, count) }, (_, i) => name(i));
  for (let i = roots.length; i < count; i++) {
    (deps[Math.floor(random() * i)] as string[]).push(name(i)); // one parent keeps it reachable
    for (let extra = 0; extra < 2; extra++) {
      const parent = Math.floor(random() * i);
      if (!deps[parent]?.includes(name(i))) deps[parent]?.push(name(i));
    }
  }
  const packages = deps.map((d, i) => {
    const files: Record<string, string> = {
      'index.js': `${d.map((x) => `require('@bench/${x}');`).join('\n')}\nmodule.exports = '${name(i)}';\n`,
      'README.md': `# ${name(i)}\n\n${'Some documentation. '.repeat(40)}\n`,
      LICENSE: 'MIT\n',
    };
    for (let f = 0; f < 5; f++)
      files[`lib/module-${f}.js`] = `// ${name(i)} ${f}\n${'export const value = 1;\n'.repeat(20 + Math.floor(random() * 200))}`;
    return { name: name(i), deps: d, files };
  });
  return { packages, roots };
}

async function publishToEntropic(registry: string, token: string, pkg: BenchPackage): Promise<void> {
  const client = createRegistryClient({ registry, token });
  const manifest = { name: `@bench/${pkg.name}`, version: '1.0.0', main: 'index.js' };
  const files = { ...pkg.files, 'package.json': JSON.stringify(manifest, null, 2) };
  const parts: MultipartPart[] = [
    { kind: 'field', name: 'dependencies', value: JSON.stringify(Object.fromEntries(pkg.deps.map((d) => [`bench/${d}`, '^1.0.0']))) },
    ...Object.entries(files).map(([path, content]) => ({
      kind: 'file' as const,
      name: 'entry[]',
      filename: encodeURIComponent(`package/${path}`),
      open: async function* () {
        yield Buffer.from(content);
      },
    })),
  ];
  try {
    await client.publish({ namespace: 'bench', host: new URL(registry).host, name: pkg.name }, '1.0.0', {
      body: createMultipartBody(parts),
      compress: true,
    });
  } finally {
    await client.close();
  }
}

async function inBatches<T>(items: T[], size: number, task: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(task));
}

/** The other installers, from the npm registry as packages, into a bench-local prefix (once). */
const TOOL_VERSIONS = { bun: '1.4.5', pnpm: '10.34.8' } as const;
async function installTools(): Promise<{ bun: string; pnpm: string }> {
  const prefix = join(tmpdir(), `entropic-bench-tools-bun${TOOL_VERSIONS.bun}-pnpm${TOOL_VERSIONS.pnpm}`);
  const bun = join(prefix, 'node_modules/.bin/bun');
  const pnpm = join(prefix, 'node_modules/.bin/pnpm');
  if (!existsSync(bun) || !existsSync(pnpm)) {
    await mkdir(prefix, { recursive: true });
    await writeFile(
      join(prefix, 'package.json'),
      JSON.stringify({ name: 'bench-tools', private: true, dependencies: { bun: TOOL_VERSIONS.bun, pnpm: TOOL_VERSIONS.pnpm } }),
    );
    console.error(`installing bun@${TOOL_VERSIONS.bun} and pnpm@${TOOL_VERSIONS.pnpm} …`);
    await exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: prefix, timeout: 600_000 });
  }
  return { bun, pnpm };
}

interface Timing {
  wallMs: number;
  /** user + system CPU of the installer and its children (GNU time) */
  cpuMs: number;
  /** HTTP requests the registry answered during the install (its /metrics) */
  requests: number;
}

/** Requests the registry has answered so far: the sum of its request histogram's counts. */
async function requestCount(registry: string): Promise<number> {
  const text = await (await fetch(`${registry}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('entropic_http_request_duration_seconds_count')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Runs under GNU time so the installer's own CPU time (children included) is known besides the wall time. */
async function time(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<Omit<Timing, 'requests'>> {
  const started = performance.now();
  const { stderr } = await exec('/usr/bin/time', ['-f', 'CPU %U %S', command, ...args], {
    cwd,
    env: { ...process.env, ...env },
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  const match = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  return { wallMs, cpuMs: match ? (Number(match[1]) + Number(match[2])) * 1000 : Number.NaN };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

type Tool = 'ds' | 'bun' | 'pnpm' | 'npm';
const ALL_TOOLS: Tool[] = ['ds', 'bun', 'pnpm', 'npm'];
/** `--only ds,bun`: a subset (for profiling; the report's ratios need ds and the other) */
const TOOLS: Tool[] = flags.only ? ALL_TOOLS.filter((t) => (flags.only as string).split(',').includes(t)) : ALL_TOOLS;

interface Project {
  dir: string;
  cold: () => Promise<Timing>;
  warm: () => Promise<Timing>;
}

/** What a project depends on, for ds (Package.toml keys) and for the npm-protocol installers. */
interface Graph {
  name: 'generated' | 'real';
  ds: Record<string, string>;
  npm: Record<string, string>;
  /** a module every install must make loadable, and what `typeof require(it)` or its export must print */
  check: { module: string; expression: string; expect: string };
}

const DS_BUNDLE = join(REPO, 'packages/cli/dist/ds.mjs');

/** One installer's project: cold = empty caches, no lockfile, no node_modules; warm = caches full, no lockfile, no node_modules. */
async function projectFor(tool: Tool, dir: string, registry: string, graph: Graph, bins: { bun: string; pnpm: string }): Promise<Project> {
  const home = join(dir, '.home');
  const cache = join(dir, '.cache');
  await mkdir(home, { recursive: true });
  if (tool === 'ds')
    await writeFile(
      join(dir, 'Package.toml'),
      `[dependencies]\n${Object.entries(graph.ds)
        .map(([name, range]) => `"${name}" = "${range}"`)
        .join('\n')}\n`,
    );
  else
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'bench-app', version: '1.0.0', private: true, dependencies: graph.npm }),
    );
  await writeFile(join(dir, '.npmrc'), `registry=${registry}/\n`);
  const lockfile = { ds: 'Package.lock', bun: 'bun.lock', pnpm: 'pnpm-lock.yaml', npm: 'package-lock.json' }[tool];
  const env: Record<string, string> = { HOME: home, XDG_CACHE_HOME: cache, CI: '' };
  const runTool = (): Promise<Omit<Timing, 'requests'>> => {
    switch (tool) {
      case 'ds':
        // the esbuild bundle itself (built above), as an installed `ds` runs it
        return time(process.execPath, [...(PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : []), DS_BUNDLE, 'install'], dir, {
          ...env,
          ENTROPIC_REGISTRY: registry,
          ENTROPIC_CACHE: cache,
        });
      case 'bun':
        return time(bins.bun, ['install', '--no-progress'], dir, {
          ...env,
          BUN_CONFIG_REGISTRY: `${registry}/`,
          BUN_INSTALL_CACHE_DIR: cache,
        });
      case 'pnpm':
        return time(
          process.execPath,
          [
            bins.pnpm,
            'install',
            '--no-frozen-lockfile',
            `--store-dir=${join(cache, 'store')}`,
            `--cache-dir=${cache}`,
            '--reporter=silent',
          ],
          dir,
          env,
        );
      default:
        return time('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `--cache=${cache}`], dir, env);
    }
  };
  const run = async (): Promise<Timing> => {
    const before = await requestCount(registry);
    const timing = await runTool();
    // the second /metrics request counts too
    return { ...timing, requests: (await requestCount(registry)) - before - 1 };
  };
  const clean = async () => {
    await rm(join(dir, 'node_modules'), { recursive: true, force: true });
    await rm(join(dir, lockfile), { force: true });
  };
  return {
    dir,
    cold: async () => {
      await clean();
      await rm(cache, { recursive: true, force: true });
      return run();
    },
    warm: async () => {
      await clean();
      return run();
    },
  };
}

/** The generated graph, published to Entropic as `bench/pNNN`. */
async function generatedGraph(registry: string, token: string): Promise<Graph> {
  const graph = generateGraph(COUNT);
  console.error(`publishing ${graph.packages.length} packages …`);
  await inBatches(graph.packages, 8, (p) => publishToEntropic(registry, token, p));
  const root = graph.roots[0] as string;
  return {
    name: 'generated',
    ds: Object.fromEntries(graph.roots.map((r) => [`bench/${r}`, '^1.0.0'])),
    npm: Object.fromEntries(graph.roots.map((r) => [`@bench/${r}`, '^1.0.0'])),
    check: { module: `@bench/${root}`, expression: `require('@bench/${root}')`, expect: root },
  };
}

/** The real graph (express and fastify as installed in this checkout), from the local upstream through `legacy`. */
function realGraphOf(roots: Record<string, string>): Graph {
  return {
    name: 'real',
    ds: roots,
    npm: roots,
    check: { module: 'express', expression: "typeof require('express') + typeof require('fastify')", expect: 'functionfunction' },
  };
}

type Results = Record<string, Timing[]>;

/** One interleaved round on one graph: every installer cold then warm, in the round's order. */
async function round(graph: Graph, run: number, work: string, registry: string, bins: { bun: string; pnpm: string }, results: Results) {
  const order = TOOLS.map((_, i) => TOOLS[(i + run) % TOOLS.length] as Tool);
  const line: string[] = [];
  for (const tool of order) {
    const dir = join(work, `${graph.name}-${tool}-${run}`);
    await mkdir(dir, { recursive: true });
    const project = await projectFor(tool, dir, registry, graph, bins);
    for (const kind of ['Cold', 'Warm'] as const) {
      const timing = await (kind === 'Cold' ? project.cold() : project.warm());
      const key = `${graph.name} ${tool}${kind}`;
      results[key] = [...(results[key] ?? []), timing];
      line.push(`${tool}${kind} ${Math.round(timing.wallMs)} ms wall, ${Math.round(timing.cpuMs)} ms CPU, ${timing.requests} req`);
    }
    const check = await exec(process.execPath, ['-e', `console.log(${graph.check.expression})`], { cwd: dir });
    if (check.stdout.trim() !== graph.check.expect)
      throw new Error(`${tool} install of the ${graph.name} graph did not produce a loadable tree`);
  }
  console.error(`${graph.name} run ${run + 1}/${RUNS} (${order.join(' → ')}):\n  ${line.join('\n  ')}`);
}

/** Medians and ratios, by graph. */
function summarise(results: Results, graphs: Graph[]) {
  const of = (key: string, pick: (t: Timing) => number) => (results[key] ? Math.round(median(results[key].map(pick))) : Number.NaN);
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  return Object.fromEntries(
    graphs.map((graph) => {
      const keys = TOOLS.flatMap((t) => [`${t}Cold`, `${t}Warm`]);
      const metric = (pick: (t: Timing) => number) => Object.fromEntries(keys.map((k) => [k, of(`${graph.name} ${k}`, pick)]));
      const wall = metric((t) => t.wallMs);
      const cpu = metric((t) => t.cpuMs);
      const others = TOOLS.filter((t) => t !== 'ds');
      const ratios = (m: Record<string, number>) =>
        Object.fromEntries(
          others.flatMap((t) => [
            [`cold ds/${t}`, ratio(m.dsCold as number, m[`${t}Cold`] as number)],
            [`warm ds/${t}`, ratio(m.dsWarm as number, m[`${t}Warm`] as number)],
          ]),
        );
      return [
        graph.name,
        {
          medianWallMs: wall,
          medianCpuMs: cpu,
          medianRequests: metric((t) => t.requests),
          wallRatios: ratios(wall),
          cpuRatios: ratios(cpu),
        },
      ];
    }),
  );
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'entropic-bench-ds-'));
  console.error('building the ds bundle …');
  await exec('npm', ['run', 'build', '-w', '@entropic/cli'], { cwd: REPO });
  const bins = await installTools();
  const upstreamFiles: UpstreamFiles = { packuments: new Map(), tarballs: new Map() };
  const upstreamPort = await freePort();
  const realRoots = GRAPHS.includes('real')
    ? await realGraph(REPO, REAL_ROOTS, `http://127.0.0.1:${upstreamPort}`, upstreamFiles)
    : undefined;
  const upstream = realRoots ? await startUpstream(join(work, 'upstream'), upstreamPort, upstreamFiles) : undefined;
  const world = await startDsWorld(['bench'], upstream ? { env: { LEGACY_UPSTREAM: upstream.url } } : {});
  try {
    const registry = world.registry.url;
    const graphs: Graph[] = [];
    if (GRAPHS.includes('generated')) graphs.push(await generatedGraph(registry, world.tokens.bench as string));
    if (realRoots) {
      graphs.push(realGraphOf(realRoots));
      console.error(`real graph: ${upstreamFiles.packuments.size} packages from the upstream; mirroring them through legacy …`);
      // Every installer then finds them mirrored: the first one does not pay for the mirror.
      const warmUp = join(work, 'mirror-warm-up');
      await mkdir(warmUp, { recursive: true });
      await (await projectFor('ds', warmUp, registry, realGraphOf(realRoots), bins)).cold();
      await (await projectFor('npm', join(warmUp, 'npm'), registry, realGraphOf(realRoots), bins)).cold();
    }
    const results: Results = {};
    for (let run = 0; run < RUNS; run++) {
      for (const graph of graphs) await round(graph, run, work, registry, bins, results);
    }
    const report = {
      packages: { generated: COUNT, real: upstreamFiles.packuments.size },
      runs: RUNS,
      tools: { ...TOOL_VERSIONS, npm: (await exec('npm', ['--version'])).stdout.trim() },
      graphs: summarise(results, graphs),
      targets: { 'cold ds/bun': 1.0, 'warm ds/bun': 1.0 },
      load: (await exec('uptime')).stdout.trim(),
      node: process.version,
      date: new Date().toISOString(),
    };
    console.log(JSON.stringify(report, null, 2));
    if (flags.out) await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await world.stop();
    await upstream?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
