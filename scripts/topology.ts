// `npm run topology`: the docker-compose topology on this machine, without Docker (issue 12.6):
// PostgreSQL and Redis (the running ones, or started), the blob store (a directory shared by the
// instances, or with --blob-store s3 a Ceph RADOS Gateway of its own), N registry instances
// (`npm start`'s bundle) and HAProxy in front. Prints the URL; Ctrl-C stops everything.
//
//   npm run topology -- [--instances 2] [--port 8080] [--dir data/topology] [--blob-store fs|s3] [--fresh]
//
// The data (database `entropic_topology`, the blob directory) is kept between runs; --fresh
// drops it first. Environment: POSTGRES_URL (a server; default the local one), REDIS_URL.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, type RedisServer, startRedisServer, startTopology } from '@entropic/testkit';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '2' },
    port: { type: 'string', default: '8080' },
    dir: { type: 'string', default: 'data/topology' },
    'blob-store': { type: 'string', default: 'fs' },
    fresh: { type: 'boolean', default: false },
  },
});
const DATABASE = 'entropic_topology';
const dir = resolve(values.dir);
const postgresUrl = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const blobStore = values['blob-store'] === 's3' ? 's3' : 'fs';

async function reachablePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** The machine's PostgreSQL cluster, started as .ci/run does when it is not running. */
async function ensurePostgres(): Promise<void> {
  if (await reachablePostgres()) return;
  if (process.env.POSTGRES_URL) throw new Error(`PostgreSQL at POSTGRES_URL does not answer`);
  const version = execFileSync('ls', ['/etc/postgresql'], { encoding: 'utf8' }).trim().split('\n')[0];
  console.log(`starting PostgreSQL ${version} (pg_ctlcluster)`);
  spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', String(version), 'main', 'start'], { stdio: 'inherit' });
  for (let i = 0; i < 30 && !(await reachablePostgres()); i++) await new Promise((r) => setTimeout(r, 1000));
  if (!(await reachablePostgres())) throw new Error('PostgreSQL did not start');
}

/** REDIS_URL, the local Redis on 6379, or a redis-server of our own. */
async function ensureRedis(): Promise<{ url: string; started?: RedisServer }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL };
  const ping = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping'], { encoding: 'utf8' });
  if (ping.stdout?.trim() === 'PONG') return { url: 'redis://127.0.0.1:6379' };
  mkdirSync(resolve(dir, 'redis'), { recursive: true });
  const started = await startRedisServer({ dir: resolve(dir, 'redis') });
  return { url: started.url, started };
}

async function main(): Promise<void> {
  await ensurePostgres();
  const redis = await ensureRedis();
  if (values.fresh) {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
    await client.end();
    rmSync(resolve(dir, 'blobs'), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  console.log('building the server bundle (npm run build)');
  execFileSync(process.execPath, [resolve(REPO_ROOT, 'scripts/build-server.mjs')], { stdio: 'inherit' });
  console.log(`starting ${values.instances} instances and HAProxy (blob store: ${blobStore})`);
  const topology = await startTopology({
    postgresUrl,
    database: DATABASE,
    redisUrl: redis.url,
    redisKeyPrefix: 'entropic-topology:',
    instances: Number(values.instances),
    dir,
    lbPort: Number(values.port),
    entry: 'dist',
    blobStore,
    drainSeconds: 2,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  });
  console.log(`\nEntropic is at ${topology.url}  (HAProxy in front of ${topology.instances.map((i) => i.url).join(', ')})`);
  console.log(
    `database ${topology.databaseUrl}, Redis ${redis.url} (prefix entropic-topology:), blobs ${topology.s3 ? topology.s3.endpoint : topology.blobDir}`,
  );
  const where = topology.s3 ? '(and the S3 settings)' : `CACHE_DIR=${topology.blobDir}`;
  console.log(`operator commands: POSTGRES_URL=${topology.databaseUrl} ${where} npm run admin -- user create <name>`);
  console.log('Ctrl-C stops everything.');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping (the instances drain first)');
    await topology.stop();
    await redis.started?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
