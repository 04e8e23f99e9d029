import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';

interface Page {
  objects: Array<{ name: string; owner: string; versions: Record<string, string>; tags: Record<string, string> }>;
  next: string | null;
}

describe('package listings', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  const full = (spec: string) => {
    const [ns, name] = spec.split('/');
    return `${ns}@${t.host}/${name}`;
  };

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    await t.createUser('carol');
    for (const spec of ['alice/a1', 'alice/a2', 'alice/a3', 'bob/b1', 'alice/a4', 'bob/b2', 'alice/gone']) {
      const token = spec.startsWith('alice') ? alice.token : bob.token;
      await publishVersion(t.app, spec, '1.0.0', { token });
    }
    // A package created without any version is listed too.
    await t.app.inject({ method: 'PUT', url: '/packages/package/bob/b3', headers: bearer(bob.token), payload: {} });
    const abandoned = await t.app.inject({ method: 'DELETE', url: '/packages/package/alice/gone', headers: bearer(alice.token) });
    assert.equal(abandoned.statusCode, 204);
    // bob's namespace accepted to maintain alice/a2, and only invited to maintain alice/a3.
    const ids = await t.deps.db.selectFrom('packages').select(['id', 'name']).execute();
    const bobNs = await t.deps.db.selectFrom('namespaces').select('id').where('name', '=', 'bob').executeTakeFirstOrThrow();
    const id = (name: string) => ids.find((r) => r.name === name)?.id as number;
    await t.deps.db
      .insertInto('package_maintainers')
      .values([
        { package_id: id('a2'), namespace_id: bobNs.id, accepted: true },
        { package_id: id('a3'), namespace_id: bobNs.id, accepted: false },
      ])
      .execute();
  });
  after(() => t.close());

  const get = async (url: string): Promise<Page> => {
    const response = await t.app.inject({ url });
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    return response.json();
  };
  const names = (page: Page) => page.objects.map((p) => p.name);

  /** Walks every page with `limit` and returns the names in order. */
  async function walk(path: string, limit: number): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages += 1) {
      const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
      const page = await get(`${path}?${query}`);
      assert.ok(page.objects.length <= limit);
      seen.push(...names(page));
      cursor = page.next;
      if (cursor === null) return seen;
      assert.equal(page.objects.length, limit, 'a page before the last is full');
    }
    assert.fail('pagination did not end');
  }

  describe('GET /packages', () => {
    it('lists every package that is not abandoned, as package documents', async () => {
      const page = await get('/packages');
      assert.equal(page.next, null);
      assert.deepEqual(names(page).sort(), ['alice/a1', 'alice/a2', 'alice/a3', 'alice/a4', 'bob/b1', 'bob/b2', 'bob/b3'].map(full).sort());
      const a1 = page.objects.find((p) => p.name === full('alice/a1'));
      assert.equal(a1?.owner, `alice@${t.host}`);
      assert.deepEqual(Object.keys(a1?.versions ?? {}), ['1.0.0']);
      assert.deepEqual(a1?.tags, { latest: '1.0.0' });
    });

    it('pages with limit and an opaque cursor, without gaps or repeats, for every page size', async () => {
      const all = names(await get('/packages'));
      for (const limit of [1, 2, 3, 7, 8, 1000]) assert.deepEqual(await walk('/packages', limit), all, `limit ${limit}`);
      const first = await get('/packages?limit=2');
      assert.equal(first.objects.length, 2);
      assert.equal(typeof first.next, 'string');
      assert.doesNotMatch(first.next as string, /^\d+$/, 'the cursor is a bare id');
    });

    it('refuses bad limits (400 INVALID_LIMIT) and cursors (400 INVALID_CURSOR)', async () => {
      for (const limit of ['0', '1001', '-1', 'abc', '2.5', '1e3']) {
        expectError(await t.app.inject({ url: `/packages?limit=${limit}` }), 400, 'INVALID_LIMIT');
      }
      for (const cursor of ['garbage', '123', Buffer.from('c1:x').toString('base64url'), '%25%25']) {
        expectError(await t.app.inject({ url: `/packages?cursor=${cursor}` }), 400, 'INVALID_CURSOR');
      }
    });

    it('a cursor past the end answers an empty last page', async () => {
      const last = (await get('/packages?limit=1000')).objects.length;
      assert.ok(last > 0);
      const page = await get(`/packages?cursor=${Buffer.from('c1:999999').toString('base64url')}`);
      assert.deepEqual(page, { objects: [], next: null });
    });
  });

  describe('GET /packages/authored-by/:namespace', () => {
    it("lists the namespace's own packages, paginated", async () => {
      assert.deepEqual(names(await get('/packages/authored-by/alice')).sort(), ['alice/a1', 'alice/a2', 'alice/a3', 'alice/a4'].map(full));
      assert.deepEqual(names(await get(`/packages/authored-by/bob@${t.host}`)).sort(), ['bob/b1', 'bob/b2', 'bob/b3'].map(full));
      assert.deepEqual(await walk('/packages/authored-by/alice', 3), names(await get('/packages/authored-by/alice')));
      assert.deepEqual(await get('/packages/authored-by/carol'), { objects: [], next: null });
    });

    it('unknown namespace → 404, bad namespace or paging → 400', async () => {
      expectError(await t.app.inject({ url: '/packages/authored-by/nobody' }), 404, 'NAMESPACE_NOT_FOUND');
      expectError(await t.app.inject({ url: '/packages/authored-by/alice@elsewhere.example' }), 404, 'NAMESPACE_NOT_FOUND');
      expectError(await t.app.inject({ url: '/packages/authored-by/Alice' }), 400, 'INVALID_NAMESPACE');
      expectError(await t.app.inject({ url: '/packages/authored-by/alice?limit=0' }), 400, 'INVALID_LIMIT');
      expectError(await t.app.inject({ url: '/packages/authored-by/alice?cursor=nope' }), 400, 'INVALID_CURSOR');
    });
  });

  describe('GET /packages/maintained-by/:namespace', () => {
    it('lists the packages the namespace maintains (accepted only), its own included', async () => {
      assert.deepEqual(names(await get('/packages/maintained-by/bob')).sort(), ['alice/a2', 'bob/b1', 'bob/b2', 'bob/b3'].map(full).sort());
      assert.deepEqual(
        names(await get('/packages/maintained-by/alice')).sort(),
        ['alice/a1', 'alice/a2', 'alice/a3', 'alice/a4'].map(full),
      );
      assert.deepEqual(await walk('/packages/maintained-by/bob', 1), names(await get('/packages/maintained-by/bob')));
      assert.deepEqual(await get('/packages/maintained-by/carol'), { objects: [], next: null });
    });

    it('does not list abandoned packages under abandonware', async () => {
      assert.deepEqual(await get('/packages/maintained-by/abandonware'), { objects: [], next: null });
    });

    it('unknown namespace → 404, bad namespace or paging → 400', async () => {
      expectError(await t.app.inject({ url: '/packages/maintained-by/nobody' }), 404, 'NAMESPACE_NOT_FOUND');
      expectError(await t.app.inject({ url: '/packages/maintained-by/-bad-' }), 400, 'INVALID_NAMESPACE');
      expectError(await t.app.inject({ url: '/packages/maintained-by/bob?limit=5000' }), 400, 'INVALID_LIMIT');
    });
  });

  it('a bad token is refused on listings too', async () => {
    expectError(await t.app.inject({ url: '/packages', headers: bearer('nope') }), 401, 'INVALID_TOKEN');
  });
});
