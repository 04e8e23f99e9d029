import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type NpmUpstream, startNpmUpstream, type TestApp } from '@entropic/testkit';
import { makeNpmTarball } from '../../packages/server/test/support/npm-tarball.ts';
import { makeNpmHome, npmEnv, run, writeProject } from './support/npm-cli.ts';

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the real npm CLI through the legacy mirror of a local upstream', { timeout: 600_000 }, () => {
  let root: string;
  let upstream: NpmUpstream;
  let t: TestApp;
  let registry: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-legacy-'));
    upstream = await startNpmUpstream();
    // removed versions stay for exact installs here; short TTLs so a removal is seen within the test
    t = await createTestApp({
      env: { LEGACY_UPSTREAM: upstream.url, LEGACY_KEEP_REMOVED: 'true', LEGACY_TTL_SECONDS: '1', CACHE_TTL_SECONDS: '1' },
    });
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

  it('two installs of a project naming a missing package ask the upstream once (issue 17.6)', async () => {
    const project = join(root, 'missing-project');
    await writeProject(project, { name: 'consumer', version: '1.0.0', private: true, dependencies: { 'not-upstream': '^1.0.0' } });
    for (let i = 0; i < 2; i++) {
      // a fresh npm cache each time: only the registry can answer
      const env = npmEnv(await makeNpmHome(root, registry));
      await assert.rejects(run('npm', ['install', '--registry', registry], project, env), /404/);
    }
    assert.equal(upstream.requests('/not-upstream'), 1, upstream.log.join('\n'));
  });

  it('after the upstream removes a version: npm ci from a lockfile still installs it, a new install cannot (issue 17.7)', async () => {
    upstream.publish(
      'pinned',
      '1.0.0',
      await makeNpmTarball([
        { name: 'package/package.json', content: '{"name":"pinned","version":"1.0.0","main":"index.js"}' },
        { name: 'package/index.js', content: "module.exports = 'pinned 1.0.0';\n" },
      ]),
      { main: 'index.js' },
    );
    const project = join(root, 'pinned-project');
    await writeProject(project, { name: 'consumer', version: '1.0.0', private: true, dependencies: { pinned: '^1.0.0' } });
    await run('npm', ['install', '--registry', registry], project, npmEnv(await makeNpmHome(root, registry)));
    await waitFor('pinned@1.0.0 is stored', async () => (await fetch(`${registry}packages/package/legacy/pinned/versions/1.0.0`)).ok);

    // the upstream takes 1.0.0 down and publishes a fix
    upstream.removeVersion('pinned', '1.0.0');
    upstream.publish(
      'pinned',
      '1.0.1',
      await makeNpmTarball([
        { name: 'package/package.json', content: '{"name":"pinned","version":"1.0.1","main":"index.js"}' },
        { name: 'package/index.js', content: "module.exports = 'pinned 1.0.1';\n" },
      ]),
      { main: 'index.js' },
    );
    await waitFor('the mirror no longer offers 1.0.0', async () => {
      const packument = (await (await fetch(`${registry}pinned`)).json()) as { versions: Record<string, unknown> };
      return !('1.0.0' in packument.versions) && '1.0.1' in packument.versions;
    });

    await rm(join(project, 'node_modules'), { recursive: true, force: true });
    await run('npm', ['ci', '--registry', registry], project, npmEnv(await makeNpmHome(root, registry)));
    assert.equal((await run(process.execPath, ['-p', "require('pinned')"], project, npmEnv(root))).trim(), 'pinned 1.0.0');

    const fresh = join(root, 'fresh-project');
    await writeProject(fresh, { name: 'fresh', version: '1.0.0', private: true });
    const env = npmEnv(await makeNpmHome(root, registry));
    await assert.rejects(run('npm', ['install', '--registry', registry, 'pinned@1.0.0'], fresh, env), /ETARGET|No matching version/);
    await run('npm', ['install', '--registry', registry, 'pinned@^1.0.0'], fresh, env);
    assert.equal((await run(process.execPath, ['-p', "require('pinned')"], fresh, env)).trim(), 'pinned 1.0.1');
  });
});
