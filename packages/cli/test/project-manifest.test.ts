import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findProjectManifest, parseProjectManifest, saveDependencies } from '../src/project-manifest.ts';

describe('project manifest', () => {
  it('reads Package.toml fields and dependency tables', () => {
    const m = parseProjectManifest(
      'name = "alice/pkg"\nversion = "1.0.0"\ndescription = "d"\nlicense = "MIT"\n[dependencies]\n"bob/x" = "^1.0.0"\nlodash = "^4"\n',
      '/p/Package.toml',
    );
    assert.equal(m.kind, 'toml');
    assert.equal(m.name, 'alice/pkg');
    assert.deepEqual(m.dependencies, { 'bob/x': '^1.0.0', lodash: '^4' });
  });

  it('rejects wrong types with INVALID_MANIFEST', () => {
    assert.throws(() => parseProjectManifest('name = 1', '/p/Package.toml'), { code: 'INVALID_MANIFEST' });
    assert.throws(() => parseProjectManifest('[dependencies]\nx = 1', '/p/Package.toml'), { code: 'INVALID_MANIFEST' });
    assert.throws(() => parseProjectManifest('{', '/p/package.json'), { code: 'INVALID_MANIFEST' });
  });

  it('walks up, preferring Package.toml to package.json, and writes dependencies back', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ds-manifest-'));
    await writeFile(join(root, 'package.json'), '{"name":"@a/b","version":"1.0.0"}');
    await writeFile(join(root, 'Package.toml'), 'name = "a/b"\nversion = "1.0.0"\n');
    await mkdir(join(root, 'src', 'deep'), { recursive: true });
    const found = await findProjectManifest(join(root, 'src', 'deep'));
    assert.equal(found?.path, join(root, 'Package.toml'));
    await saveDependencies(found!, 'dependencies', { 'z/z': '^1.0.0', 'a/a': '1' });
    const text = await readFile(join(root, 'Package.toml'), 'utf8');
    assert.match(text, /name = "a\/b"/);
    assert.deepEqual(parseProjectManifest(text, join(root, 'Package.toml')).dependencies, { 'a/a': '1', 'z/z': '^1.0.0' });
  });
});
