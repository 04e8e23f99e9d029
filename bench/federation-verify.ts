// `node --import tsx bench/federation-verify.ts [--runs 5] [--packages 50] [--out <file.md>]`
// Issue 15, target 3: what checking host signatures costs a cold `ds install`. Two registries as
// processes (embedded default): B holds half of a generated graph, A the other half (depending on
// B's) and federates with B; the mirror is warmed by one install first. Then, round by round,
// interleaved and in alternating order, a cold `ds install` through A (empty cache: no pinned key,
// no metadata, no objects; no lockfile, no node_modules) with the check on, and with it off
// (ENTROPIC_BENCH_SKIP_HOST_SIGNATURES=1, a bench-only switch of `cli/src/host-trust.ts`). Reports
// medians of CPU time (user + system of ds, GNU time) and of wall time, and their ratios. Loopback
// only; every step is bounded. Not part of `npm test`.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createMultipartBody, createRegistryClient, type MultipartPart } from '@entropic/client';
import { DS_BIN, startDsWorld } from '../packages/cli/test/support/ds-harness.ts';

const exec = promisify(execFile);
const { values: flags } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, packages: { type: 'string', default: '50' }, out: { type: 'string' } },
});
const RUNS = Number(flags.runs);
const COUNT = Number(flags.packages);

interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function time(args: string[], cwd: string, env: Record<string, string>): Promise<Timing> {
  const started = performance.now();
  const { stderr } = await exec('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, DS_BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  const match = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  return { wallMs, cpuMs: match ? (Number(match[1]) + Number(match[2])) * 1000 : Number.NaN };
}

/** Publishes `name@1.0.0` with 7 small files and `dependencies` (canonical or short names). */
async function publish(registry: string, token: string, namespace: string, name: string, dependencies: Record<string, string>) {
  const client = createRegistryClient({ registry, token });
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: `@${namespace}/${name}`, version: '1.0.0', main: 'index.js' }),
    'index.js': `module.exports = '${name}';\n`,
    'README.md': `# ${name}\n\n${'Some documentation. '.repeat(40)}\n`,
  };
  for (let f = 0; f < 4; f++) files[`lib/module-${f}.js`] = `// ${name} ${f}\n${'export const value = 1;\n'.repeat(20 + f * 30)}`;
  const parts: MultipartPart[] = [
    { kind: 'field', name: 'dependencies', value: JSON.stringify(dependencies) },
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
    await client.publish({ namespace, host: new URL(registry).host, name }, '1.0.0', { body: createMultipartBody(parts), compress: true });
  } finally {
    await client.close();
  }
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  const b = await startDsWorld(['bench']);
  const a = await startDsWorld(['app'], { env: { FEDERATION_HOSTS: `${b.registry.host}=${b.registry.url}` } });
  const work = await mkdtemp(join(tmpdir(), 'bench-fedverify-'));
  try {
    // the graph: b00…b24 on B (each depending on up to two later ones), a00…a24 on A (each on one
    // later A package and two B packages); the project needs a00…a09
    const half = Math.floor(COUNT / 2);
    const bName = (i: number) => `b${String(i).padStart(2, '0')}`;
    const aName = (i: number) => `a${String(i).padStart(2, '0')}`;
    for (let i = half - 1; i >= 0; i--) {
      const deps = Object.fromEntries([i + 1, i + 2].filter((j) => j < half).map((j) => [`bench/${bName(j)}`, '^1.0.0']));
      await publish(b.registry.url, b.tokens.bench as string, 'bench', bName(i), deps);
    }
    for (let i = COUNT - half - 1; i >= 0; i--) {
      const deps: Record<string, string> = {
        [`bench@${b.registry.host}/${bName(i % half)}`]: '^1.0.0',
        [`bench@${b.registry.host}/${bName((i * 7) % half)}`]: '^1.0.0',
      };
      if (i + 1 < COUNT - half) deps[`app/${aName(i + 1)}`] = '^1.0.0';
      await publish(a.registry.url, a.tokens.app as string, 'app', aName(i), deps);
    }
    const roots = Array.from({ length: Math.min(10, COUNT - half) }, (_, i) => `"app/${aName(i)}" = "^1.0.0"`);
    const install = async (label: string, skip: boolean): Promise<Timing> => {
      const dir = join(work, `${label}-${Math.random().toString(36).slice(2)}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'Package.toml'), `[dependencies]\n${roots.join('\n')}\n`);
      const env: Record<string, string> = { HOME: dir, XDG_CACHE_HOME: join(dir, '.cache'), CI: '1', ENTROPIC_REGISTRY: a.registry.url };
      if (skip) env.ENTROPIC_BENCH_SKIP_HOST_SIGNATURES = '1';
      const timing = await time(['install'], dir, env);
      await rm(dir, { recursive: true, force: true });
      return timing;
    };
    await install('warm-the-mirror', false); // A mirrors B's versions on this first read
    const results: Record<'on' | 'off', Timing[]> = { on: [], off: [] };
    for (let round = 0; round < RUNS; round++) {
      const order: Array<'on' | 'off'> = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const which of order) results[which].push(await install(which, which === 'off'));
      console.error(
        `round ${round + 1}/${RUNS}: on ${results.on.at(-1)?.cpuMs.toFixed(0)} ms CPU, off ${results.off.at(-1)?.cpuMs.toFixed(0)} ms CPU`,
      );
    }
    const cpu = { on: median(results.on.map((t) => t.cpuMs)), off: median(results.off.map((t) => t.cpuMs)) };
    const wall = { on: median(results.on.map((t) => t.wallMs)), off: median(results.off.map((t) => t.wallMs)) };
    const lines = [
      `# Federation: cost of checking host signatures in a cold \`ds install\` (${new Date().toISOString().slice(0, 10)})`,
      '',
      `Command: \`node --import tsx bench/federation-verify.ts --runs ${RUNS} --packages ${COUNT}\``,
      `Graph: ${COUNT} packages, ${half} on B and ${COUNT - half} on A (through A, mirror warm), 7 files each; cold: empty cache (no pinned key), no lockfile, no node_modules.`,
      `Load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} (2 cores).`,
      '',
      '| | check on (median) | check off (median) | on ÷ off | target |',
      '|---|---|---|---|---|',
      `| CPU time of ds (user + system) | ${cpu.on.toFixed(0)} ms | ${cpu.off.toFixed(0)} ms | ${(cpu.on / cpu.off).toFixed(3)} | ≤ 1.05 |`,
      `| wall time | ${wall.on.toFixed(0)} ms | ${wall.off.toFixed(0)} ms | ${(wall.on / wall.off).toFixed(3)} | ≤ 1.05 |`,
      '',
      `Every run (CPU ms, on): ${results.on.map((t) => t.cpuMs.toFixed(0)).join(', ')}; (off): ${results.off.map((t) => t.cpuMs.toFixed(0)).join(', ')}.`,
      `Every run (wall ms, on): ${results.on.map((t) => t.wallMs.toFixed(0)).join(', ')}; (off): ${results.off.map((t) => t.wallMs.toFixed(0)).join(', ')}.`,
      '',
    ];
    const report = lines.join('\n');
    console.log(report);
    if (flags.out) await writeFile(flags.out, report);
  } finally {
    await Promise.allSettled([a.stop(), b.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(() => {
  console.error('bench/federation-verify: 20 minutes passed; stopping');
  process.exit(1);
}, 20 * 60_000);
watchdog.unref();
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
