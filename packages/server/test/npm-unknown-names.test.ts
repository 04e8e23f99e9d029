// Issue 17.8: an unknown npm name must cost no more than a cached lookup (no database query, on
// every backend), and a flood of random names must not slow other reads (evict nothing).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createUser } from '@entropic/core';
import { createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';

/** Counts the queries the app's database runs (the real executor does the work). */
function countQueries(t: TestApp): { readonly count: number; reset(): void } {
  const executor = t.deps.db.getExecutor() as unknown as { executeQuery: (...args: unknown[]) => Promise<unknown> };
  const original = executor.executeQuery.bind(executor);
  let count = 0;
  executor.executeQuery = (...args) => {
    count++;
    return original(...args);
  };
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
  };
}

const random = () => `r${randomBytes(6).toString('hex')}`;
const ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

describe('npm: unknown names are answered from memory (issue 17.8)', () => {
  let t: TestApp;
  let alice: TestUser;
  let queries: ReturnType<typeof countQueries>;
  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    await publishVersion(t.app, 'alice/present', '1.0.0', { token: alice.token });
    queries = countQueries(t);
  });
  after(() => t?.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { accept: ABBREVIATED } });

  it('an unknown name on every npm read route answers 404 without a database query', async () => {
    // warm what a known package costs once (authentication, namespace lookups of other routes)
    assert.equal((await get('/@alice/present')).statusCode, 200);
    queries.reset();
    for (let i = 0; i < 20; i++) {
      const name = random();
      const answers = await Promise.all([
        get(`/${name}`),
        get(`/@alice/${name}`),
        get(`/@${name}/x`),
        get(`/${name}/-/${name}-1.0.0.tgz`),
        get(`/@alice/${name}/-/${name}-1.0.0.tgz`),
        get(`/-/package/${name}/dist-tags`),
      ]);
      for (const answer of answers) {
        assert.equal(answer.statusCode, 404, answer.body);
        assert.equal(answer.json().code, 'PACKAGE_NOT_FOUND');
      }
    }
    assert.equal(queries.count, 0, 'unknown names ran database queries');
    const unscoped = (await get('/no-such-package')).json();
    assert.match(unscoped.message, /^The package "no-such-package" is not here: the legacy mirror is off/);
    assert.deepEqual((await get('/@alice/no-such-package')).json(), {
      message: 'The package "@alice/no-such-package" does not exist.',
      code: 'PACKAGE_NOT_FOUND',
      error: 'The package "@alice/no-such-package" does not exist.',
    });
  });

  it('a flood of random names evicts nothing: a cached packument is still answered without a query', async () => {
    assert.equal((await get('/@alice/present')).statusCode, 200);
    // more distinct names than the response cache holds groups (5,000)
    for (let i = 0; i < 6000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => get(`/@alice/flood-${i + k}`)));
    }
    queries.reset();
    const again = await get('/@alice/present');
    assert.equal(again.statusCode, 200);
    assert.equal(queries.count, 0, 'the flood evicted the cached packument');
  });

  it('a package published after its name was answered 404 is found at once (the index follows the events)', async () => {
    assert.equal((await get('/@alice/later')).statusCode, 404);
    await publishVersion(t.app, 'alice/later', '1.0.0', { token: alice.token });
    const found = await get('/@alice/later');
    assert.equal(found.statusCode, 200, found.body);
    assert.deepEqual(Object.keys(found.json().versions), ['1.0.0']);
  });

  it('names written without an event (another process, a lost broadcast) are read by the sync', async () => {
    const index = t.app.packageNames;
    await createUser(t.deps, { name: 'carol' });
    const carol = await t.deps.repos.namespaces.find('carol', null);
    assert.ok(carol);
    await t.deps.repos.packages.ensure(carol.id, 'quiet');
    const ref = { namespace: 'carol', host: t.host, name: 'quiet' } as Parameters<typeof index.hasPackage>[0];
    assert.equal(index.hasNamespace('carol'), false);
    assert.equal(index.hasPackage(ref), false);
    await index.sync();
    assert.equal(index.hasNamespace('carol'), true);
    assert.equal(index.hasPackage(ref), true);
  });
});
