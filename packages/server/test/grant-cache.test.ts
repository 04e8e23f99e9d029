// Issue 9 (targets, 9.6): read grants of private packages are remembered per access epoch
// (docs/decisions/grant-cache.md). The controls show the cache is real (a grant taken away behind
// the registry's back is still served from it); the races show a grant taken away through the
// registry is never served to a read that starts after the revocation answered: in one process,
// and with two processes sharing PostgreSQL and Redis (revoked through A, read through B; a
// member removed and a token revoked).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  bearer,
  createTestApp,
  encodePublishBody,
  publishVersion,
  type RegistryProcess,
  startRegistryProcess,
  type TestApp,
  type TestUser,
} from '@entropic/testkit';
import pg from 'pg';

const shared = Boolean(process.env.POSTGRES_URL && process.env.REDIS_URL);
const secretFile = 'module.exports = "remembered grants";\n';
const secretObject = `/objects/object/sha512/${createHash('sha512').update(secretFile).digest('base64')}`;
const ABBREVIATED = 'application/vnd.npm.install-v1+json';

/** The private package's read routes (API document, npm packument, its file) and a listing that shows it. */
const ROUTES = [
  { url: '/packages/package/alice/secret', shows: (status: number) => status === 200 },
  { url: '/@alice/secret', accept: ABBREVIATED, shows: (status: number) => status === 200 },
  { url: secretObject, shows: (status: number) => status === 200 },
  {
    url: '/packages/maintained-by/alice',
    shows: (status: number, body: string) => status === 200 && body.includes('/secret"'),
  },
];

type Read = (url: string, token: string, accept?: string) => Promise<{ status: number; body: string }>;

/**
 * READERS readers read every route as `token` without pause while `revoke` runs; answers the
 * reads that started after `revoke` answered and still showed the package.
 */
async function race(read: Read, token: string, revoke: () => Promise<void>): Promise<{ leaks: string[]; before: number; after: number }> {
  const READERS = 4;
  const READS_AFTER = 8;
  let answered = false;
  let before = 0;
  let afterwards = 0;
  const leaks: string[] = [];
  const reader = async (offset: number) => {
    for (let i = offset, after = 0; after < READS_AFTER; i++) {
      const route = ROUTES[i % ROUTES.length] as (typeof ROUTES)[number];
      const startedAfter = answered;
      const { status, body } = await read(route.url, token, route.accept);
      if (!startedAfter) {
        before++;
        continue;
      }
      after++;
      afterwards++;
      if (route.shows(status, body)) leaks.push(`${route.url}: ${status}`);
    }
  };
  const readers = Array.from({ length: READERS }, (_, i) => reader(i));
  await new Promise((r) => setTimeout(r, 30)); // the readers are under way (and the cache warm) first
  await revoke();
  answered = true;
  await Promise.all(readers);
  return { leaks, before, after: afterwards };
}

async function assertShows(read: Read, token: string, who: string): Promise<void> {
  for (const route of ROUTES) {
    const { status, body } = await read(route.url, token, route.accept);
    assert.ok(route.shows(status, body), `${who} reads ${route.url}: ${status}`);
  }
}

async function assertHidden(read: Read, token: string, who: string): Promise<void> {
  for (const route of ROUTES) {
    const { status, body } = await read(route.url, token, route.accept);
    assert.ok(!route.shows(status, body), `${who} still reads ${route.url}: ${status}`);
  }
}

