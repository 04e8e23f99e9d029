import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { formatPackageRef, packagePath, parseCanonicalPackageName } from '../src/package-ref.ts';
import { computeIntegrity, isSha512Integrity, verifyIntegrity } from '../src/verify-integrity.ts';

it('computes and verifies sha512 integrities', () => {
  const integrity = computeIntegrity('abc');
  assert.equal(integrity, `sha512-${createHash('sha512').update('abc').digest('base64')}`);
  assert.equal(isSha512Integrity(integrity), true);
  assert.equal(isSha512Integrity('sha1-abc'), false);
  verifyIntegrity('abc', integrity, 'x');
  assert.throws(() => verifyIntegrity('abd', integrity, 'x'), { code: 'INTEGRITY_MISMATCH' });
});

it('formats and parses canonical package names', () => {
  const ref = { namespace: 'legacy', host: 'h:1', name: '@scope/x' };
  assert.equal(formatPackageRef(ref), 'legacy@h:1/%40scope%2Fx');
  assert.deepEqual(parseCanonicalPackageName('legacy@h:1/%40scope%2Fx'), ref);
  assert.equal(parseCanonicalPackageName('nope'), undefined);
  assert.equal(packagePath(ref), '/packages/package/legacy@h:1/%40scope%2Fx');
});
