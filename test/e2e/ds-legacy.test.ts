import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startVerdaccio } from '@entropic/testkit';
import { type DsUser, type DsWorld, startDsWorld, tempDir, writeProject } from '../../packages/cli/test/support/ds-harness.ts';

const exec = promisify(execFile);

/** Publishes a package.json project to the upstream with the real npm CLI. */
async function npmPublish(registry: string, token: string, home: string, dir: string): Promise<void> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  await writeFile(join(home, '.npmrc'), `registry=${registry}/\n${registry.replace(/^https?:/, '')}/:_authToken=${token}\n`);
  await exec('npm', ['publish', '--registry', `${registry}/`, '--no-audit', '--no-fund', '--no-update-notifier'], {
    cwd: dir,
    env: { ...env, HOME: home, npm_config_userconfig: join(home, '.npmrc'), npm_config_cache: join(home, '.npm') },
    timeout: 120_000,
  });
}

describe('ds install with legacy (npm) packages from the read-through mirror', { timeout: 300_000 }, () => {
  let root: string;
  let verdaccio: Awaited<ReturnType<typeof startVerdaccio>>;
  let world: DsWorld;
  let alice: DsUser;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ds-legacy-e2e-'));
    verdaccio = await startVerdaccio(join(root, 'verdaccio'));
    const signup = await fetch(`${verdaccio.url}/-/user/org.couchdb.user:up`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'up', password: 'upstream-password' }),
    });
    const { token } = (await signup.json()) as { token: string };
    const upHome = join(root, 'up-home');
    await mkdir(upHome, { recursive: true });
    // legacy-dep 1.2.0 and 1.3.0 (the latter depends on a scoped npm package), @up/util 1.0.0 with a bin
    const util = join(root, 'util');
    await writeProject(util, {
      'package.json': JSON.stringify({ name: '@up/util', version: '1.0.0', main: 'index.js', bin: { 'up-util': 'cli.js' } }),
      'index.js': "module.exports = 'up util';\n",
      'cli.js': "#!/usr/bin/env node\nconsole.log('up-util ran');\n",
    });
    await npmPublish(verdaccio.url, token, upHome, util);
    const dep = join(root, 'legacy-dep');
    for (const [version, deps] of [
      ['1.2.0', {}],
      ['1.3.0', { '@up/util': '^1.0.0' }],
    ] as const) {
      await writeProject(dep, {
        'package.json': JSON.stringify({ name: 'legacy-dep', version, main: 'index.js', dependencies: deps }),
        'index.js':
          version === '1.2.0' ? "module.exports = 'legacy 1.2.0';\n" : "module.exports = 'legacy 1.3.0 with ' + require('@up/util');\n",
      });
      await npmPublish(verdaccio.url, token, upHome, dep);
    }
    world = await startDsWorld(['alice'], { env: { LEGACY_UPSTREAM: verdaccio.url } });
    alice = await world.user({ as: 'alice' });
  });
  after(async () => {
    await world?.stop();
    await verdaccio?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('installs an Entropic package depending on a legacy package; each lands under its npm name', async () => {
    const app = await writeProject(await tempDir(), {
      'Package.toml': [
        'name = "alice/app"',
        'version = "1.0.0"',
        'main = "index.js"',
        '[dependencies]',
        '"legacy-dep" = "^1.2.0"',
        '',
      ].join('\n'),
      'index.js': "module.exports = 'app + ' + require('legacy-dep');\n",
    });
    const published = await alice.ds(['publish'], { cwd: app });
    assert.equal(published.code, 0, published.stderr);

    const consumer = await world.user();
    const project = await tempDir();
    const installed = await consumer.ds(['install', 'alice/app', '--json'], { cwd: project });
    assert.equal(installed.code, 0, installed.stderr);
    const result = installed.json<{ packages: Array<{ path: string; name: string; version: string }> }>();
    const host = new URL(world.registry.url).host;
    assert.deepEqual(
      result.packages.map((p) => [p.path, p.name, p.version]),
      [
        ['node_modules/@alice/app', `alice@${host}/app`, '1.0.0'],
        ['node_modules/@up/util', `legacy@${host}/%40up%2Futil`, '1.0.0'],
        ['node_modules/legacy-dep', `legacy@${host}/legacy-dep`, '1.3.0'],
      ],
    );
    const { stdout } = await exec(process.execPath, ['-p', "require('@alice/app')"], { cwd: project });
    assert.equal(stdout.trim(), 'app + legacy 1.3.0 with up util');
    const pkg = JSON.parse(await readFile(join(project, 'node_modules/legacy-dep/package.json'), 'utf8'));
    assert.equal(pkg.name, 'legacy-dep');
    const bin = await exec(join(project, 'node_modules/.bin/up-util'), [], { cwd: project });
    assert.equal(bin.stdout, 'up-util ran\n');
    const lock = await readFile(join(project, 'Package.lock'), 'utf8');
    assert.ok(lock.includes(`[packages."node_modules/legacy-dep"]\nname = "legacy@${host}/legacy-dep"\nversion = "1.3.0"\n`), lock);
  });

  it('adds a legacy package by its npm name and an exact older version, saved under the npm name', async () => {
    const user = await world.user();
    const project = await writeProject(await tempDir(), { 'package.json': JSON.stringify({ name: 'consumer', private: true }) });
    const out = await user.ds(['install', 'legacy-dep@1.2.0'], { cwd: project });
    assert.equal(out.code, 0, out.stderr);
    const manifest = JSON.parse(await readFile(join(project, 'package.json'), 'utf8'));
    assert.deepEqual(manifest.dependencies, { 'legacy-dep': '1.2.0' });
    const { stdout } = await exec(process.execPath, ['-p', "require('legacy-dep')"], { cwd: project });
    assert.equal(stdout.trim(), 'legacy 1.2.0');

    const missing = await user.ds(['install', 'not-upstream-either'], { cwd: project });
    assert.equal(missing.code, 6, missing.stderr);
    assert.match(missing.stderr, /^ds: error PACKAGE_NOT_FOUND: The npm package "not-upstream-either" is not on /);
  });
});
