import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './create-test-app.ts';
import { type LoadBalancer, startLoadBalancer } from './start-load-balancer.ts';
import { type RegistryProcess, startRegistryProcess } from './start-registry-process.ts';
import { type S3Gateway, startS3Gateway } from './start-s3-gateway.ts';

export interface TopologyOptions {
  /** a PostgreSQL server (any database on it): the topology's database is made there */
  postgresUrl: string;
  /** the database's name; made when missing; default a unique one, dropped at stop */
  database?: string;
  redisUrl: string;
  /** default a unique one per topology */
  redisKeyPrefix?: string;
  instances?: number;
  /** working directory (instances' data dirs, the shared blob dir, HAProxy's files); default a temp dir, removed at stop */
  dir?: string;
  lbPort?: number;
  /** ports of the instances (default free ones) */
  instancePorts?: number[];
  /** seconds an instance's readiness answers 503 on SIGTERM before its listener closes */
  drainSeconds?: number;
  checkIntervalMs?: number;
  entry?: 'source' | 'dist';
  /** CPUs (taskset -c) of each instance, by index, and of HAProxy */
  instanceCpus?: string[];
  lbCpus?: string;
  /** HAProxy logs every request (Topology.lb.output()) */
  lbLog?: boolean;
  /** more environment for every instance (LOG_LEVEL, CACHE_TTL_SECONDS, …) */
  env?: Record<string, string>;
  /** `s3`: a Ceph RADOS Gateway of its own (startS3Gateway) holds the blobs; default `fs`, one directory shared by every instance */
  blobStore?: 'fs' | 's3';
}

export interface TopologyInstance {
  name: string;
  port: number;
  url: string;
  /** the process running now (a restart replaces it) */
  current(): RegistryProcess;
  /** sends the signal and resolves when the process exited (with its code or signal) */
  kill(signal: NodeJS.Signals): Promise<number | string>;
  /** starts the instance again on its port (after kill) and waits until it answers */
  restart(): Promise<void>;
}

export interface Topology {
  url: string;
  databaseUrl: string;
  redisKeyPrefix: string;
  /** the shared blob directory (BLOB_STORE=fs) */
  blobDir: string;
  /** the object store (BLOB_STORE=s3) */
  s3: S3Gateway | undefined;
  lb: LoadBalancer;
  instances: TopologyInstance[];
  /** `npm run admin -- …` on the topology's database and blob store */
  admin(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

async function withPostgres<T>(url: string, run: (query: (sql: string) => Promise<{ rowCount: number | null }>) => Promise<T>): Promise<T> {
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: url });
  await client.connect();
  try {
    return await run((sql) => client.query(sql));
  } finally {
    await client.end();
  }
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * The compose topology without Docker: PostgreSQL and Redis given (running), a database of its
 * own on the first, a key prefix of its own on the second, a blob store shared by every instance
 * (a directory, or what `env` configures), N registry processes on loopback ports, and HAProxy in
 * front checking each instance's readiness. `npm run topology` and the multi-instance tests use it.
 */
export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const count = options.instances ?? 2;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'entropic-topology-')));
  const ownDir = options.dir === undefined;
  const database = options.database ?? `entropic_topology_${randomBytes(5).toString('hex')}`;
  const dropDatabase = options.database === undefined;
  const redisKeyPrefix = options.redisKeyPrefix ?? `topology-${randomBytes(5).toString('hex')}:`;
  const adminUrl = databaseUrl(options.postgresUrl, 'postgres');
  await withPostgres(adminUrl, async (query) => {
    const exists = await query(`SELECT 1 FROM pg_database WHERE datname = '${database}'`);
    if (!exists.rowCount) await query(`CREATE DATABASE "${database}"`);
  });
  const blobDir = join(dir, 'blobs');
  await mkdir(blobDir, { recursive: true });
  const ports = options.instancePorts ?? (await Promise.all(Array.from({ length: count }, () => freePort())));
  const stopped: Array<() => Promise<void>> = [];
  try {
    const s3 = options.blobStore === 's3' ? await startS3Gateway() : undefined;
    if (s3) stopped.push(() => s3.stop());
    const lb = await startLoadBalancer({
      dir,
      backends: ports,
      port: options.lbPort,
      checkIntervalMs: options.checkIntervalMs,
      cpus: options.lbCpus,
      log: options.lbLog,
    });
    stopped.push(() => lb.stop());
    const env: Record<string, string> = {
      POSTGRES_URL: databaseUrl(options.postgresUrl, database),
      REDIS_URL: options.redisUrl,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      CACHE_DIR: blobDir,
      EXTERNAL_HOST: lb.url,
      SHUTDOWN_DRAIN_SECONDS: String(options.drainSeconds ?? 2),
      ...s3?.env,
      ...options.env,
    };
    const instances = await Promise.all(
      ports.map(async (port, i) => {
        const instance = await startInstance({ name: `i${i + 1}`, port, dir, env, entry: options.entry, cpus: options.instanceCpus?.[i] });
        stopped.push(() => instance.stop());
        return instance;
      }),
    );
    const topology: Topology = {
      url: lb.url,
      databaseUrl: env.POSTGRES_URL as string,
      redisKeyPrefix,
      blobDir,
      s3,
      lb,
      instances,
      admin: (args) => (instances[0] as StartedInstance).current().admin(args),
      async stop() {
        // instances first (they drain), then the balancer, then the data
        await Promise.allSettled(instances.map((instance) => instance.stop()));
        await lb.stop();
        await s3?.stop();
        if (dropDatabase) await withPostgres(adminUrl, (query) => query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
        if (ownDir) await rm(dir, { recursive: true, force: true });
      },
    };
    return topology;
  } catch (error) {
    await Promise.allSettled(stopped.map((stop) => stop()));
    if (dropDatabase) await withPostgres(adminUrl, (query) => query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)).catch(() => {});
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

interface StartedInstance extends TopologyInstance {
  stop(): Promise<void>;
}

async function startInstance(options: {
  name: string;
  port: number;
  dir: string;
  env: Record<string, string>;
  entry: 'source' | 'dist' | undefined;
  cpus: string | undefined;
}): Promise<StartedInstance> {
  const dataDir = join(options.dir, options.name);
  await mkdir(dataDir, { recursive: true });
  const start = () =>
    startRegistryProcess({ port: options.port, dataDir, env: options.env, ownDatabase: true, entry: options.entry, cpus: options.cpus });
  let current = await start();
  return {
    name: options.name,
    port: options.port,
    url: `http://127.0.0.1:${options.port}`,
    current: () => current,
    async kill(signal) {
      const { child } = current;
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? (child.signalCode as string);
      const exited = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig as string))));
      child.kill(signal);
      return exited;
    },
    async restart() {
      current = await start();
    },
    async stop() {
      await current.stop({ keepData: true });
    },
  };
}
