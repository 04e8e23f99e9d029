// `node --import tsx bench/ds-install.ts [--runs 3] [--packages 100]`
// `ds install` of a generated dependency graph, cold (empty cache) and warm (cache filled, no
// node_modules, no lockfile), against `npm install` of the same graph served by Verdaccio 6.8.0,
// in the same run. Reports medians. Loopback only; every step is bounded. Not part of `npm test`.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createMultipartBody, createRegistryClient, type MultipartPart } from '@entropic/client';
import { DS_BIN, startDsWorld } from '../packages/cli/test/support/ds-harness.ts';

const exec = promisify(execFile);
const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values: flags } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, packages: { type: 'string', default: '100' }, out: { type: 'string' } },
});
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

// ---------- a minimal npm tarball (ustar + gzip) for Verdaccio ----------
function tarball(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, content] of Object.entries(files)) {
    const body = Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(`package/${path}`, 0, 100);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write(
      `${Math.floor(Date.now() / 1000)
        .toString(8)
        .padStart(11, '0')}\0`,
      136,
    );
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

// ---------- Verdaccio 6.8.0, installed into a temp prefix by npm ----------
async function startVerdaccio(work: string): Promise<{ url: string; stop: () => void }> {
  const prefix = join(tmpdir(), 'entropic-bench-verdaccio-6.8.0');
  if (!existsSync(join(prefix, 'node_modules/verdaccio/bin/verdaccio'))) {
    await mkdir(prefix, { recursive: true });
    await writeFile(
      join(prefix, 'package.json'),
      JSON.stringify({
        name: 'bench-verdaccio',
        private: true,
        dependencies: { verdaccio: '6.8.0' },
        overrides: { 'node-fetch': '2.7.0' },
      }),
    );
    console.error('installing verdaccio@6.8.0 …');
    await exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: prefix, timeout: 600_000 });
  }
  const port = 40000 + Math.floor(Math.random() * 20000);
  const config = join(work, 'verdaccio.yaml');
  await writeFile(
    config,
    [
      `storage: ${join(work, 'verdaccio-storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(work, 'htpasswd')}`,
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $all',
      'log: { type: stdout, format: pretty, level: error }',
      'max_body_size: 100mb',
      '',
    ].join('\n'),
  );
  const child = spawn(
    process.execPath,
    [join(prefix, 'node_modules/verdaccio/bin/verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`],
    {
      stdio: 'ignore',
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ping`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error('verdaccio did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stop: () => child.kill('SIGTERM') };
}

async function npmToken(url: string): Promise<string> {
  const response = await fetch(`${url}/-/user/org.couchdb.user:bench`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', password: 'bench-password-1', type: 'user' }),
  });
  const body = (await response.json()) as { token?: string };
  if (!body.token) throw new Error(`verdaccio adduser: ${JSON.stringify(body)}`);
  return body.token;
}

async function publishToVerdaccio(url: string, token: string, pkg: BenchPackage): Promise<void> {
  const name = `@bench/${pkg.name}`;
  const manifest = {
    name,
    version: '1.0.0',
    main: 'index.js',
    dependencies: Object.fromEntries(pkg.deps.map((d) => [`@bench/${d}`, '^1.0.0'])),
  };
  const tgz = tarball({ ...pkg.files, 'package.json': JSON.stringify(manifest, null, 2) });
  const file = `${name}-1.0.0.tgz`;
  const body = {
    _id: name,
    name,
    'dist-tags': { latest: '1.0.0' },
    versions: {
      '1.0.0': {
        ...manifest,
        _id: `${name}@1.0.0`,
        dist: {
          shasum: createHash('sha1').update(tgz).digest('hex'),
          integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`,
          tarball: `${url}/${name}/-/${pkg.name}-1.0.0.tgz`,
        },
      },
    },
    _attachments: { [file]: { content_type: 'application/octet-stream', data: tgz.toString('base64'), length: tgz.length } },
  };
  const response = await fetch(`${url}/${name.replace('/', '%2f')}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`verdaccio publish ${name}: ${response.status} ${await response.text()}`);
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

async function time(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<number> {
  const started = performance.now();
  await exec(command, args, { cwd, env: { ...process.env, ...env }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'entropic-bench-ds-'));
  console.error('building the ds bundle …');
  await exec('npm', ['run', 'build', '-w', '@entropic/cli'], { cwd: REPO });
  const graph = generateGraph(COUNT);
  const world = await startDsWorld(['bench']);
  const verdaccio = await startVerdaccio(work);
  try {
    console.error(`publishing ${graph.packages.length} packages to both registries …`);
    const token = await npmToken(verdaccio.url);
    const entropicToken = world.tokens.bench as string;
    await inBatches(graph.packages, 8, (p) => publishToEntropic(world.registry.url, entropicToken, p));
    await inBatches(graph.packages, 8, (p) => publishToVerdaccio(verdaccio.url, token, p));

    const results = { dsCold: [] as number[], dsWarm: [] as number[], npmCold: [] as number[], npmWarm: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      const home = join(work, `home-${run}`);
      const ds = join(work, `ds-${run}`);
      const npm = join(work, `npm-${run}`);
      await mkdir(home, { recursive: true });
      await mkdir(ds, { recursive: true });
      await mkdir(npm, { recursive: true });
      await writeFile(join(ds, 'Package.toml'), `[dependencies]\n${graph.roots.map((r) => `"bench/${r}" = "^1.0.0"`).join('\n')}\n`);
      await writeFile(
        join(npm, 'package.json'),
        JSON.stringify({
          name: 'bench-app',
          version: '1.0.0',
          private: true,
          dependencies: Object.fromEntries(graph.roots.map((r) => [`@bench/${r}`, '^1.0.0'])),
        }),
      );
      await writeFile(join(npm, '.npmrc'), `registry=${verdaccio.url}/\n`);
      const dsEnv = { HOME: home, XDG_CACHE_HOME: join(home, '.cache'), ENTROPIC_REGISTRY: world.registry.url };
      const npmArgs = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `--cache=${join(home, '.npm')}`];
      const npmEnv = { HOME: home };

      results.dsCold.push(await time(process.execPath, [DS_BIN, 'install'], ds, dsEnv));
      await rm(join(ds, 'node_modules'), { recursive: true });
      await rm(join(ds, 'Package.lock'));
      results.dsWarm.push(await time(process.execPath, [DS_BIN, 'install', '--prefer-offline'], ds, dsEnv));

      results.npmCold.push(await time('npm', npmArgs, npm, npmEnv));
      await rm(join(npm, 'node_modules'), { recursive: true });
      await rm(join(npm, 'package-lock.json'));
      results.npmWarm.push(await time('npm', [...npmArgs, '--prefer-offline'], npm, npmEnv));

      const check = await exec(process.execPath, ['-e', `console.log(require('@bench/${graph.roots[0]}'))`], { cwd: ds });
      if (check.stdout.trim() !== graph.roots[0]) throw new Error('ds install did not produce a loadable tree');
      console.error(
        `run ${run + 1}/${RUNS}: ${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v.at(-1) as number)])))}`,
      );
    }
    const report = {
      packages: graph.packages.length,
      files: graph.packages.reduce((n, p) => n + Object.keys(p.files).length + 1, 0),
      runs: RUNS,
      medianMs: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(median(v))])),
      ratios: {
        cold: Number((median(results.dsCold) / median(results.npmCold)).toFixed(2)),
        warm: Number((median(results.dsWarm) / median(results.npmWarm)).toFixed(2)),
      },
      targets: { cold: 0.5, warm: 0.2 },
      node: process.version,
      date: new Date().toISOString(),
    };
    console.log(JSON.stringify(report, null, 2));
    if (flags.out) await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    verdaccio.stop();
    await world.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
