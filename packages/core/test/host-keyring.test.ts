import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { verifyHostSignature } from '@entropic/types';
import { type Clock, HostKeyring, loadHostKeyring, rotateHostKey } from '../src/index.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

const PASSWORD = 'a-test-password-of-at-least-32-characters';

describe('host keyring (issue 15.1)', () => {
  let deps: TestCoreDeps;
  let now = new Date('2026-12-07T12:00:00Z');
  const clock: Clock = { now: () => now };

  before(async () => {
    deps = await createTestCoreDeps();
  });
  after(() => deps.close());

  it('makes one key at first start, even when processes start at once, and keeps it', async () => {
    const keyrings = await Promise.all(Array.from({ length: 4 }, () => loadHostKeyring({ ...deps, clock }, PASSWORD)));
    const ids = new Set(keyrings.map((keyring) => keyring.currentKeyId()));
    assert.equal(ids.size, 1);
    assert.equal((await deps.repos.hostKeys.list()).length, 1);
    const again = await loadHostKeyring({ ...deps, clock }, PASSWORD);
    assert.equal(again.currentKeyId(), keyrings[0]?.currentKeyId());
    const stored = await deps.repos.hostKeys.list();
    assert.ok(!stored[0]?.sealedPrivateKey.includes('PRIVATE KEY'), 'the private key is sealed at rest');
  });

  it('signs verifiably; a changed message, another key id or an expired key does not verify', async () => {
    const keyring = await loadHostKeyring({ ...deps, clock }, PASSWORD);
    const [signature] = keyring.sign('alice@registry.test/lib@1.0.0:sha512-abc');
    assert.ok(signature);
    assert.deepEqual(keyring.sign('alice@registry.test/lib@1.0.0:sha512-abc'), [signature], 'the same message signs the same');
    const keys = keyring.publicKeys();
    assert.equal(verifyHostSignature(keys, 'alice@registry.test/lib@1.0.0:sha512-abc', signature, now), true);
    assert.equal(verifyHostSignature(keys, 'alice@registry.test/lib@1.0.0:sha512-abd', signature, now), false);
    assert.equal(verifyHostSignature(keys, 'alice@registry.test/lib@1.0.0:sha512-abc', { ...signature, keyid: 'SHA256:x' }, now), false);
    const expired = keys.map((key) => ({ ...key, expires: now.toISOString() }));
    assert.equal(verifyHostSignature(expired, 'alice@registry.test/lib@1.0.0:sha512-abc', signature, now), false);
    // a key whose id does not match its bytes is refused (a peer cannot rename a key)
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const otherKey = other.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const renamed = keys.map((key) => ({ ...key, key: otherKey }));
    const forged = { keyid: signature.keyid, sig: sign('sha256', Buffer.from('m'), other.privateKey).toString('base64') };
    assert.equal(verifyHostSignature(renamed, 'm', forged, now), false);
  });

  it('rotation: the new key signs, the old one verifies what it signed and stops after the grace period', async () => {
    const before = await loadHostKeyring({ ...deps, clock }, PASSWORD);
    const oldId = before.currentKeyId();
    const oldSignature = before.sign('m')[0];
    assert.ok(oldSignature);
    const newId = await rotateHostKey({ ...deps, clock }, PASSWORD, 300);
    const after = await loadHostKeyring({ ...deps, clock }, PASSWORD);
    assert.equal(after.currentKeyId(), newId);
    assert.notEqual(newId, oldId);
    const old = after.publicKeys().find((key) => key.keyid === oldId);
    assert.equal(old?.expires, new Date(now.getTime() + 300_000).toISOString());
    assert.equal(verifyHostSignature(after.publicKeys(), 'm', oldSignature, now), true);
    now = new Date(now.getTime() + 301_000);
    assert.equal(verifyHostSignature(after.publicKeys(), 'm', oldSignature, now), false);
  });

  it('a key whose private half cannot be opened (OAUTH_PASSWORD changed) only verifies; a new key is made', async () => {
    const known = (await deps.repos.hostKeys.list()).map((key) => key.keyId);
    const keyring = await loadHostKeyring({ ...deps, clock }, `${PASSWORD}-changed`);
    assert.ok(keyring.currentKeyId() && !known.includes(keyring.currentKeyId() as string));
    assert.equal(keyring.publicKeys().length, known.length + 1);
    const stale = new HostKeyring(await deps.repos.hostKeys.list(), 'another-password-of-at-least-32-chars', clock);
    assert.equal(stale.currentKeyId(), undefined);
    assert.deepEqual(stale.sign('m'), []);
  });
});
