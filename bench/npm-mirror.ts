// `npm run bench:mirror [-- --before <checkout>] [--packages 150] [--runs 3]` (issue 17.9): a cold
// `npm install` straight from an upstream registry, through Entropic's `legacy` mirror of it, and
// through Verdaccio 6.8.0 proxying it, in one run. The upstream is local: nginx serving a
// generated, realistic set of npm packages (full packuments with many versions, readmes and
// metadata; tarballs of source-like files) as static files. Every install is cold for everyone:
// each round installs a set of packages no server has seen, with a fresh npm cache. Loopback only,
// every step bounded. Not part of `npm test`.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { ReferenceServer } from './lib/children.ts';
import { prng, sourceText } from './lib/corpus.ts';
import { canPin, LOAD_CPU, pinnedCommand, pinProcess, SERVER_CPU } from './lib/cpu.ts';
import { percentile } from './lib/load.ts';
import { freePort, waitForHttp } from './lib/net.ts';
import { makeTarball } from './lib/npm-document.ts';
import { startUpstream, type UpstreamFiles } from './lib/npm-upstream.ts';
import { startPinnedVerdaccio, stopper } from './lib/pinned-verdaccio.ts';
import { REPO_ROOT, startRegistry } from './lib/registry.ts';
import { processCpuNs } from './lib/rss.ts';
import { createRunGuard } from './lib/run-guard.ts';

