import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type NpmUpstream, startNpmUpstream, type TestApp } from '@entropic/testkit';
import { makeNpmTarball } from '../../packages/server/test/support/npm-tarball.ts';
import { makeNpmHome, npmEnv, run, writeProject } from './support/npm-cli.ts';

describe('the real npm CLI through the legacy mirror of a local upstream', { timeout: 600_000 }, () => {
  let root: string;
  let upstream: NpmUpstream;
  let t: TestApp;
  let registry: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-legacy-'));
    upstream = await startNpmUpstream();
    t = await createTestApp({ env: { LEGACY_UPSTREAM: upstream.url } });
    registry = `${await t.listen()}/`;
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('installs old versions npm installs from the upstream: tarballs with symlinks, array dependencies, string bin (issue 17.10)', async () => {
    // as express@1.0.0 / mime@1.0.0: a symlink and a hard link beside the files
    upstream.publish(
      'oldlinks',
      '1.0.0',
      await makeNpmTarball([
        { name: 'package/package.json', content: '{"name":"oldlinks","version":"1.0.0","main":"index.js"}' },
        { name: 'package/index.js', content: "module.exports = 'links';\n" },
        { name: 'package/support/current', type: 'symlink', linkname: '../index.js' },
        { name: 'package/alias.js', type: 'link', linkname: 'package/index.js' },
      ]),
      { main: 'index.js' },
    );
    // as underscore@1.0.3: "dependencies": [] and a string bin
    upstream.publish(
      'oldshapes',
      '1.0.3',
      await makeNpmTarball([
        {
          name: 'package/package.json',
          content: '{"name":"oldshapes","version":"1.0.3","main":"index.js","dependencies":[],"bin":"cli.js"}',
        },
        { name: 'package/index.js', content: "module.exports = 'shapes';\n" },
        { name: 'package/cli.js', content: "#!/usr/bin/env node\nconsole.log('shapes cli');\n" },
      ]),
      { main: 'index.js', dependencies: [], bin: 'cli.js', engines: ['node >= 0.4'], directories: 'lib' },
    );
    // an array of "name@range" dependencies, pointing at both
    upstream.publish(
      'oldarray',
      '0.2.0',
      await makeNpmTarball([
        {
          name: 'package/package.json',
          content: '{"name":"oldarray","version":"0.2.0","main":"index.js","dependencies":["oldlinks@1.0.0","oldshapes"]}',
        },
        { name: 'package/index.js', content: "module.exports = require('oldlinks') + ' ' + require('oldshapes');\n" },
      ]),
      { main: 'index.js', dependencies: ['oldlinks@1.0.0', 'oldshapes'] },
    );

    const home = await makeNpmHome(root, registry);
    const env = npmEnv(home);
    const project = join(root, 'old-project');
    await writeProject(project, { name: 'consumer', version: '1.0.0', private: true, dependencies: { oldarray: '0.2.0' } });
    await run('npm', ['install', '--registry', registry], project, env);
    assert.equal((await run(process.execPath, ['-p', "require('oldarray')"], project, env)).trim(), 'links shapes');
    assert.ok(!existsSync(join(project, 'node_modules/oldlinks/support/current')), 'npm skips the link');
    assert.ok(existsSync(join(project, 'node_modules/.bin/oldshapes')), 'the string bin is linked under the package name');
    const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8'));
    assert.match(lock.packages['node_modules/oldlinks'].resolved, new RegExp(`^${registry}oldlinks/-/oldlinks-1.0.0.tgz`));
  });
});
