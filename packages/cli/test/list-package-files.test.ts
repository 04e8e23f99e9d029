import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { listPackageFiles } from '../src/list-package-files.ts';
import { parseProjectManifest } from '../src/project-manifest.ts';

async function project(files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'ds-pack-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const manifestFile = files['Package.toml'] !== undefined ? 'Package.toml' : 'package.json';
  return parseProjectManifest(files[manifestFile] as string, join(dir, manifestFile));
}

const paths = async (files: Record<string, string>) => (await listPackageFiles(await project(files))).map((f) => f.path).sort();

describe('listPackageFiles (npm packing rules)', () => {
  it('honours "files" and always includes package.json, README and LICENSE', async () => {
    assert.deepEqual(
      await paths({
        'package.json': '{"name":"@a/b","version":"1.0.0","files":["lib"]}',
        'lib/index.js': '1',
        'test/x.js': '1',
        'README.md': 'r',
        LICENSE: 'l',
      }),
      ['LICENSE', 'README.md', 'lib/index.js', 'package.json'],
    );
  });

  it('uses .npmignore, else .gitignore, and never packs node_modules, .git or lockfiles', async () => {
    assert.deepEqual(
      await paths({
        'Package.toml': 'name = "a/b"\nversion = "1.0.0"\n',
        '.gitignore': 'dist\n',
        'dist/out.js': '1',
        'index.js': '1',
        'node_modules/x/index.js': '1',
        '.git/HEAD': 'x',
        'Package.lock': 'x',
        'package-lock.json': '{}',
      }),
      ['Package.toml', 'index.js'],
    );
    assert.deepEqual(
      await paths({
        'Package.toml': 'name = "a/b"\nversion = "1.0.0"\n',
        '.npmignore': 'secret.txt\n',
        '.gitignore': 'dist\n',
        'dist/out.js': '1',
        'secret.txt': 's',
      }),
      ['Package.toml', 'dist/out.js'],
    );
  });

  it('reports sizes and sorts by extension for compression', async () => {
    const files = await listPackageFiles(await project({ 'package.json': '{"name":"@a/b"}', 'b.js': '12', 'a.md': '1', 'c.js': '123' }));
    assert.deepEqual(
      files.map((f) => [f.path, f.size]),
      [
        ['b.js', 2],
        ['c.js', 3],
        ['package.json', 15],
        ['a.md', 1],
      ],
    );
  });
});
