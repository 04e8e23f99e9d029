import assert from 'node:assert/strict';
import { it } from 'node:test';
import { safePackagePath } from '../src/safe-package-path.ts';

it('strips the archive root and refuses paths that could escape the package', () => {
  assert.equal(safePackagePath('./package/lib/index.js', 'p'), 'lib/index.js');
  assert.equal(safePackagePath('./node-v1/index.js', 'p'), 'index.js');
  for (const bad of [
    'package/x',
    './package/../x',
    './package/a/../../x',
    './package',
    './package//x',
    './package/./x',
    './package\\x',
    './package/a\u0000b',
    '/etc/passwd',
  ]) {
    assert.throws(() => safePackagePath(bad, 'p'), { code: 'UNSAFE_PATH' }, bad);
  }
});
