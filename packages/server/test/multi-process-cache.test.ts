// Issue 2: cached, pre-serialised responses must stay correct when several registry processes
// share one PostgreSQL and Redis: a write through one process invalidates every other's cache.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePublishBody, type RegistryProcess, startRegistryProcess } from '@entropic/testkit';
import pg from 'pg';
import { waitFor } from './support/wait-for.ts';

const shared = Boolean(process.env.POSTGRES_URL && process.env.REDIS_URL);

/**
 * Redis pub/sub delivers asynchronously, so "at once" is a short bound: far below the cache TTL
 * (10 minutes here) and the token cache's 30 s, so only the broadcast can explain a fresh answer.
 */
const PROPAGATION_MS = 2000;

describe('two registry processes sharing PostgreSQL and Redis', {
  skip: shared ? false : 'needs POSTGRES_URL and REDIS_URL (the CI second pass sets them)',
}, () => {
  let a: RegistryProcess;
  let b: RegistryProcess;
  let token: string;
  before(async () => {
    a = await startRegistryProcess({ env: { CACHE_TTL_SECONDS: '600' } });
    // B: same database schema, same Redis, same blob store and public URL; its own port
    b = await startRegistryProcess({
      env: {
        CACHE_TTL_SECONDS: '600',
        POSTGRES_URL: a.env.POSTGRES_URL as string,
        ENTROPIC_TEST_SCHEMA: a.env.ENTROPIC_TEST_SCHEMA as string,
        EXTERNAL_HOST: a.env.EXTERNAL_HOST as string,
        CACHE_DIR: join(a.dataDir, 'blobs'),
      },
    });
    token = (await a.createUser('alice')).token;
  });
  after(async () => {
    await b?.stop({ keepData: true }); // keeps the shared schema for A's stop to drop
    if (b) await rm(b.dataDir, { recursive: true, force: true });
    await a?.stop();
  });

  const call = async (registry: RegistryProcess, method: string, path: string, body?: unknown, bearer = token) => {
    const response = await fetch(registry.url + path, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const read = async (registry: RegistryProcess, path: string) => {
    const response = await fetch(registry.url + path);
    assert.equal(response.status, 200, `${path}: ${response.status}`);
    return response.json() as Promise<Record<string, unknown> & { versions: Record<string, string>; tags: Record<string, string> }>;
  };
  const publishThrough = async (registry: RegistryProcess, version: string) => {
    const { payload, contentType } = await encodePublishBody({ files: { 'index.js': `module.exports = '${version}';\n` } });
    const response = await fetch(`${registry.url}/packages/package/alice/shared/versions/${version}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: new Uint8Array(payload),
    });
    assert.equal(response.status, 201, await response.text());
  };
  /** B answers what `expect` accepts within the propagation bound. */
  const seenByB = <T>(what: string, probe: () => Promise<T>, expect: (value: T) => boolean) =>
    waitFor(
      `process B to see ${what}`,
      async () => {
        const value = await probe();
        return expect(value) ? value : undefined;
      },
      PROPAGATION_MS,
      25,
    );
  const docPath = '/packages/package/alice/shared';

  /** SQL on the shared database, without any broadcast. */
  const query = async (text: string) => {
    const client = new pg.Client({ connectionString: a.env.POSTGRES_URL });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };

  it('B really caches: a change behind both processes is not seen (the control)', async () => {
    await publishThrough(a, '1.0.0');
    // the version's npm-tarball job announces package-changed once built (A's worker runs it after
    // the publish answered): let it finish and its broadcast land before B's cache is warmed
    await waitFor(
      "A's jobs to finish",
      // the periodic blob-repack job (packing is on by default) is always queued: not A's work
      async () => (Number((await query("SELECT count(*) AS n FROM jobs WHERE kind <> 'blob-repack'")).rows[0].n) === 0 ? true : undefined),
      60_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 300));
    const warm = await read(b, docPath);
    assert.deepEqual(Object.keys(warm.versions), ['1.0.0']);
    await read(b, `${docPath}/dist-tags`);
    await read(b, `${docPath}/versions`);
    // change the database without any broadcast: B keeps answering from its cache
    await query(`UPDATE packages SET modified_at = now() + interval '1 day' WHERE name = 'shared'`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await read(b, docPath)).modified, warm.modified, 'B serves its cached document');
  });

  it('a publish through A is visible through B at once', async () => {
    await publishThrough(a, '1.1.0');
    const doc = await seenByB(
      'version 1.1.0',
      () => read(b, docPath),
      (d) => '1.1.0' in d.versions,
    );
    assert.equal(doc.tags.latest, '1.1.0');
    const versions = await read(b, `${docPath}/versions`);
    assert.deepEqual(Object.keys(versions).sort(), ['1.0.0', '1.1.0']);
  });

  it('a yank through A is visible through B at once', async () => {
    await read(b, `${docPath}/versions/1.1.0`); // warm the version document too
    assert.equal((await call(a, 'DELETE', `${docPath}/versions/1.1.0`)).status, 204);
    const doc = await seenByB(
      'the yank',
      () => read(b, docPath),
      (d) => !('1.1.0' in d.versions),
    );
    assert.equal(doc.tags.latest, '1.0.0', 'latest moved back');
    assert.equal((await read(b, `${docPath}/versions/1.1.0`)).yanked, true);
  });

  it('dist-tag changes through A are visible through B at once', async () => {
    await read(b, `${docPath}/dist-tags`);
    assert.equal((await call(a, 'PUT', `${docPath}/dist-tags/beta`, { version: '1.0.0' })).status, 200);
    await seenByB(
      'the new tag',
      () => read(b, `${docPath}/dist-tags`),
      (tags) => tags.beta === '1.0.0',
    );
    assert.equal((await read(b, docPath)).tags.beta, '1.0.0');
    assert.equal((await call(a, 'DELETE', `${docPath}/dist-tags/beta`)).status, 204);
    await seenByB(
      'the removed tag',
      () => read(b, `${docPath}/dist-tags`),
      (tags) => !('beta' in tags),
    );
  });

  it('a package created through A, after B answered 404 for its npm name, is found through B at once (issue 17.8)', async () => {
    const npm = (registry: RegistryProcess) => fetch(`${registry.url}/@alice/fresh`, { headers: { accept: 'application/json' } });
    const before = await npm(b);
    assert.equal(before.status, 404);
    assert.equal(((await before.json()) as { code: string }).code, 'PACKAGE_NOT_FOUND');
    const { payload, contentType } = await encodePublishBody({ files: { 'index.js': 'module.exports = 1;\n' } });
    const published = await fetch(`${a.url}/packages/package/alice/fresh/versions/1.0.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: new Uint8Array(payload),
    });
    assert.equal(published.status, 201, await published.text());
    const found = await seenByB(
      'the new package',
      async () => {
        const response = await npm(b);
        return response.status === 200 ? ((await response.json()) as { versions: Record<string, unknown> }) : undefined;
      },
      (doc) => doc !== undefined,
    );
    assert.deepEqual(Object.keys(found?.versions ?? {}), ['1.0.0']);
  });

  it('a token revoked through A is refused by B at once', async () => {
    const created = await call(a, 'POST', '/auth/tokens', { description: 'short-lived', scope: 'read' });
    assert.equal(created.status, 201);
    const { token: second, id } = created.body as { token: string; id: string };
    assert.equal((await call(b, 'GET', '/auth/whoami', undefined, second)).status, 200, 'B has it cached now');
    assert.equal((await call(a, 'DELETE', `/auth/tokens/${id}`)).status, 204);
    const refused = await seenByB(
      'the revocation',
      () => call(b, 'GET', '/auth/whoami', undefined, second),
      (r) => r.status === 401,
    );
    assert.equal(refused.body.code, 'INVALID_TOKEN');
    assert.equal((await call(b, 'GET', '/auth/whoami')).status, 200, 'other tokens still work');
  });

  it('a member removed through A no longer reads a private package through B (issue 9.6; any grant cache follows the broadcast)', async () => {
    const carol = (await a.createUser('carol')).token;
    assert.equal((await call(a, 'PUT', '/packages/package/alice/shared/access', { private: true })).status, 200);
    assert.equal((await call(a, 'POST', '/namespaces/namespace/alice/members/carol')).status, 200);
    assert.equal((await call(a, 'POST', '/users/user/carol/memberships/alice', undefined, carol)).status, 200);
    const reads = ['/packages/package/alice/shared', '/@alice/shared', '/packages/package/alice/shared/versions/1.0.0'];
    for (const path of reads) {
      const seen = await seenByB(
        `carol read ${path}`,
        () => call(b, 'GET', path, undefined, carol),
        (r) => r.status === 200,
      );
      assert.equal(seen.status, 200, 'B answers carol (and caches whatever it caches)');
    }
    assert.equal((await call(a, 'DELETE', '/namespaces/namespace/alice/members/carol')).status, 200);
    for (const path of reads) {
      await seenByB(
        `carol's removal on ${path}`,
        () => call(b, 'GET', path, undefined, carol),
        (r) => r.status === 404,
      );
    }
    // and it stays so
    await new Promise((r) => setTimeout(r, 300));
    for (const path of reads) assert.equal((await call(b, 'GET', path, undefined, carol)).status, 404, path);
    assert.equal((await fetch(`${b.url}/packages/package/alice/shared`)).status, 404, 'anonymous');
    assert.equal((await call(b, 'GET', '/packages/package/alice/shared')).status, 200, 'alice still reads it');
  });
});
