import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';

const BULK = '/-/npm/v1/security/advisories/bulk';
const ADVISORY = {
  title: 'Path traversal in lib',
  severity: 'critical',
  vulnerable_versions: '>=1.0.0 <1.2.0',
  patched_versions: '>=1.2.0',
};

describe('security advisories of local packages (issue 10.4)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    // no LEGACY_UPSTREAM: legacy names are not served here and get no entry
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    for (const version of ['1.0.0', '1.2.0']) await publishVersion(t.app, 'alice/lib', version, { token: alice.token });
    await publishVersion(t.app, 'alice/secret', '1.0.0', { token: alice.token });
    const made = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/secret/access',
      headers: bearer(alice.token),
      payload: { private: true },
    });
    assert.equal(made.statusCode, 200, made.body);
  });
  after(() => t?.close());

  const add = (spec: string, payload: unknown, token: string | null = alice.token) =>
    t.app.inject({
      method: 'POST',
      url: `/packages/package/${spec}/advisories`,
      headers: token ? bearer(token) : {},
      payload: payload as object,
    });
  const list = async (spec = 'alice/lib', token?: string) =>
    (await t.app.inject({ url: `/packages/package/${spec}/advisories`, headers: token ? bearer(token) : {} })).json() as Array<
      Record<string, unknown>
    >;
  const bulk = (body: Buffer | object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: BULK, headers: { 'content-type': 'application/json', ...headers }, payload: body as Buffer });

  it('a maintainer publishes one; bad fields and non-maintainers are refused and store nothing', async () => {
    for (const [payload, pattern] of [
      [{ ...ADVISORY, severity: 'urgent' }, /"severity" must be one of info, low, moderate, high, critical/],
      [{ ...ADVISORY, vulnerable_versions: 'not a range!' }, /"vulnerable_versions" must be a semver range/],
      [{ ...ADVISORY, patched_versions: 42 }, /"patched_versions" must be a semver range/],
      [{ ...ADVISORY, title: '' }, /"title" must be a text/],
      [{ ...ADVISORY, url: 'javascript:alert(1)' }, /"url" must be an http\(s\) URL/],
      [{ ...ADVISORY, cwe: ['XSS'] }, /"cwe" must be a list/],
      [{ ...ADVISORY, cvss: { score: 11 } }, /"cvss" must be/],
    ] as const) {
      assert.match(expectError(await add('alice/lib', payload), 400, 'INVALID_ADVISORY').message, pattern);
    }
    expectError(await add('alice/lib', ADVISORY, bob.token), 403, 'NOT_A_MAINTAINER');
    expectError(await add('alice/lib', ADVISORY, null), 401, 'UNAUTHENTICATED');
    expectError(await add('alice/nothing', ADVISORY), 404, 'PACKAGE_NOT_FOUND');
    assert.deepEqual(await list(), []);

    const created = await add('alice/lib', { ...ADVISORY, cwe: ['CWE-22'], cvss: { score: 9.1, vectorString: 'CVSS:3.1/AV:N' } });
    assert.equal(created.statusCode, 201, created.body);
    const advisory = created.json();
    assert.deepEqual(
      { ...advisory, id: 0, created: '' },
      {
        id: 0,
        title: 'Path traversal in lib',
        severity: 'critical',
        vulnerable_versions: '>=1.0.0 <1.2.0',
        patched_versions: '>=1.2.0',
        url: null,
        cwe: ['CWE-22'],
        cvss: { score: 9.1, vectorString: 'CVSS:3.1/AV:N' },
        created: '',
      },
    );
    assert.deepEqual(await list(), [advisory]);
    // the package page shows it: a note on an affected version, the list with anchors (the npm answer's url)
    const page = await t.app.inject({ url: `/www/packages/alice@${t.host}/lib/v/1.0.0` });
    assert.equal(page.statusCode, 200);
    assert.match(
      page.body,
      /<strong>Security:<\/strong> an advisory affects this version:\s*<a href="#advisory-\d+">Path traversal in lib<\/a> \(critical\)/,
    );
    assert.match(page.body, new RegExp(`<li id="advisory-${advisory.id}">`));
    assert.match(page.body, /affects <code>&gt;=1\.0\.0 &lt;1\.2\.0<\/code>, fixed in <code>&gt;=1\.2\.0<\/code> · affects this version/);
    const fixed = await t.app.inject({ url: `/www/packages/alice@${t.host}/lib/v/1.2.0` });
    assert.doesNotMatch(fixed.body, /<strong>Security:<\/strong>/);
    assert.match(fixed.body, /id="advisories-heading"/);
    // the audit log has it
    const audit = (await t.app.inject({ url: '/auth/audit', headers: bearer(alice.token) })).json().objects as Array<{
      action: string;
      details: unknown;
    }>;
    assert.deepEqual(audit[0], {
      ...audit[0],
      action: 'advisory-published',
      details: { id: advisory.id, severity: 'critical', vulnerable_versions: '>=1.0.0 <1.2.0' },
    });
  });

  it('the bulk endpoint answers npm’s shape for the versions asked, gzip bodies too', async () => {
    const [advisory] = await list();
    const expected = {
      '@alice/lib': [
        {
          id: advisory?.id,
          url: `${t.deps.config.externalUrl}/www/packages/alice@${t.host}/lib#advisory-${advisory?.id}`,
          title: 'Path traversal in lib',
          severity: 'critical',
          vulnerable_versions: '>=1.0.0 <1.2.0',
          cwe: ['CWE-22'],
          cvss: { score: 9.1, vectorString: 'CVSS:3.1/AV:N' },
        },
      ],
    };
    const query = { '@alice/lib': ['1.0.0'], 'left-pad': ['1.3.0'], '@nobody/x': ['1.0.0'] };
    const plain = await bulk(Buffer.from(JSON.stringify(query)));
    assert.equal(plain.statusCode, 200, plain.body);
    assert.deepEqual(plain.json(), expected);
    const zipped = await bulk(gzipSync(JSON.stringify(query)), { 'content-encoding': 'gzip' });
    assert.equal(zipped.statusCode, 200, zipped.body);
    assert.deepEqual(zipped.json(), expected);
    // a fixed version: no entry
    assert.deepEqual((await bulk({ '@alice/lib': ['1.2.0'] })).json(), {});
  });

  it('refuses malformed bodies with catalogue codes', async () => {
    expectError(await bulk(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' }), 400, 'BAD_REQUEST');
    expectError(await bulk(Buffer.from('{}'), { 'content-encoding': 'br' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await bulk(['@alice/lib']), 400, 'INVALID_FIELD');
    expectError(await bulk({ '@alice/lib': '1.0.0' }), 400, 'INVALID_FIELD');
    // a gzip bomb stops at the body limit (8 MiB decompressed)
    const bomb = gzipSync(Buffer.from(`{"a":["${'1'.repeat(9 * 1024 * 1024)}"]}`));
    expectError(await bulk(bomb, { 'content-encoding': 'gzip' }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a private package’s advisories are answered only to its readers', async () => {
    assert.equal((await add('alice/secret', { ...ADVISORY, vulnerable_versions: '*' })).statusCode, 201);
    const query = { '@alice/secret': ['1.0.0'] };
    assert.deepEqual((await bulk(query)).json(), {});
    assert.deepEqual((await bulk(query, bearer(bob.token))).json(), {});
    assert.deepEqual(Object.keys((await bulk(query, bearer(alice.token))).json()), ['@alice/secret']);
    expectError(await t.app.inject({ url: '/packages/package/alice/secret/advisories' }), 404, 'PACKAGE_NOT_FOUND');
  });

  it('a maintainer withdraws one; an unknown id is ADVISORY_NOT_FOUND', async () => {
    const [advisory] = await list();
    const remove = (id: string | number, token = alice.token) =>
      t.app.inject({ method: 'DELETE', url: `/packages/package/alice/lib/advisories/${id}`, headers: bearer(token) });
    expectError(await remove(String(advisory?.id), bob.token), 403, 'NOT_A_MAINTAINER');
    expectError(await remove(999_999), 404, 'ADVISORY_NOT_FOUND');
    expectError(await remove('abc'), 404, 'ADVISORY_NOT_FOUND');
    assert.equal((await remove(String(advisory?.id))).statusCode, 204);
    assert.deepEqual(await list(), []);
    assert.deepEqual((await bulk({ '@alice/lib': ['1.0.0'] })).json(), {});
  });
});
