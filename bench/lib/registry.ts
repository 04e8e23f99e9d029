import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pinnedCommand, SERVER_CPU } from './cpu.ts';
import { freePort, waitForHttp } from './net.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TSX = import.meta.resolve('tsx');

export type Backend = 'embedded' | 'postgres';

export interface BenchRegistry {
  backend: Backend;
  url: string;
  pid: number;
  token: string;
  namespace: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  backend: Backend;
  postgresAdminUrl: string;
  redisUrl: string;
  logLevel: string | undefined;
  user: string;
  /** extra node flags for the registry, e.g. ['--cpu-prof', '--cpu-prof-dir=…'] */
  nodeArgs?: string[];
  /** extra environment for the registry, e.g. LEGACY_UPSTREAM */
  env?: Record<string, string>;
  /** another checkout of the repository to run (with its own node_modules), for before/after figures */
  root?: string;
  /** runs once the database is migrated and before the server starts (seeding a corpus with SQL) */
  beforeStart?: (env: Record<string, string>) => Promise<void>;
}

function runNode(script: string, args: string[], env: Record<string, string>, cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${script} ${args.join(' ')} exited ${code}:\n${out}`));
    });
  });
}

async function withPostgres<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * Starts the registry as an operator would (NODE_ENV=production, its default log level, logs to
 * a file), pinned to the server core, on a fresh data dir and — for `postgres` — a fresh
 * PostgreSQL database (dropped by stop()) and the machine's Redis. The publishing user is
 * created with the admin command before the server starts (the embedded database allows no
 * second process beside it).
 */
export async function startRegistry(options: RegistryOptions): Promise<BenchRegistry> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), `entropic-bench-${options.backend}-`));
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dataDir,
    NODE_ENV: 'production',
    PORT: String(port),
    LISTEN_ADDRESS: '127.0.0.1',
    EXTERNAL_HOST: url,
    DATA_DIR: dataDir,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    OAUTH_PASSWORD: randomBytes(32).toString('hex'),
    // benches publish as fast as they can from one account: the per-user hourly limit (a policy
    // against a leaked token) would answer 429 and measure that instead
    PUBLISH_RATE_LIMIT_PER_HOUR: '0',
  };
  if (options.logLevel) env.LOG_LEVEL = options.logLevel;
  Object.assign(env, options.env ?? {});
  const root = options.root ?? REPO_ROOT;
  let database: string | undefined;
  if (options.backend === 'postgres') {
    database = `entropic_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
    await withPostgres(options.postgresAdminUrl, (c) => c.query(`CREATE DATABASE "${database}"`));
    const pgUrl = new URL(options.postgresAdminUrl);
    pgUrl.pathname = `/${database}`;
    env.POSTGRES_URL = pgUrl.toString();
    env.REDIS_URL = options.redisUrl;
  }
  const dropDatabase = async () => {
    if (!database) return;
    const name = database;
    database = undefined;
    await withPostgres(options.postgresAdminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  };
  const logFile = join(dataDir, 'registry.log');
  let child: ChildProcess | undefined;
  try {
    const out = await runNode(join(root, 'packages/server/src/admin.ts'), ['user', 'create', options.user], env, dataDir, 300_000);
    const token = out.trim().split('\n').at(-1)?.trim() ?? '';
    if (!token.startsWith('ent_')) throw new Error(`admin user create printed no token:\n${out}`);
    await options.beforeStart?.(env);
    const logFd = openSync(logFile, 'a');
    // Measure what `npm start` runs: the bundled server on plain node.
    execFileSync(process.execPath, [join(root, 'scripts/build-server.mjs')], { stdio: 'inherit', cwd: root });
    const { command, args } = pinnedCommand(SERVER_CPU, process.execPath, [
      // the same V8 flags as `npm start` (package.json)
      '--max-semi-space-size=4',
      ...(options.nodeArgs ?? []),
      join(root, 'packages/server/dist/main.mjs'),
    ]);
    child = spawn(command, args, { cwd: dataDir, env, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const started = child;
    await waitForHttp(`${url}/ping`, 180_000, () =>
      started.exitCode !== null ? `registry exited with ${started.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-4000)}` : undefined,
    );
    const pid = started.pid as number;
    return {
      backend: options.backend,
      url,
      pid,
      token,
      namespace: options.user,
      logFile,
      async stop() {
        if (started.exitCode === null && started.signalCode === null) {
          const exited = new Promise((r) => started.once('exit', r));
          started.kill('SIGTERM');
          const timer = setTimeout(() => started.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }
        await dropDatabase();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await dropDatabase().catch(() => {});
    await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    throw error;
  }
}
