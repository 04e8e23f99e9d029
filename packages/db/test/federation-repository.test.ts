// Issue 15.3/15.6: pinned peer keys are never replaced; the first integrity seen for a remote
// version wins, also against a concurrent writer; remote namespaces are made once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRepositories } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

const I1 = `sha512-${'a'.repeat(86)}==`;
const I2 = `sha512-${'b'.repeat(86)}==`;

describe('federation repository', () => {
  let t: TestDatabase;
  let repos: ReturnType<typeof createRepositories>;
  let pkg: number;
  const now = new Date('2026-12-01T00:00:00Z');
  before(async () => {
    t = await createTestDatabase();
    repos = createRepositories(t.db);
    const ns = await repos.federation.ensureRemoteNamespace('alice', 'b.example.org');
    pkg = (await repos.packages.ensure(ns, 'left-pad')).id;
  });
  after(() => t.close());

  it('makes a remote namespace once, apart from a local one of the same name', async () => {
    const first = await repos.federation.ensureRemoteNamespace('bob', 'b.example.org');
    const again = await repos.federation.ensureRemoteNamespace('bob', 'b.example.org');
    const elsewhere = await repos.federation.ensureRemoteNamespace('bob', 'c.example.org');
    assert.equal(first, again);
    assert.notEqual(first, elsewhere);
    assert.equal(await repos.namespaces.find('bob', null), undefined, 'no local namespace bob');
    assert.equal((await repos.namespaces.find('bob', 'b.example.org'))?.id, first);
  });

  it('pins keys once: a key id pinned again keeps its first bytes', async () => {
    await repos.federation.pinPeerKeys('b.example.org', [{ keyId: 'SHA256:k1', publicKey: 'first', notBefore: null, expires: null }], now);
    await repos.federation.pinPeerKeys(
      'b.example.org',
      [
        { keyId: 'SHA256:k1', publicKey: 'second', notBefore: null, expires: null },
        { keyId: 'SHA256:k2', publicKey: 'other', notBefore: now, expires: null },
      ],
      now,
    );
    const keys = await repos.federation.listPeerKeys('b.example.org');
    assert.deepEqual(
      keys.map((key) => [key.keyId, key.publicKey]),
      [
        ['SHA256:k1', 'first'],
        ['SHA256:k2', 'other'],
      ],
    );
    assert.deepEqual(await repos.federation.listPeerKeys('c.example.org'), []);
  });

  it('remembers the first integrity of a version; a later one does not replace it', async () => {
    assert.deepEqual(await repos.federation.rememberIntegrities(pkg, { '1.0.0': I1 }, now), { '1.0.0': I1 });
    assert.deepEqual(await repos.federation.rememberIntegrities(pkg, { '1.0.0': I2, '1.1.0': I2 }, now), { '1.0.0': I1, '1.1.0': I2 });
    assert.equal(await repos.federation.findIntegrity(pkg, '1.0.0'), I1);
    assert.equal(await repos.federation.findIntegrity(pkg, '9.9.9'), undefined);
  });

  it('two writers at once: both see the one integrity that won', async () => {
    const [x, y] = await Promise.all([
      repos.federation.rememberIntegrities(pkg, { '2.0.0': I1 }, now),
      repos.federation.rememberIntegrities(pkg, { '2.0.0': I2 }, now),
    ]);
    assert.equal(x['2.0.0'], y['2.0.0']);
  });

  it('keeps the verified document of a remote package, replaced by a newer one', async () => {
    assert.equal(await repos.federation.findRemotePackage(pkg), undefined);
    await repos.federation.saveRemotePackage(pkg, '{"v":1}', now, now);
    await repos.federation.saveRemotePackage(pkg, '{"v":2}', new Date('2026-12-02T00:00:00Z'), now);
    const stored = await repos.federation.findRemotePackage(pkg);
    assert.equal(stored?.document, '{"v":2}');
    assert.equal(stored?.modified.toISOString(), '2026-12-02T00:00:00.000Z');
  });
});
