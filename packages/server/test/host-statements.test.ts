import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import {
  hostKeyId,
  type PackageDocument,
  type PublicHostKey,
  packageStatement,
  type VersionDocument,
  verifyStatement,
  versionStatement,
} from '@entropic/types';
import { loadHostSigningKeys } from '../src/config.ts';

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

describe('signing keys given by configuration (HOST_SIGNING_KEYS_FILE)', () => {
  it('signs with the current configured key, lists every key, and a retired key still verifies what it signed', async () => {
    const retired = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const current = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const future = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rotatedAt = new Date(Date.now() - 60_000);
    const dir = await mkdtemp(join(tmpdir(), 'entropic-keys-'));
    const file = join(dir, 'keys.json');
    const pem = (key: KeyObject, type: 'pkcs8' | 'spki') => key.export({ type, format: 'pem' }).toString();
    await writeFile(
      file,
      JSON.stringify({
        keys: [
          { publicKey: pem(retired.publicKey, 'spki'), notBefore: '2020-01-01T00:00:00Z', expires: rotatedAt.toISOString() },
          { privateKey: pem(current.privateKey, 'pkcs8'), notBefore: rotatedAt.toISOString(), expires: null },
          { privateKey: pem(future.privateKey, 'pkcs8'), notBefore: '2999-01-01T00:00:00Z' },
        ],
      }),
    );
    const t = await createTestApp({ env: { HOST_SIGNING_KEYS_FILE: file } });
    try {
      const alice = await t.createUser('alice');
      await publishVersion(t.app, 'alice/conf', '1.0.0', { token: alice.token });
      const host = (await t.app.inject({ url: '/-/v1/host' })).json() as { keys: PublicHostKey[]; signing: string };
      const idOf = (key: KeyObject) => hostKeyId(key.export({ type: 'spki', format: 'der' }));
      assert.deepEqual(
        host.keys.map((key) => key.keyid),
        [idOf(retired.publicKey), idOf(current.publicKey), idOf(future.publicKey)],
      );
      assert.equal(host.signing, idOf(current.publicKey));
      const npmKeys = (await t.app.inject({ url: '/-/npm/v1/keys' })).json() as { keys: Array<{ keyid: string }> };
      assert.deepEqual(
        npmKeys.keys.map((key) => key.keyid),
        host.keys.map((key) => key.keyid),
      );
      const doc = (await t.app.inject({ url: '/packages/package/alice/conf' })).json() as PackageDocument;
      assert.equal(doc.hostSignatures?.[0]?.keyid, idOf(current.publicKey));
      assert.ok(verifyStatement(packageStatement(doc), doc.hostSignatures, host.keys, new Date(doc.modified)));
      // a statement the retired key signed before its expiry still verifies; one dated after does not
      const old = { ...doc, modified: '2021-01-01T00:00:00.000Z' };
      const oldSig = [
        { keyid: idOf(retired.publicKey), sig: sign('sha256', Buffer.from(packageStatement(old)), retired.privateKey).toString('base64') },
      ];
      assert.ok(verifyStatement(packageStatement(old), oldSig, host.keys, new Date(old.modified)));
      const late = { ...doc, modified: new Date().toISOString() };
      const lateSig = [
        { keyid: idOf(retired.publicKey), sig: sign('sha256', Buffer.from(packageStatement(late)), retired.privateKey).toString('base64') },
      ];
      assert.equal(verifyStatement(packageStatement(late), lateSig, host.keys, new Date(late.modified)), false);
      // nothing was made in the database: the configured keys are the host's keys
      assert.deepEqual(await t.deps.repos.hostKeys.list(), []);
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file that is not a P-256 key, naming the variable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entropic-keys-'));
    try {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await writeFile(join(dir, 'rsa.pem'), rsa);
      assert.throws(() => loadHostSigningKeys(join(dir, 'rsa.pem')), /HOST_SIGNING_KEYS_FILE its key is not an ECDSA P-256 key/);
      await writeFile(join(dir, 'bad.json'), '{"keys":[{"privateKey":"nope"}]}');
      assert.throws(() => loadHostSigningKeys(join(dir, 'bad.json')), /HOST_SIGNING_KEYS_FILE key 1 is not a PEM key/);
      assert.throws(() => loadHostSigningKeys(join(dir, 'missing.pem')), /HOST_SIGNING_KEYS_FILE cannot be read \(ENOENT\)/);
      const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
      await writeFile(join(dir, 'one.pem'), p256);
      assert.equal(loadHostSigningKeys(join(dir, 'one.pem')).keys.length, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