const { values: flags } = parseArgs({
  options: {
    packages: { type: 'string', default: '150' },
    runs: { type: 'string', default: '3' },
    before: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    counts: { type: 'boolean', default: false },
    timings: { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  console.log(`Usage: npm run bench:mirror -- [--packages 150] [--runs 3] [--before <checkout>] [--no-write]
  --packages   packages in each install's dependency graph (10 direct dependencies)
  --runs       measured cold installs per server (each on a set of packages nobody has seen)
  --before     also run the Entropic of another checkout (its own node_modules), e.g. a worktree of an older commit
  --no-write   print the report only (default also writes bench/results/mirror-<date>.md)
  --cpu-prof <dir>  run Entropic with --cpu-prof, writing its profile to <dir> when it stops
  --only entropic   install only from the upstream directly and through Entropic (for profiling)
  --counts     log Entropic's database and blob store operations per install (from its /metrics)
  --timings <dir>  keep per-request timings in <dir>: npm's own log of each fetch (--loglevel=http) per install,
               and the servers' logs (Entropic's access log has each request's time); summarised by bench/mirror-timings.ts`);
  process.exit(0);
}
const COUNT = Math.max(20, Math.min(1000, Number(flags.packages)));
const RUNS = Math.max(1, Math.min(9, Number(flags.runs)));
const ROOTS = 10;
const started = performance.now();
const log = (message: string) =>
  process.stderr.write(`[bench:mirror ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
const { cleanups, track, runCleanups, disarm } = createRunGuard(25 * 60_000, log);

// ---------------------------------------------------------------------------------------------
// The upstream's packages

/**
 * One set of `count` packages named `<set>-pkg-NNN`: the first 10 are the project's direct
 * dependencies, every other one a dependency of 1–3 earlier ones (so all are installed). Each has
 * 2–40 versions (the latest, which npm installs, with 4–24 source files of 8–150 KB in all; older
 * ones small), and a full packument as the npm registry serves it (readme, maintainers, time,
 * per-version metadata).
 */
async function generateSet(set: string, count: number, baseUrl: string, out: UpstreamFiles): Promise<Record<string, string>> {
  const random = prng(`entropic-bench-mirror-${set}`);
  const name = (i: number) => `${set}-pkg-${String(i).padStart(3, '0')}`;
  const deps: string[][] = Array.from({ length: count }, () => []);
  for (let i = ROOTS; i < count; i++) {
    const parents = 1 + Math.floor(random() * 3);
    for (let k = 0; k < parents; k++) {
      const parent = deps[Math.floor(random() * i)] as string[];
      if (!parent.includes(name(i))) parent.push(name(i));
    }
  }
  for (let i = 0; i < count; i++) {
    const pkg = name(i);
    const versionCount = random() < 0.2 ? 20 + Math.floor(random() * 21) : 2 + Math.floor(random() * 10);
    const dependencies = Object.fromEntries((deps[i] as string[]).map((d) => [d, '^1.0.0']));
    const meta = {
      description: `${pkg}: ${sourceText(`${pkg}/description`, 60).toString().replace(/\s+/g, ' ')}`,
      keywords: ['bench', 'mirror', set],
      repository: { type: 'git', url: `git+https://git.example.test/${pkg}.git` },
      author: { name: 'Bench Author', email: 'author@example.test' },
      license: 'MIT',
      bugs: { url: `https://git.example.test/${pkg}/issues` },
      homepage: `https://git.example.test/${pkg}#readme`,
    };
    const versions: Record<string, unknown> = {};
    const time: Record<string, string> = { created: '2020-01-01T00:00:00.000Z' };
    for (let v = 0; v < versionCount; v++) {
      const version = `1.${Math.floor(v / 10)}.${v % 10}`;
      const manifest = { name: pkg, version, main: 'lib/index.js', ...meta, dependencies };
      const files: { path: string; content: Buffer }[] = [
        { path: 'package.json', content: Buffer.from(JSON.stringify(manifest, null, 2)) },
      ];
      if (v === versionCount - 1) {
        const fileCount = 4 + Math.floor(random() * 21);
        const total = 8 * 1024 + Math.floor(random() * 142 * 1024);
        for (let f = 0; f < fileCount; f++) {
          const path = f === 0 ? 'README.md' : f === 1 ? 'lib/index.js' : `lib/part-${f}.js`;
          files.push({ path, content: sourceText(`${pkg}@${version}/${path}`, Math.floor(total / fileCount)) });
        }
      } else {
        files.push({ path: 'lib/index.js', content: sourceText(`${pkg}@${version}/index`, 600) });
      }
      const tarball = await makeTarball(files);
      const file = `${pkg}-${version}.tgz`;
      out.tarballs.set(`${pkg}/-/${file}`, tarball);
      versions[version] = {
        ...manifest,
        scripts: { test: 'node test.js' },
        devDependencies: { mocha: '^10.0.0', eslint: '^8.0.0', prettier: '^3.0.0' },
        gitHead: createHash('sha1').update(`${pkg}@${version}`).digest('hex'),
        _id: `${pkg}@${version}`,
        _nodeVersion: '20.11.0',
        _npmVersion: '10.2.4',
        _npmUser: { name: 'bench', email: 'bench@example.test' },
        maintainers: [{ name: 'bench', email: 'bench@example.test' }],
        directories: {},
        dist: {
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          shasum: createHash('sha1').update(tarball).digest('hex'),
          tarball: `${baseUrl}/${pkg}/-/${file}`,
          fileCount: files.length,
          unpackedSize: files.reduce((sum, f) => sum + f.content.length, 0),
        },
      };
      time[version] = new Date(Date.UTC(2020, 0, 2 + v)).toISOString();
    }
    const latest = Object.keys(versions).at(-1) as string;
    time.modified = time[latest] as string;
    const packument = {
      _id: pkg,
      _rev: `${versionCount}-${createHash('md5').update(pkg).digest('hex')}`,
      name: pkg,
      'dist-tags': { latest },
      versions,
      time,
      maintainers: [{ name: 'bench', email: 'bench@example.test' }],
      readme: `# ${pkg}\n\n${sourceText(`${pkg}/readme`, 2048 + Math.floor(random() * 6144))}`,
      readmeFilename: 'README.md',
      ...meta,
    };
    out.packuments.set(pkg, Buffer.from(JSON.stringify(packument)));
  }
  return Object.fromEntries(Array.from({ length: ROOTS }, (_, i) => [name(i), '^1.0.0']));
}

// ---------------------------------------------------------------------------------------------
// Servers

/** Verdaccio 6.8.0 proxying the upstream for every package (its shipped defaults otherwise). */
async function startVerdaccioProxy(dir: string, upstreamUrl: string): Promise<ReferenceServer & { logFile: string }> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const config = [
    `storage: ${join(dir, 'storage')}`,
    'auth:',
    '  htpasswd:',
    `    file: ${join(dir, 'htpasswd')}`,
    'uplinks:',
    '  upstream:',
    `    url: ${upstreamUrl}/`,
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    proxy: upstream',
    'server:',
    '  keepAliveTimeout: 60',
    'web:',
    '  enable: false',
    'log: { type: stdout, format: json, level: http }',
  ].join('\n');
  return startPinnedVerdaccio(dir, config, port);
}

// ---------------------------------------------------------------------------------------------
// Installs

