import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './create-test-app.ts';
import { waitForStart } from './wait-for-start.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
/** The tsx loader by absolute URL: the child runs in its data dir, where a bare `tsx` does not resolve. */
export const TSX_LOADER = import.meta.resolve('tsx');

export interface RegistryProcess {
  url: string;
  host: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  child: ChildProcess;
  /** runs `npm run admin -- …` with the same environment; resolves stdout (rejects on non-zero exit) */
  admin(args: string[]): Promise<string>;
  createUser(name: string): Promise<{ name: string; token: string }>;
  /** SIGTERM, wait for exit; removes the data dir (and drops the test schema) unless keepData */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** output so far, for failure messages */
  output(): string;
}

export interface RegistryProcessOptions {
  env?: Record<string, string>;
  dataDir?: string;
  port?: number;
  /** POSTGRES_URL names a database the caller made for this registry: no schema of its own, none dropped */
  ownDatabase?: boolean;
  /** `dist`: the bundle `npm run build` makes (plain JavaScript, as `npm start` runs it); default the sources via tsx */
  entry?: 'source' | 'dist';
  /** pins the process to these CPUs (taskset -c) */
  cpus?: string;
}

/**
 * Starts the registry as `npm start` would (a real process on a free loopback port), on the
 * embedded default, or on PostgreSQL/Redis when POSTGRES_URL/REDIS_URL are set (a fresh schema
 * via PGOPTIONS, a unique Redis key prefix is not needed: data is namespaced by the schema).
 */
export async function startRegistryProcess(options: RegistryProcessOptions = {}): Promise<RegistryProcess> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'entropic-proc-')));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'testing',
    PORT: String(port),
    EXTERNAL_HOST: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...options.env,
  };
  const adminPostgresUrl = env.POSTGRES_URL;
  // A restart passes the first process's env (ENTROPIC_TEST_SCHEMA set): same schema, same data.
  if (env.POSTGRES_URL && !options.ownDatabase && !env.PGOPTIONS && !env.ENTROPIC_TEST_SCHEMA) {
    const schema = `proc_${randomBytes(6).toString('hex')}`;
    const url = new URL(env.POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env.ENTROPIC_TEST_SCHEMA = schema;
    env.POSTGRES_URL = url.toString();
    // search_path names the schema; it must exist before the server migrates into it
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: adminPostgresUrl });
    await client.connect();
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.end();
  }
  let output = '';
  const launch = () => {
    const script =
      options.entry === 'dist'
        ? [join(REPO_ROOT, 'packages/server/dist/main.mjs')]
        : ['--import', TSX_LOADER, join(REPO_ROOT, 'packages/server/src/main.ts')];
    const [command, args] = options.cpus ? ['taskset', ['-c', options.cpus, process.execPath, ...script]] : [process.execPath, script];
    const child = spawn(command, args, {
      cwd: dataDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    return child;
  };
  const url = `http://127.0.0.1:${port}`;
  const child = launch();
  await waitForStart({
    what: `the registry to answer GET ${url}/ping`,
    child,
    output: () => output,
    probe: async () => (await fetch(`${url}/ping`)).ok,
  });
  const admin = (args: string[]) =>
    new Promise<string>((resolvePromise, reject) => {
      const proc = spawn(process.execPath, ['--import', TSX_LOADER, join(REPO_ROOT, 'packages/server/src/admin.ts'), ...args], {
        cwd: dataDir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      proc.stdout.on('data', (d) => {
        out += d;
      });
      proc.stderr.on('data', (d) => {
        err += d;
      });
      proc.on('close', (code) =>
        code === 0 ? resolvePromise(out) : reject(new Error(`admin ${args.join(' ')} exited ${code}: ${err}${out}`)),
      );
    });
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    dataDir,
    env,
    child,
    admin,
    async createUser(name) {
      // The embedded database belongs to the server process: create users through the API-free
      // admin command only when it may run beside the server (PostgreSQL); else via a restart-free
      // path: the server exposes nothing for it, so admin runs with the lock honoured.
      const out = await admin(['user', 'create', name]);
      const token = out.trim().split('\n').at(-1) as string;
      return { name, token };
    },
    async stop(stopOptions = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (env.ENTROPIC_TEST_SCHEMA && env.POSTGRES_URL && !stopOptions.keepData) {
        const pg = await import('pg');
        const client = new pg.default.Client({ connectionString: adminPostgresUrl });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${env.ENTROPIC_TEST_SCHEMA}" CASCADE`);
        await client.end();
      }
      if (!stopOptions.keepData && !options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
    output: () => output,
  };
}
