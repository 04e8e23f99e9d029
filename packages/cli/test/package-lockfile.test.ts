import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  lockfileMatches,
  type PackageLockfile,
  parseLockfile,
  readLockfile,
  serializeLockfile,
  writeLockfile,
} from '../src/package-lockfile.ts';

const INTEGRITY = `sha512-${Buffer.alloc(64, 1).toString('base64')}`;
const LOCK: PackageLockfile = {
  version: 1,
  host: 'h:1',
  root: { dependencies: { 'ns@h:1/a': '^1.0.0' }, devDependencies: {}, peerDependencies: {}, optionalDependencies: {} },
  packages: { 'node_modules/@ns/a': { name: 'ns@h:1/a', version: '1.0.0', integrity: INTEGRITY } },
};

describe('Package.lock', () => {
  it('round-trips through TOML, deterministically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-lock-'));
    await writeLockfile(dir, LOCK);
    assert.deepEqual(await readLockfile(dir), LOCK);
    assert.equal(serializeLockfile(LOCK), serializeLockfile(structuredClone(LOCK)));
    assert.equal(await readLockfile(join(dir, 'missing')), undefined);
  });

  it('matches only identical requests on the same host', () => {
    assert.equal(lockfileMatches(LOCK, 'h:1', LOCK.root), true);
    assert.equal(lockfileMatches(LOCK, 'h:2', LOCK.root), false);
    assert.equal(lockfileMatches(LOCK, 'h:1', { ...LOCK.root, dependencies: { 'ns@h:1/a': '^2.0.0' } }), false);
    assert.equal(lockfileMatches(LOCK, 'h:1', { ...LOCK.root, devDependencies: { 'ns@h:1/b': '1' } }), false);
  });

  it('refuses unsafe paths, bad integrities and unknown versions with INVALID_LOCKFILE', () => {
    const text = serializeLockfile(LOCK);
    assert.throws(() => parseLockfile(text.replace('node_modules/@ns/a', 'node_modules/../../etc'), 'L'), { code: 'INVALID_LOCKFILE' });
    assert.throws(() => parseLockfile(text.replace(INTEGRITY, 'sha1-abc'), 'L'), { code: 'INVALID_LOCKFILE' });
    assert.throws(() => parseLockfile(text.replace('version = 1', 'version = 9'), 'L'), { code: 'INVALID_LOCKFILE' });
    assert.throws(() => parseLockfile('[[', 'L'), { code: 'INVALID_LOCKFILE' });
  });
});
