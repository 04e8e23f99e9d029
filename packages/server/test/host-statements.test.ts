import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PublicHostKey, packageStatement, verifyStatement, versionStatement } from '@entropic/core';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import type { PackageDocument, VersionDocument } from '@entropic/types';

describe('signed statements on package and version documents (issue 15.2)', () => {
  let t: TestApp;
  let alice: TestUser;
  let keys: PublicHostKey[];

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    await publishVersion(t.app, 'alice/lib', '1.0.0', { token: alice.token });
    await publishVersion(t.app, 'alice/lib', '1.1.0', { token: alice.token });
    keys = (await t.app.inject({ url: '/-/v1/host' })).json().keys;
  });
  after(() => t.close());

  const packageDoc = async () => (await t.app.inject({ url: '/packages/package/alice/lib' })).json() as PackageDocument;
  const versionDoc = async (v: string) =>
    (await t.app.inject({ url: `/packages/package/alice/lib/versions/${v}` })).json() as VersionDocument;
  const verifiesPackage = (doc: PackageDocument) =>
    verifyStatement(packageStatement(doc), doc.hostSignatures, keys, new Date(doc.modified));
  const verifiesVersion = (doc: VersionDocument) =>
    verifyStatement(versionStatement(doc), doc.hostSignatures, keys, new Date(doc.modified));

  it('the package document carries the host signature of its statement; any change to what it covers breaks it', async () => {
    const doc = await packageDoc();
    assert.equal(doc.name, `alice@${t.host}/lib`);
    assert.equal(doc.hostSignatures?.length, 1);
    assert.equal(verifiesPackage(doc), true);
    assert.equal(
      verifiesPackage({ ...doc, versions: { ...doc.versions, '1.0.0': doc.versions['1.1.0'] as string } }),
      false,
      'a replaced integrity',
    );
    assert.equal(verifiesPackage({ ...doc, tags: { latest: '1.0.0' } }), false, 'a moved tag');
    assert.equal(verifiesPackage({ ...doc, modified: new Date(0).toISOString() }), false, 'another time');
    assert.equal(verifiesPackage({ ...doc, name: 'alice@elsewhere.example/lib' }), false, 'another host');
    // fields outside the statement do not matter (require_tfa is this registry's policy, not a claim about content)
    assert.equal(verifiesPackage({ ...doc, require_tfa: !doc.require_tfa }), true);
  });

  it('the version document carries the signed version → integrity statement', async () => {
    const doc = await versionDoc('1.0.0');
    assert.equal(verifiesVersion(doc), true);
    assert.equal(verifiesVersion({ ...doc, integrity: (await versionDoc('1.1.0')).integrity }), false);
    assert.equal(verifiesVersion({ ...doc, yanked: true }), false);
  });

  it('yanks, tags and abandonment are signed anew (the cached document is dropped with the change)', async () => {
    const before = await packageDoc();
    const yank = await t.app.inject({ method: 'DELETE', url: '/packages/package/alice/lib/versions/1.1.0', headers: bearer(alice.token) });
    assert.equal(yank.statusCode, 204, yank.body);
    const yanked = await packageDoc();
    assert.deepEqual(Object.keys(yanked.versions), ['1.0.0']);
    assert.equal(yanked.tags.latest, '1.0.0');
    assert.notEqual(yanked.modified, before.modified);
    assert.equal(verifiesPackage(yanked), true);
    const version = await versionDoc('1.1.0');
    assert.equal(version.yanked, true);
    assert.equal(verifiesVersion(version), true);
    const abandon = await t.app.inject({ method: 'DELETE', url: '/packages/package/alice/lib', headers: bearer(alice.token) });
    assert.equal(abandon.statusCode, 204, abandon.body);
    const abandoned = await packageDoc();
    assert.equal(abandoned.yanked, true);
    assert.equal(verifiesPackage(abandoned), true);
    assert.equal(verifiesPackage({ ...abandoned, yanked: false }), false);
  });
});
