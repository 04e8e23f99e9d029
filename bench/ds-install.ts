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
import { DS_BIN, startDsWorld } from '../packages/cli/test/support/ds-harness.ts';

const exec = promisify(execFile);
const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    packages: { type: 'string', default: '100' },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
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
}

/** Runs under GNU time so the installer's own CPU time (children included) is known besides the wall time. */
async function time(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<Timing> {
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
const TOOLS: Tool[] = ['ds', 'bun', 'pnpm', 'npm'];

interface Project {
  dir: string;
  cold: () => Promise<Timing>;
  warm: () => Promise<Timing>;
}

/** One installer's project: cold = empty caches, no lockfile, no node_modules; warm = caches full, no lockfile, no node_modules. */
async function projectFor(
  tool: Tool,
  dir: string,
  registry: string,
  roots: string[],
  bins: { bun: string; pnpm: string },
): Promise<Project> {
  const home = join(dir, '.home');
  const cache = join(dir, '.cache');
  await mkdir(home, { recursive: true });
  const npmDeps = Object.fromEntries(roots.map((r) => [`@bench/${r}`, '^1.0.0']));
  if (tool === 'ds')
    await writeFile(join(dir, 'Package.toml'), `[dependencies]\n${roots.map((r) => `"bench/${r}" = "^1.0.0"`).join('\n')}\n`);
  else
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'bench-app', version: '1.0.0', private: true, dependencies: npmDeps }),
    );
  await writeFile(join(dir, '.npmrc'), `registry=${registry}/\n`);
  const lockfile = { ds: 'Package.lock', bun: 'bun.lock', pnpm: 'pnpm-lock.yaml', npm: 'package-lock.json' }[tool];
  const env: Record<string, string> = { HOME: home, XDG_CACHE_HOME: cache, CI: '' };
  const run = (): Promise<Timing> => {
    switch (tool) {
      case 'ds':
        return time(process.execPath, [...(PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : []), DS_BIN, 'install'], dir, {
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

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'entropic-bench-ds-'));
  console.error('building the ds bundle …');
  await exec('npm', ['run', 'build', '-w', '@entropic/cli'], { cwd: REPO });
  const bins = await installTools();
  const graph = generateGraph(COUNT);
  const world = await startDsWorld(['bench']);
  try {
    console.error(`publishing ${graph.packages.length} packages …`);
    const entropicToken = world.tokens.bench as string;
    await inBatches(graph.packages, 8, (p) => publishToEntropic(world.registry.url, entropicToken, p));
    const results = Object.fromEntries(TOOLS.flatMap((t) => [`${t}Cold`, `${t}Warm`].map((k) => [k, [] as Timing[]]))) as Record<
      string,
      Timing[]
    >;
    for (let run = 0; run < RUNS; run++) {
      // Interleaved: every installer once per round, the order rotating round to round.
      const order = TOOLS.map((_, i) => TOOLS[(i + run) % TOOLS.length] as Tool);
      for (const tool of order) {
        const dir = join(work, `${tool}-${run}`);
        await mkdir(dir, { recursive: true });
        const project = await projectFor(tool, dir, world.registry.url, graph.roots, bins);
        (results[`${tool}Cold`] as Timing[]).push(await project.cold());
        (results[`${tool}Warm`] as Timing[]).push(await project.warm());
        const check = await exec(process.execPath, ['-e', `console.log(require('@bench/${graph.roots[0]}'))`], { cwd: dir });
        if (check.stdout.trim() !== graph.roots[0]) throw new Error(`${tool} install did not produce a loadable tree`);
      }
      console.error(
        `run ${run + 1}/${RUNS} (${order.join(' → ')}): ${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round((v.at(-1) as Timing).wallMs)])))}`,
      );
    }
    const wall = (k: string) => median((results[k] as Timing[]).map((t) => t.wallMs));
    const cpu = (k: string) => median((results[k] as Timing[]).map((t) => t.cpuMs));
    const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
    const report = {
      packages: graph.packages.length,
      files: graph.packages.reduce((n, p) => n + Object.keys(p.files).length + 1, 0),
      runs: RUNS,
      tools: { ...TOOL_VERSIONS, npm: (await exec('npm', ['--version'])).stdout.trim() },
      medianWallMs: Object.fromEntries(Object.keys(results).map((k) => [k, Math.round(wall(k))])),
      medianCpuMs: Object.fromEntries(Object.keys(results).map((k) => [k, Math.round(cpu(k))])),
      wallRatios: Object.fromEntries(
        (['bun', 'pnpm', 'npm'] as const).flatMap((t) => [
          [`cold ds/${t}`, ratio(wall('dsCold'), wall(`${t}Cold`))],
          [`warm ds/${t}`, ratio(wall('dsWarm'), wall(`${t}Warm`))],
        ]),
      ),
      cpuRatios: Object.fromEntries(
        (['bun', 'pnpm', 'npm'] as const).flatMap((t) => [
          [`cold ds/${t}`, ratio(cpu('dsCold'), cpu(`${t}Cold`))],
          [`warm ds/${t}`, ratio(cpu('dsWarm'), cpu(`${t}Warm`))],
        ]),
      ),
      targets: { 'cold ds/bun': 1.0, 'warm ds/bun': 1.0 },
      load: (await exec('uptime')).stdout.trim(),
      node: process.version,
      date: new Date().toISOString(),
    };
    console.log(JSON.stringify(report, null, 2));
    if (flags.out) await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await world.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