describe('remembered read grants, one process', () => {
  let t: TestApp;
  let alice: TestUser;
  let carol: TestUser;
  const read: Read = async (url, token, accept) => {
    const res = await t.app.inject({ url, headers: { ...bearer(token), ...(accept ? { accept } : {}) } });
    return { status: res.statusCode, body: res.body };
  };
  const call = async (method: 'PUT' | 'POST' | 'DELETE', url: string, token: string, payload?: Record<string, unknown>) => {
    const res = await t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
  };
  const addCarol = async () => {
    await call('POST', '/namespaces/namespace/alice/members/carol', alice.token);
    await call('POST', '/users/user/carol/memberships/alice', carol.token);
  };

  before(async () => {
    t = await createTestApp({ env: { TOKEN_RATE_LIMIT_PER_MINUTE: '0' } });
    alice = await t.createUser('alice');
    carol = await t.createUser('carol');
    await publishVersion(t.app, 'alice/secret', '1.0.0', { token: alice.token, files: { 'index.js': secretFile } });
    await call('PUT', '/packages/package/alice/secret/access', alice.token, { private: true });
  });
  after(() => t?.close());

  it('a member’s grant is remembered: taken away behind the registry’s back it is still served (the control)', async () => {
    await addCarol();
    await assertShows(read, carol.token, 'carol');
    const { db } = t.deps;
    const namespace = await db
      .selectFrom('namespaces')
      .select('id')
      .where('name', '=', 'alice')
      .where('host', 'is', null)
      .executeTakeFirstOrThrow();
    await db.deleteFrom('namespace_members').where('namespace_id', '=', namespace.id).where('user_id', '=', carol.id).execute();
    await assertShows(read, carol.token, 'carol (from the grant cache)');
    // put it back, then take it away through the registry: refused at once
    await db
      .insertInto('namespace_members')
      .values({ namespace_id: namespace.id, user_id: carol.id, accepted: true, invited_by: null })
      .execute();
    await call('DELETE', '/namespaces/namespace/alice/members/carol', alice.token);
    await assertHidden(read, carol.token, 'carol');
  });

  it('a refusal is remembered too, and a grant given answers only once it is seen', async () => {
    await assertHidden(read, carol.token, 'carol');
    await addCarol();
    await assertShows(read, carol.token, 'carol');
    await call('DELETE', '/namespaces/namespace/alice/members/carol', alice.token);
  });

  it('a private object’s remembered packages are dropped when a version is published: a public one sharing the file makes it public', async () => {
    const file = 'module.exports = "shared later";\n';
    const url = `/objects/object/sha512/${createHash('sha512').update(file).digest('base64')}`;
    await publishVersion(t.app, 'alice/secret', '1.1.0', { token: alice.token, files: { 'index.js': file } });
    assert.equal((await read(url, carol.token)).status, 404, 'only the private package has it: carol is no member');
    assert.equal((await read(url, carol.token)).status, 404, 'asked again (its packages remembered)');
    await publishVersion(t.app, 'alice/open', '1.0.0', { token: alice.token, files: { 'index.js': file } });
    assert.equal((await read(url, carol.token)).status, 200, 'a public package has it now');
  });

  it('a granular token’s limits still apply when the grant and the package’s name are remembered', async () => {
    await publishVersion(t.app, 'alice/other', '1.0.0', { token: alice.token });
    const mint = async (limits: Record<string, string[]>) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/auth/tokens',
        headers: bearer(alice.token),
        payload: { description: 'limited', scope: 'read', ...limits },
      });
      assert.equal(res.statusCode, 201, res.body);
      return (res.json() as { token: string }).token;
    };
    const elsewhere = await mint({ packages: ['alice/other'] });
    const here = await mint({ packages: ['alice/secret'] });
    for (let i = 0; i < 3; i++) {
      await assertShows(read, alice.token, 'alice (warms the grant and the name)');
      await assertHidden(read, elsewhere, 'a token limited to another package');
      await assertShows(read, here, 'a token limited to the package');
    }
  });

  it('a member removed while reading never reads after the removal answered', async () => {
    for (let round = 0; round < 3; round++) {
      await addCarol();
      await assertShows(read, carol.token, 'carol');
      const { leaks, before, after } = await race(read, carol.token, () =>
        call('DELETE', '/namespaces/namespace/alice/members/carol', alice.token),
      );
      assert.deepEqual(leaks, [], `round ${round}: ${before} reads before, ${after} after`);
      assert.ok(before > 0, 'reads ran while the removal ran');
    }
  });
});