function runCommand(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** One cold `npm install` (fresh HOME, cache, project, no lockfile), pinned to the load core; wall time in ms. */
async function coldInstall(
  root: string,
  server: { name: string; url: string },
  dependencies: Record<string, string>,
  expected: number,
  npmLog?: string,
) {
  const dir = await mkdtemp(join(root, `install-${server.name}-`));
  try {
    const home = join(dir, 'home');
    const project = join(dir, 'project');
    await mkdir(home, { recursive: true });
    await mkdir(project, { recursive: true });
    await writeFile(join(home, '.npmrc'), `registry=${server.url}/\naudit=false\nfund=false\nupdate-notifier=false\n`);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies }));
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!/^(npm_|yarn_|pnpm_)/i.test(key)) env[key] = value;
    Object.assign(env, {
      HOME: home,
      npm_config_userconfig: join(home, '.npmrc'),
      npm_config_cache: join(dir, 'cache'),
      npm_config_update_notifier: 'false',
      CI: 'true',
    });
    const { command, args } = pinnedCommand(LOAD_CPU, 'npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      npmLog ? '--loglevel=http' : '--loglevel=error',
    ]);
    const t0 = performance.now();
    const output = await runCommand(command, args, project, env, 300_000);
    const ms = performance.now() - t0;
    if (npmLog) await writeFile(npmLog, output);
    const installed = (await readdir(join(project, 'node_modules'))).filter((n) => !n.startsWith('.')).length;
    if (installed !== expected) throw new Error(`${server.name}: npm installed ${installed} packages, expected ${expected}`);
    const lock = readFileSync(join(project, 'package-lock.json'), 'utf8');
    if (!lock.includes(`"resolved": "${server.url}/`)) throw new Error(`${server.name}: the lockfile does not resolve to ${server.url}`);
    return ms;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Operation counts from Entropic's /metrics: requests by route, database calls by repository method, blob store calls. */
