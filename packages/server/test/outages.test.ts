// API.md §2 / issue 2 item 5: when PostgreSQL, Redis or the blob store is down, the affected
// requests answer 503 with Retry-After quickly, and service resumes by itself when they return.
import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { isDatabaseUnavailable } from '@entropic/db';
import { createRedisKeyValueStore, type KeyValueStore } from '@entropic/kv';
import { buildApp } from '@entropic/server/app';
import { bearer, createTestApp, publish, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { findPostgresBin, type PrivatePostgres, startPrivatePostgres } from './support/private-postgres.ts';
import { hasRedisServer, type PrivateRedis, startPrivateRedis } from './support/private-redis.ts';
import { waitFor } from './support/wait-for.ts';

/** What every answer during an outage must look like: a fast, coded 503 that says when to retry. */
async function assertUnavailable(what: string, request: () => Promise<LightMyRequestResponse>): Promise<void> {
  const started = Date.now();
  const response = await request();
  const elapsed = Date.now() - started;
  assert.equal(response.statusCode, 503, `${what}: ${response.statusCode} ${response.body}`);
  if (response.body !== '') assert.equal(response.json().code, 'SERVICE_UNAVAILABLE', what);
  assert.match(String(response.headers['retry-after']), /^\d+$/, `${what}: Retry-After`);
  assert.ok(elapsed < 3000, `${what} took ${elapsed} ms`);
  assert.doesNotMatch(response.body, /\/tmp\/|\/work\/|ECONNREFUSED|at .*\.ts:/, `${what} leaks internals: ${response.body}`);
}

const pgBin = findPostgresBin();
describe('PostgreSQL outage', { skip: pgBin ? false : 'PostgreSQL binaries (initdb, pg_ctl) are not installed' }, () => {
  let pg: PrivatePostgres;
  let t: TestApp;
  let alice: TestUser;
  before(async () => {
    pg = await startPrivatePostgres();
    t = await createTestApp({ env: { POSTGRES_URL: pg.url, REDIS_URL: '' } });
    alice = await t.createUser('alice');
    await publishVersion(t.app, 'alice/steady', '1.0.0', { token: alice.token });
  });
  after(async () => {
    try {
      if (pg && !pg.running) pg.start(); // a failed test may have left it down
      await t?.close();
    } finally {
      pg?.cleanup();
    }
  });

  it('survives PostgreSQL dying under a query in flight (the query fails as unavailable)', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const inFlight = sql`SELECT pg_sleep(10)`.execute(t.deps.db);
      const outcome = inFlight.then(
        () => undefined,
        (error: unknown) => error,
      );
      await new Promise((r) => setTimeout(r, 200));
      pg.crash();
      const error = await outcome;
      assert.ok(error, 'the query failed');
      assert.ok(isDatabaseUnavailable(error), String(error));
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(uncaught.map(String), [], 'no uncaught error (it would end the process)');
    } finally {
      process.off('uncaughtException', onUncaught);
      if (!pg.running) pg.start();
    }
    await waitFor(
      'the database to answer again',
      async () => ((await t.app.inject({ url: '/packages' })).statusCode === 200 ? true : undefined),
      15_000,
      200,
    );
  });

  it('answers 503 with Retry-After on reads and writes while it is down, and recovers by itself', async () => {
    // warm the token cache, so the write below reaches the database for its own work
    assert.equal((await t.app.inject({ url: '/auth/whoami', headers: bearer(alice.token) })).statusCode, 200);
    pg.crash();
    await assertUnavailable('GET /packages', () => t.app.inject({ url: '/packages' }));
    await assertUnavailable('GET an uncached package', () => t.app.inject({ url: '/packages/package/alice/steady/versions' }));
    await assertUnavailable('publish', () => publish(t.app, 'alice/steady', '1.0.1', { token: alice.token }));
    await assertUnavailable('create a package', () =>
      t.app.inject({ method: 'PUT', url: '/packages/package/alice/fresh', headers: bearer(alice.token), payload: {} }),
    );
    // the process keeps serving what needs no database
    assert.equal((await t.app.inject({ url: '/ping' })).statusCode, 200);

    pg.start();
    const recovered = await waitFor(
      'GET /packages to answer 200 after PostgreSQL returned',
      async () => {
        const response = await t.app.inject({ url: '/packages' });
        return response.statusCode === 200 ? response : undefined;
      },
      15_000,
      200,
    );
    assert.equal(recovered.json().objects.length, 1);
    // a 503 was not cached as the answer
    const versions = await t.app.inject({ url: '/packages/package/alice/steady/versions' });
    assert.equal(versions.statusCode, 200, versions.body);
    assert.deepEqual(Object.keys(versions.json()), ['1.0.0']);
    const published = await publish(t.app, 'alice/steady', '1.0.1', { token: alice.token });
    assert.equal(published.statusCode, 201, published.body);
  });
});