describe('remembered read grants, two processes sharing PostgreSQL and Redis', {
  skip: shared ? false : 'needs POSTGRES_URL and REDIS_URL (the CI second pass sets them)',
  timeout: 240_000,
}, () => {
  let a: RegistryProcess;
  let b: RegistryProcess;
  let alice: string;
  let carol: string;
  /** reads go through B */
  const read: Read = async (url, token, accept) => {
    const res = await fetch(b.url + url, { headers: { ...bearer(token), ...(accept ? { accept } : {}) } });
    return { status: res.status, body: await res.text() };
  };
  /** writes go through A */
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(a.url + path, {
      method,
      headers: { ...bearer(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.text()}`);
  };
  const addCarol = async () => {
    await call('POST', '/namespaces/namespace/alice/members/carol', alice);
    await call('POST', '/users/user/carol/memberships/alice', carol);
  };
  /** SQL on the shared database, without any broadcast */
  const query = async (text: string) => {
    const client = new pg.Client({ connectionString: a.env.POSTGRES_URL });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };

  before(async () => {
    const env = { TOKEN_RATE_LIMIT_PER_MINUTE: '0' };
    a = await startRegistryProcess({ env });
    b = await startRegistryProcess({
      env: {
        ...env,
        POSTGRES_URL: a.env.POSTGRES_URL as string,
        ENTROPIC_TEST_SCHEMA: a.env.ENTROPIC_TEST_SCHEMA as string,
        EXTERNAL_HOST: a.env.EXTERNAL_HOST as string,
        CACHE_DIR: join(a.dataDir, 'blobs'),
      },
    });
    alice = (await a.createUser('alice')).token;
    carol = (await a.createUser('carol')).token;
    const { payload, contentType } = await encodePublishBody({ files: { 'index.js': secretFile } });
    const published = await fetch(`${a.url}/packages/package/alice/secret/versions/1.0.0`, {
      method: 'PUT',
      headers: { ...bearer(alice), 'content-type': contentType },
      body: new Uint8Array(payload),
    });
    assert.equal(published.status, 201, await published.text());
    await call('PUT', '/packages/package/alice/secret/access', alice, { private: true });
  });
  after(async () => {
    await b?.stop({ keepData: true }); // keeps the shared schema for A's stop to drop
    if (b) await rm(b.dataDir, { recursive: true, force: true });
    await a?.stop();
  });

  it('B remembers a grant: taken away behind both processes it is still served (the control)', async () => {
    await addCarol();
    await assertShows(read, carol, 'carol through B');
    const membership = `namespace_id = (SELECT id FROM namespaces WHERE name = 'alice' AND host IS NULL)
      AND user_id = (SELECT id FROM users WHERE name = 'carol')`;
    await query(`DELETE FROM namespace_members WHERE ${membership}`);
    await assertShows(read, carol, 'carol through B (from its grant cache)');
    await query(`INSERT INTO namespace_members (namespace_id, user_id, accepted, invited_by)
      SELECT n.id, u.id, true, NULL FROM namespaces n, users u WHERE n.name = 'alice' AND n.host IS NULL AND u.name = 'carol'`);
    await call('DELETE', '/namespaces/namespace/alice/members/carol', alice);
    await assertHidden(read, carol, 'carol through B');
  });

  it('a member removed through A while reading through B never reads after the removal answered', async () => {
    for (let round = 0; round < 3; round++) {
      await addCarol();
      await assertShows(read, carol, 'carol through B');
      const { leaks, before, after } = await race(read, carol, () => call('DELETE', '/namespaces/namespace/alice/members/carol', alice));
      assert.deepEqual(leaks, [], `round ${round}: ${before} reads before, ${after} after`);
      assert.ok(before > 0, 'reads ran while the removal ran');
    }
  });

  const mint = async (description: string) => {
    const minted = await fetch(`${a.url}/auth/tokens`, {
      method: 'POST',
      headers: { ...bearer(alice), 'content-type': 'application/json' },
      body: JSON.stringify({ description, scope: 'read' }),
    });
    assert.equal(minted.status, 201);
    return (await minted.json()) as { id: string; token: string };
  };

  it('a token revocation moves the access epoch: B looks up again every token it remembers, not only the one the broadcast names', async () => {
    const revoked = await mint('revoked through A');
    const behind = await mint('revoked behind both processes');
    await assertShows(read, revoked.token, 'the first token through B');
    await assertShows(read, behind.token, 'the second token through B');
    await query(`UPDATE tokens SET revoked_at = now() WHERE id = '${behind.id}'`);
    await assertShows(read, behind.token, 'the second token through B (from its token cache: the control)');
    await call('DELETE', `/auth/tokens/${revoked.id}`, alice);
    const refused = await fetch(`${b.url}/packages/package/alice/secret`, { headers: bearer(behind.token) });
    assert.equal(refused.status, 401, 'B looked the second token up again as soon as the first one’s revocation answered');
  });

  it('a token revoked through A while it reads through B is refused by every read that starts after the revocation answered', async () => {
    for (let round = 0; round < 3; round++) {
      const { id, token } = await mint(`race ${round}`);
      await assertShows(read, token, 'the token through B');
      const { leaks, before, after } = await race(read, token, () => call('DELETE', `/auth/tokens/${id}`, alice));
      assert.deepEqual(leaks, [], `round ${round}: ${before} reads before, ${after} after`);
      assert.ok(before > 0, 'reads ran while the revocation ran');
    }
  });
});
