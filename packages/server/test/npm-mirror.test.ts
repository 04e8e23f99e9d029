import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type NpmUpstream, startNpmUpstream, type TestApp } from '@entropic/testkit';
import { countFiles } from './support/count-files.ts';
import { makeNpmTarball } from './support/npm-tarball.ts';
import { waitFor } from './support/wait-for.ts';

/** The files of a mirrored version, as Entropic stores them (a first fetch stores after its response: issue 17.9). */
async function storedFiles(t: TestApp, name: string, version: string): Promise<string[]> {
  const url = `/packages/package/legacy/${encodeURIComponent(name)}/versions/${version}`;
  await waitFor(
    `${name}@${version} to be stored`,
    async () => ((await t.app.inject({ url })).statusCode === 200 ? true : undefined),
    30_000,
    50,
  );
  const res = await t.app.inject({ url });
  assert.equal(res.statusCode, 200, res.body);
  return Object.keys(res.json().files as Record<string, string>).sort();
}

describe('the legacy mirror accepts the old tarballs and manifests npm installs (issue 17.10)', () => {
  let upstream: NpmUpstream;
  let t: TestApp;

  before(async () => {
    upstream = await startNpmUpstream();
    t = await createTestApp({ env: { LEGACY_UPSTREAM: upstream.url } });
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
  });

  it('mirrors a version whose tarball has symlinks and hard links (as express@1.0.0 and mime@1.0.0): links are skipped, the upstream bytes served', async () => {
    const tarball = await makeNpmTarball([
      { name: 'package/', type: 'directory' },
      { name: 'package/package.json', content: '{"name":"oldlinks","version":"1.0.0","main":"index.js"}' },
      { name: 'package/index.js', content: 'module.exports = 1;\n' },
      { name: 'package/support/current', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'package/lib/alias.js', type: 'link', linkname: 'package/index.js' },
      { name: 'package//lib/./real.js', content: 'module.exports = 2;\n' },
    ]);
    upstream.publish('oldlinks', '1.0.0', tarball, { main: 'index.js' });
    const res = await t.app.inject({ url: '/oldlinks/-/oldlinks-1.0.0.tgz' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.rawPayload, tarball, 'the verified upstream bytes, links and all: npm skips the links itself');
    assert.deepEqual(await storedFiles(t, 'oldlinks', '1.0.0'), ['./package/index.js', './package/lib/real.js', './package/package.json']);
  });

  it('mirrors devices, FIFOs and contiguous files as npm does: the special files skipped, a contiguous file kept', async () => {
    const tarball = await makeNpmTarball([
      { name: 'package/package.json', content: '{"name":"oldspecial","version":"0.1.0"}' },
      { name: 'package/dev', type: 'character-device' },
      { name: 'package/pipe', type: 'fifo' },
      { name: 'package/data.txt', type: 'contiguous-file', content: 'contiguous\n' },
    ]);
    upstream.publish('oldspecial', '0.1.0', tarball);
    const res = await t.app.inject({ url: '/oldspecial/-/oldspecial-0.1.0.tgz' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(await storedFiles(t, 'oldspecial', '0.1.0'), ['./package/data.txt', './package/package.json']);
  });

  it('mirrors legacy manifest shapes (as underscore@1.0.3): array and string dependencies, string bin, array engines, string directories', async () => {
    const tarball = await makeNpmTarball([
      { name: 'package/package.json', content: '{"name":"oldshapes","version":"1.0.3","dependencies":[]}' },
      { name: 'package/underscore.js', content: '// old\n' },
    ]);
    upstream.publish('oldshapes', '1.0.3', tarball, {
      dependencies: [],
      devDependencies: 'oldlinks@1.0.0 oldspecial',
      bin: 'underscore.js',
      engines: ['node >= 0.4'],
      directories: 'lib',
      man: './man/underscore.1',
    });
    const arrays = await makeNpmTarball([{ name: 'package/package.json', content: '{"name":"oldarray","version":"0.2.0"}' }]);
    upstream.publish('oldarray', '0.2.0', arrays, { dependencies: ['oldshapes@1.0.3', 'oldlinks >=1.0.0', 'oldspecial'] });

    const res = await t.app.inject({ url: '/oldshapes/-/oldshapes-1.0.3.tgz' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.rawPayload, tarball);
    await storedFiles(t, 'oldshapes', '1.0.3');
    const version = await t.app.inject({ url: '/packages/package/legacy/oldshapes/versions/1.0.3' });
    assert.deepEqual(version.json().dependencies, {});
    assert.deepEqual(version.json().devDependencies, { [`legacy@${t.host}/oldlinks`]: '1.0.0', [`legacy@${t.host}/oldspecial`]: '*' });

    assert.equal((await t.app.inject({ url: '/oldarray/-/oldarray-0.2.0.tgz' })).statusCode, 200);
    await storedFiles(t, 'oldarray', '0.2.0');
    const arrayVersion = await t.app.inject({ url: '/packages/package/legacy/oldarray/versions/0.2.0' });
    assert.deepEqual(arrayVersion.json().dependencies, {
      [`legacy@${t.host}/oldshapes`]: '1.0.3',
      [`legacy@${t.host}/oldlinks`]: '>=1.0.0',
      [`legacy@${t.host}/oldspecial`]: '*',
    });
  });

  it('keeps every safety rule for what is stored: a mirrored tarball with a ".." or absolute path is refused and nothing stored', async () => {
    for (const [name, entry] of [
      ['oldescape', 'package/../../etc/passwd'],
      ['oldabsolute', '/etc/passwd'],
    ] as const) {
      const tarball = await makeNpmTarball([
        { name: 'package/package.json', content: `{"name":"${name}","version":"1.0.0"}` },
        { name: entry, content: 'root:x:0:0\n' },
      ]);
      upstream.publish(name, '1.0.0', tarball);
      const blobsBefore = await countFiles(t.deps.config.cacheDir);
      const res = await t.app.inject({ url: `/${name}/-/${name}-1.0.0.tgz` });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().code, 'INVALID_PATH');
      assert.equal((await t.app.inject({ url: `/packages/package/legacy/${name}/versions/1.0.0` })).statusCode, 404);
      assert.equal(await countFiles(t.deps.config.cacheDir), blobsBefore, 'no blob was written');
    }
  });
});