describe('Redis outage', { skip: hasRedisServer() ? false : 'redis-server is not installed' }, () => {
  let redis: PrivateRedis;
  let t: TestApp;
  before(async () => {
    redis = await startPrivateRedis();
    t = await createTestApp({ env: { REDIS_URL: redis.url } });
  });
  after(async () => {
    try {
      await redis?.start().catch(() => {});
      await t?.close();
    } finally {
      await redis?.cleanup();
    }
  });

  it('answers 503 with Retry-After on routes that need it, and recovers by itself', async () => {
    const login = () => t.app.inject({ method: 'POST', url: '/-/v1/login', payload: {} });
    assert.equal((await login()).statusCode, 200);
    await redis.kill();
    await assertUnavailable('POST /-/v1/login', login);
    await assertUnavailable('GET /-/v1/login/poll/:id', () => t.app.inject({ url: `/-/v1/login/poll/${crypto.randomUUID()}` }));
    // reads that need no key-value store keep working
    assert.equal((await t.app.inject({ url: '/packages' })).statusCode, 200);

    await redis.start();
    await waitFor(
      'POST /-/v1/login to answer 200 after Redis returned',
      async () => ((await login()).statusCode === 200 ? true : undefined),
      15_000,
      200,
    );
  });
});

describe('cache invalidation across a Redis restart', { skip: hasRedisServer() ? false : 'redis-server is not installed' }, () => {
  let redis: PrivateRedis;
  let t: TestApp;
  const apps: FastifyInstance[] = [];
  const stores: KeyValueStore[] = [];
  before(async () => {
    redis = await startPrivateRedis();
    t = await createTestApp({ env: { CACHE_TTL_SECONDS: '600' } });
    // two registries on one database, each with its own connections to one Redis
    for (let i = 0; i < 2; i++) {
      const kv = createRedisKeyValueStore({ url: redis.url, keyPrefix: 'restart-test:' });
      stores.push(kv);
      apps.push(await buildApp({ ...t.deps, kv }, { logger: false }));
    }
  });
  after(async () => {
    await Promise.allSettled(apps.map((app) => app.close()));
    await Promise.allSettled(stores.map((kv) => kv.close()));
    await t?.close();
    await redis?.cleanup();
  });

  it('resumes: a write through one process invalidates the other once Redis is back', async () => {
    const [one, two] = apps as [FastifyInstance, FastifyInstance];
    const [kvOne, kvTwo] = stores as [KeyValueStore, KeyValueStore];
    const alice = await t.createUser('alice');
    await publishVersion(one, 'alice/live', '1.0.0', { token: alice.token });
    const doc = async () => (await two.inject({ url: '/packages/package/alice/live' })).json().versions as Record<string, string>;
    assert.deepEqual(Object.keys(await doc()), ['1.0.0']);
    let probes = 0;
    await kvTwo.subscribe('probe', () => {
      probes += 1;
    });

    await redis.kill();
    await redis.start();
    // both connections are back (ioredis resubscribed) once a probe goes through
    await waitFor(
      'the subscriber to be back',
      async () => {
        await kvOne.publish('probe', 'x').catch(() => {});
        return probes > 0 ? true : undefined;
      },
      15_000,
      100,
    );
    await publishVersion(one, 'alice/live', '1.1.0', { token: alice.token });
    await waitFor('the other process to see 1.1.0', async () => ('1.1.0' in (await doc()) ? true : undefined), 2000, 25);
  });
});

describe('blob store outage', () => {
  let t: TestApp;
  let alice: TestUser;
  let fileIntegrity: string;
  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    const doc = await publishVersion(t.app, 'alice/bytes', '1.0.0', { token: alice.token, files: { 'index.js': 'one\n' } });
    fileIntegrity = doc.files['./package/index.js'] as string;
  });
  after(() => t.close());

  it('answers 503 (not 404 or 500) when CACHE_DIR is unusable, and recovers when it is back', async () => {
    const dir = t.deps.config.cacheDir;
    const objectUrl = `/objects/object/sha512/${fileIntegrity.slice('sha512-'.length)}`;
    assert.equal((await t.app.inject({ url: objectUrl })).statusCode, 200);
    await rename(dir, `${dir}.away`);
    await writeFile(dir, 'not a directory');
    try {
      await assertUnavailable('GET object', () => t.app.inject({ url: objectUrl }));
      await assertUnavailable('HEAD object', () => t.app.inject({ method: 'HEAD', url: objectUrl }));
      await assertUnavailable('publish', () => publish(t.app, 'alice/bytes', '1.0.1', { token: alice.token, files: { 'a.js': 'new\n' } }));
      const version = await t.app.inject({ url: '/packages/package/alice/bytes/versions/1.0.1' });
      assert.equal(version.statusCode, 404, 'the failed publish left no version');
    } finally {
      await rm(dir, { force: true });
      await rename(`${dir}.away`, dir);
    }
    const back = await t.app.inject({ url: objectUrl });
    assert.equal(back.statusCode, 200);
    assert.equal(back.body, 'one\n');
    const published = await publish(t.app, 'alice/bytes', '1.0.1', { token: alice.token, files: { 'a.js': 'new\n' } });
    assert.equal(published.statusCode, 201, published.body);
  });
});