async function operationCounts(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts = new Map<string, number>();
  const re = /^entropic_(http_request|database_operation|blob_store_operation)_duration_seconds_count\{([^}]*)\} (\d+)/gm;
  for (const m of text.matchAll(re)) {
    const labels = (m[2] as string).replace(/outcome="[^"]*",?|status="[^"]*",?/g, '');
    const key = `${m[1]} ${labels}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(m[3]));
  }
  return counts;
}

function countsDelta(before: Map<string, number>, after: Map<string, number>): string {
  const lines: string[] = [];
  for (const [key, n] of after) {
    const d = n - (before.get(key) ?? 0);
    if (d > 0) lines.push(`${String(d).padStart(7)}  ${key}`);
  }
  return lines.sort((a, b) => Number(b.trim().split(' ')[0]) - Number(a.trim().split(' ')[0])).join('\n');
}

/** Quarter seconds of a server under 5% of a core that count as idle: longer than the mirror waits before it stores (1 s). */
const SETTLE_QUIET_SAMPLES = 8;

/**
 * Waits until a server's CPU use stays under 5% of a core for two seconds (bounded to 120 s), so
 * work it does after answering (the mirror stores once no npm read came for 1 s) is not measured
 * against the next install; answers how long that took.
 */
async function settle(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const t0 = performance.now();
  let quiet = 0;
  let before = processCpuNs(pid);
  while (quiet < SETTLE_QUIET_SAMPLES && performance.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 250));
    const now = processCpuNs(pid);
    quiet = now - before < 0.05 * 250e6 ? quiet + 1 : 0;
    before = now;
  }
  return performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const pinned = canPin() && pinProcess(process.pid, LOAD_CPU);
  if (spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status !== 0) throw new Error('nginx is not installed (apt-get install -y nginx)');
  const uptimeAtStart = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  log(`uptime: ${uptimeAtStart}`);
  const workDir = await mkdtemp(join(tmpdir(), 'entropic-bench-mirror-'));
  cleanups.add(() => rm(workDir, { recursive: true, force: true }));

  const upstreamPort = await freePort();
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const files: UpstreamFiles = { packuments: new Map(), tarballs: new Map() };
  const sets = ['warm', ...Array.from({ length: RUNS }, (_, i) => `run${i + 1}`)];
  const roots: Record<string, Record<string, string>> = {};
  for (const set of sets) roots[set] = await generateSet(set, COUNT, upstreamUrl, files);
  let bytes = 0;
  for (const b of files.tarballs.values()) bytes += b.length;
  let packumentBytes = 0;
  for (const b of files.packuments.values()) packumentBytes += b.length;
  log(
    `upstream: ${files.packuments.size} packages, ${files.tarballs.size} tarballs (${(bytes / 1024 / 1024).toFixed(1)} MB), ` +
      `packuments ${(packumentBytes / 1024 / 1024).toFixed(1)} MB`,
  );
  const upstream = track(await startUpstream(join(workDir, 'upstream'), upstreamPort, files));

  const servers: { name: string; url: string; pid?: number; logFile?: string }[] = [{ name: 'upstream (direct)', url: upstream.url }];
  const entropic = track(
    await startRegistry({
      backend: 'embedded',
      postgresAdminUrl: '',
      redisUrl: '',
      logLevel: undefined,
      user: 'bench',
      env: { LEGACY_UPSTREAM: upstream.url },
      ...(flags['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] } : {}),
    }),
  );
  servers.push({ name: 'Entropic mirror', url: entropic.url, pid: entropic.pid, logFile: entropic.logFile });
  const onlyEntropic = flags.only === 'entropic';
  if (flags.before && !onlyEntropic) {
    const before = track(
      await startRegistry({
        backend: 'embedded',
        postgresAdminUrl: '',
        redisUrl: '',
        logLevel: undefined,
        user: 'bench',
        env: { LEGACY_UPSTREAM: upstream.url },
        root: flags.before,
      }),
    );
    servers.push({ name: 'Entropic mirror (before)', url: before.url, pid: before.pid });
  }
  if (!onlyEntropic) {
    const verdaccio = track(await startVerdaccioProxy(join(workDir, 'verdaccio'), upstream.url));
    servers.push({ name: 'Verdaccio 6.8.0 proxy', url: verdaccio.url, pid: verdaccio.pid, logFile: verdaccio.logFile });
  }

  const installRoot = join(workDir, 'installs');
  await mkdir(installRoot, { recursive: true });
  const timings = flags.timings;
  if (timings) await mkdir(timings, { recursive: true });
  const npmLog = (set: string, server: { name: string }) =>
    timings ? join(timings, `${set}.${server.name.split(' ')[0]?.toLowerCase()}.npm.log`) : undefined;
  for (const server of servers) {
    const ms = await coldInstall(installRoot, server, roots.warm as Record<string, string>, COUNT, npmLog('warm', server));
    log(`warm-up (set "warm", discarded): ${server.name} ${ms.toFixed(0)} ms, then busy ${(await settle(server.pid)).toFixed(0)} ms`);
  }
  const runs = servers.map(() => [] as number[]);
  const settles = servers.map(() => [] as number[]);
  // CPU time is what a loaded machine does not stretch: the server's during the install, then after it
  const cpuDuring = servers.map(() => [] as number[]);
  const cpuAfter = servers.map(() => [] as number[]);
  const cpuMs = (pid: number | undefined) => (pid === undefined ? 0 : processCpuNs(pid) / 1e6);
  for (let round = 0; round < RUNS; round++) {
    const set = `run${round + 1}`;
    for (let k = 0; k < servers.length; k++) {
      const i = (k + round) % servers.length;
      const server = servers[i] as { name: string; url: string; pid?: number };
      const pid = server.pid;
      const counting = flags.counts && server.url === entropic.url;
      const counts0 = counting ? await operationCounts(server.url) : undefined;
      const cpu0 = cpuMs(pid);
      const ms = await coldInstall(installRoot, server, roots[set] as Record<string, string>, COUNT, npmLog(set, server));
      const cpu1 = cpuMs(pid);
      const counts1 = counting ? await operationCounts(server.url) : undefined;
      const after = await settle(server.pid);
      if (counts0 && counts1) {
        log(`operations during the install:\n${countsDelta(counts0, counts1)}`);
        log(`operations after it:\n${countsDelta(counts1, await operationCounts(server.url))}`);
      }
      runs[i]?.push(ms);
      settles[i]?.push(after);
      cpuDuring[i]?.push(cpu1 - cpu0);
      cpuAfter[i]?.push(cpuMs(pid) - cpu1);
      log(
        `set "${set}": ${server.name} ${ms.toFixed(0)} ms, then busy ${after.toFixed(0)} ms; ` +
          `server CPU ${(cpu1 - cpu0).toFixed(0)} ms during, ${(cpuMs(pid) - cpu1).toFixed(0)} ms after`,
      );
    }
  }

  if (timings) {
    for (const s of servers) if (s.logFile) await copyFile(s.logFile, join(timings, `${s.name.split(' ')[0]?.toLowerCase()}.server.log`));
    log(`timings kept in ${timings} (summary: node --import tsx bench/mirror-timings.ts ${timings})`);
  }
  const uptimeAtEnd = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  const medians = runs.map((r) => percentile(r, 50));
  const direct = medians[0] as number;
  const verdaccioMedian = medians.at(-1) as number;
  const entropicMedian = medians[1] as number;
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench:mirror${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const out: string[] = [];
  out.push(`# Cold \`npm install\` through a mirror of a local upstream, ${date}`, '');
  out.push(`Command: \`${command}\``, '');
  out.push(
    `Node ${process.version} · ${cpus()[0]?.model ?? 'unknown CPU'} · ${cpus().length} cores · ` +
      (pinned ? 'upstream (nginx), Entropic and Verdaccio pinned to core 0, npm and this process to core 1' : 'not pinned') +
      ` · whole run ${((performance.now() - started) / 1000).toFixed(0)} s`,
    '',
  );
  out.push(
    `The upstream is nginx serving ${files.packuments.size} generated packages as static files (full packuments with 2–40 versions, ` +
      `readme and metadata, ${(packumentBytes / 1024 / 1024).toFixed(1)} MB in all; ${files.tarballs.size} tarballs, ` +
      `${(bytes / 1024 / 1024).toFixed(1)} MB). Each install is a project with ${ROOTS} direct dependencies whose graph is ${COUNT} packages, ` +
      'with a fresh npm cache and no lockfile; after each install the harness waits until the server is idle (under 5% of a core ' +
      'for 2 s: "busy after", which includes those 2 s; Entropic stores and explodes first-fetched tarballs once no npm read came for 1 s) so ' +
      'no server’s leftover work lands in another’s install; every round installs a set of packages none of the servers has seen (cold for the ' +
      'mirrors too), rotating which server goes first, after one discarded warm-up install of its own set each. Entropic is the ' +
      'embedded default (PGlite, in-process key-value, `NODE_ENV=production`, bundled server, log level info) with ' +
      '`LEGACY_UPSTREAM` set to the upstream; Verdaccio proxies it for every package (`proxy: upstream`, its shipped cache settings).',
    '',
  );
  out.push(
    '| server | runs (ms) | median | × upstream direct | busy after the install (ms) | server CPU during the install (ms) | server CPU after it (ms) |',
  );
  out.push('|---|---|---|---|---|---|---|');
  const list = (xs: number[] | undefined) => (xs ?? []).map((x) => x.toFixed(0)).join(', ');
  servers.forEach((s, i) => {
    const m = medians[i] as number;
    const [busy, during, afterIt] = s.pid === undefined ? ['–', '–', '–'] : [list(settles[i]), list(cpuDuring[i]), list(cpuAfter[i])];
    out.push(`| ${s.name} | ${list(runs[i])} | ${m.toFixed(0)} | ${(m / direct).toFixed(2)}× | ${busy} | ${during} | ${afterIt} |`);
  });
  out.push('');
  out.push(
    'Server CPU: user + system time of the server process (all its threads) read from /proc, during the install and from its end ' +
      'until the server is idle. A loaded machine stretches wall time, hardly CPU time.',
  );
  out.push('');
  out.push(
    `Targets (issue 17.9): Entropic within 1.2× of the upstream directly — ${(entropicMedian / direct).toFixed(2)}× ` +
      `**${entropicMedian / direct <= 1.2 ? 'PASS' : 'FAIL'}**; faster than Verdaccio's proxy — ` +
      `${(entropicMedian / verdaccioMedian).toFixed(2)}× Verdaccio **${entropicMedian < verdaccioMedian ? 'PASS' : 'FAIL'}**.`,
    '',
  );
  out.push(
    `Machine load: \`${uptimeAtStart}\` at the start, \`${uptimeAtEnd}\` at the end (1-minute load average ${(loadavg()[0] ?? 0).toFixed(1)}); ` +
      'the machine is shared, so the ratios of one run are the figures to read, not the milliseconds.',
    '',
  );
  const report = out.join('\n');
  process.stdout.write(`${report}\n`);
  if (!flags['no-write']) {
    const dir = join(REPO_ROOT, 'bench/results');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `mirror-${date}.md`);
    await writeFile(file, `${report}\n`);
    log(`wrote ${file}`);
  }
}

main()
  .catch((error) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await runCleanups();
    disarm();
  });
