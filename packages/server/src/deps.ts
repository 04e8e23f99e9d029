import { type BlobStore, createCachedBlobStore, createFilePackLog, createFsBlobStore, createPackedBlobStore } from '@entropic/blobs';
import { type CoreDeps, createEventBus, HostKeyring, loadHostKeyring, systemClock } from '@entropic/core';
import {
  createDatabase,
  createDatabasePackLog,
  createRepositories,
  createUnitOfWork,
  type Database,
  type DatabaseHandle,
  migrate,
} from '@entropic/db';
import { createMemoryKeyValueStore, createRedisKeyValueStore, type KeyValueStore } from '@entropic/kv';
import { type Kysely, sql } from 'kysely';
import { type Config, loadHostSigningKeys } from './config.ts';
import { EpochGrantCache, trackGrantChanges } from './grant-cache.ts';
import { Metrics } from './metrics.ts';
import { timeBlobStore } from './timed-blob-store.ts';
import { timeRepositories, timeUnitOfWork } from './timed-repositories.ts';

export interface ServerDeps extends CoreDeps {
  config: Readonly<Config>;
  database: DatabaseHandle;
  /** the adapter under the repositories: the server owns it (admin, readiness, tests); use cases never see it */
  db: Kysely<Database>;
  blobs: BlobStore;
  kv: KeyValueStore;
  /** remembered read grants, and the access epoch the token cache checks too (docs/decisions/grant-cache.md) */
  grants: EpochGrantCache;
  /** Prometheus metrics (undefined with METRICS=off); repos, uow and blobs are timed when set */
  metrics: Metrics | undefined;
  /** this host's signing keys (read again by `reloadKeyring`: another process may have rotated them) */
  keyring: HostKeyring;
  reloadKeyring(): Promise<void>;
  /** `listener` is called when jobs were enqueued and committed in this process (a worker here wakes up); answers the unsubscribe */
  onJobsEnqueued(listener: () => void): () => void;
  /** readiness: one round trip to the database */
  pingDatabase(): Promise<void>;
  close(): Promise<void>;
}

export interface DepsOverrides {
  /** PostgreSQL schema (tests isolate themselves in one) */
  schema?: string;
  /** Redis key prefix (tests share one Redis) */
  keyPrefix?: string;
  /** use an in-memory PGlite instead of DATA_DIR */
  memoryDatabase?: boolean;
}

/** Builds the real adapters the config asks for, and migrates the database. */
export async function createDeps(config: Readonly<Config>, overrides: DepsOverrides = {}): Promise<ServerDeps> {
  const database = await createDatabase({
    postgresUrl: config.postgresUrl,
    dataDir: overrides.memoryDatabase ? 'memory://' : config.dataDir,
    schema: overrides.schema,
  });
  await migrate(database.db);
  const jobListeners = new Set<() => void>();
  const repositoryOptions = {
    clock: systemClock,
    onJobsEnqueued: () => {
      for (const listener of jobListeners) listener();
    },
  };
  const metrics = config.metrics.enabled ? new Metrics() : undefined;
  const blobs = await createBlobStore(config, database.db, metrics);
  const kv = config.redisUrl
    ? createRedisKeyValueStore({ url: config.redisUrl, keyPrefix: overrides.keyPrefix ?? config.redisKeyPrefix })
    : createMemoryKeyValueStore();
  const repos = createRepositories(database.db, repositoryOptions);
  const uow = createUnitOfWork(database.db, repositoryOptions);
  metrics?.watchJobQueue(() => repos.jobs.countByState());
  const keyDeps = { repos, uow, clock: systemClock };
  // keys given by configuration (the file is read again on reload) or made at first start and kept in the database
  const loadKeyring = async () =>
    config.hostSigningKeys
      ? HostKeyring.fromConfigured(loadHostSigningKeys(config.hostSigningKeys.file).keys, systemClock)
      : loadHostKeyring(keyDeps, config.oauthPassword);
  const grants = new EpochGrantCache(kv, metrics?.cacheStats('grant'));
  // every grant write moves the access epoch before its request answers (docs/decisions/grant-cache.md)
  const tracked = trackGrantChanges(
    metrics ? timeRepositories(repos, metrics) : repos,
    metrics ? timeUnitOfWork(uow, metrics) : uow,
    grants,
  );
  const deps: ServerDeps = {
    config,
    database,
    db: database.db,
    // Timed by decorators on the ports: the adapters and core know nothing of metrics.
    repos: tracked.repos,
    uow: tracked.uow,
    grants,
    clock: systemClock,
    events: createEventBus(),
    blobs: metrics ? timeBlobStore(blobs, metrics) : blobs,
    kv,
    metrics,
    keyring: await loadKeyring(),
    async reloadKeyring() {
      deps.keyring = await loadKeyring();
    },
    host: config.host,
    limits: config.limits,
    sealPassword: config.oauthPassword,
    onJobsEnqueued(listener) {
      jobListeners.add(listener);
      return () => jobListeners.delete(listener);
    },
    async pingDatabase() {
      await sql`SELECT 1`.execute(database.db);
    },
    async close() {
      await Promise.allSettled([kv.close(), blobs.close()]);
      await database.close();
    },
  };
  return deps;
}

/**
 * BLOB_STORE: the filesystem, or S3 behind an in-memory cache of small hot objects; BLOB_PACKING:
 * packed storage over either, its index a local file or (BLOB_PACK_INDEX=database, the default on
 * S3) the database every instance shares.
 */
async function createBlobStore(config: Readonly<Config>, db: Kysely<Database>, metrics: Metrics | undefined): Promise<BlobStore> {
  const raw = await createRawBlobStore(config, metrics);
  const packing = config.blobPacking;
  if (!packing) return raw;
  const leaseMs = packing.leaseSeconds * 1000;
  if (packing.index === 'database') {
    // a local index this node kept before (BLOB_PACK_INDEX=file) is copied into an empty database index
    const importFrom = createFilePackLog(packing.indexDir);
    return createPackedBlobStore(raw, { log: createDatabasePackLog(db), importFrom, leaseMs });
  }
  return createPackedBlobStore(raw, { indexDir: packing.indexDir, leaseMs });
}

async function createRawBlobStore(config: Readonly<Config>, metrics: Metrics | undefined): Promise<BlobStore> {
  if (config.s3 === undefined) return createFsBlobStore({ dir: config.cacheDir, compression: config.blobCompression });
  const { createS3BlobStore } = await import('@entropic/blobs/s3'); // loads the AWS SDK only when used
  const { cacheBytes, cacheMaxObjectBytes, endpoint, credentials, ...s3 } = config.s3;
  const store = createS3BlobStore({ ...s3, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) });
  return cacheBytes > 0
    ? createCachedBlobStore(store, { maxBytes: cacheBytes, maxObjectBytes: cacheMaxObjectBytes, stats: metrics?.cacheStats('blob') })
    : store;
}
