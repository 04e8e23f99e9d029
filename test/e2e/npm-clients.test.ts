import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, publishVersion, REPO_ROOT, startVerdaccio, type TestApp, type TestUser, type Verdaccio } from '@entropic/testkit';
import { runDs } from '../../packages/cli/test/support/ds-harness.ts';

const BIN = join(REPO_ROOT, 'node_modules/.bin');
/** the real npm CLI that came with Node */
const NPM = 'npm';

/** A clean environment for a package manager: temp HOME, no npm_* variables inherited from `npm test`. */
function clientEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(npm_|yarn_|pnpm_)/i.test(key)) env[key] = value;
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local/share'),
    npm_config_userconfig: join(home, '.npmrc'),
    npm_config_cache: join(home, '.npm'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    COREPACK_ENABLE_STRICT: '0',
    CI: 'true',
  };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** A home directory whose .npmrc (and .yarnrc) point every scope at one registry. */
async function makeHome(root: string, registry: string, token?: string): Promise<string> {
  const home = await mkdtemp(join(root, 'home-'));
  const hostPart = registry.replace(/^https?:/, '');
  const lines = [`registry=${registry}`, '@alice:registry=' + registry, 'audit=false', 'fund=false', 'update-notifier=false'];
  if (token) lines.push(`${hostPart}:_authToken=${token}`);
  await writeFile(join(home, '.npmrc'), `${lines.join('\n')}\n`);
  await writeFile(join(home, '.yarnrc'), `registry "${registry}"\n"@alice:registry" "${registry}"\ndisable-self-update-check true\n`);
  return home;
}

async function writePackage(dir: string, manifest: Record<string, unknown>, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
}

describe('npm, pnpm and yarn against Entropic, with Verdaccio as the legacy upstream', { timeout: 600_000 }, () => {
  let root: string;
  let verdaccio: Verdaccio;
  let t: TestApp;
  let alice: TestUser;
  let registry: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-e2e-'));
    verdaccio = await startVerdaccio(await mkdtemp(join(root, 'verdaccio-')));
    // a user on the upstream, and the legacy package published into it with npm
    const signup = await fetch(`${verdaccio.url}/-/user/org.couchdb.user:up`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'up', password: 'upstream-password' }),
    });
    const { token: upstreamToken } = (await signup.json()) as { token: string };
    const upHome = await makeHome(root, `${verdaccio.url}/`, upstreamToken);
    const legacyDir = join(root, 'legacy-dep');
    await writePackage(
      legacyDir,
      { name: 'legacy-dep', version: '1.2.0', main: 'index.js' },
      { 'index.js': "module.exports = 'legacy';\n" },
    );
    await run(NPM, ['publish', '--registry', `${verdaccio.url}/`], legacyDir, clientEnv(upHome));
    await writePackage(
      legacyDir,
      { name: 'legacy-dep', version: '1.3.0', main: 'index.js' },
      { 'index.js': "module.exports = 'legacy 1.3';\n" },
    );
    await run(NPM, ['publish', '--registry', `${verdaccio.url}/`], legacyDir, clientEnv(upHome));

    const allowlist = join(root, 'allowlist');
    await writeFile(allowlist, 'legacy-dep\n# comment\nnever-cached\n');
    t = await createTestApp({ env: { LEGACY_UPSTREAM: verdaccio.url, ALLOWLIST: allowlist } });
    registry = `${await t.listen()}/`;
    alice = await t.createUser('alice');
  });
  after(async () => {
    await verdaccio?.stop();
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('npm publishes @alice/lib and @alice/app, installs the graph with the legacy package from the upstream', async () => {
    const home = await makeHome(root, registry, alice.token);
    const env = clientEnv(home);
    assert.match(await run(NPM, ['whoami', '--registry', registry], root, env), /alice/);
    const lib = join(root, 'lib');
    await writePackage(lib, { name: '@alice/lib', version: '1.0.0', main: 'index.js' }, { 'index.js': "module.exports = 'lib';\n" });
    await run(NPM, ['publish', '--registry', registry], lib, env);
    const app = join(root, 'app');
    await writePackage(
      app,
      { name: '@alice/app', version: '1.0.0', main: 'index.js', dependencies: { '@alice/lib': '^1.0.0', 'legacy-dep': '^1.2.0' } },
      { 'index.js': "module.exports = [require('@alice/lib'), require('legacy-dep')].join(' + ');\n" },
    );
    await run(NPM, ['publish', '--registry', registry], app, env);

    const project = join(root, 'npm-project');
    await writePackage(project, { name: 'consumer', version: '1.0.0', private: true, dependencies: { '@alice/app': '^1.0.0' } }, {});
    await run(NPM, ['install', '--registry', registry], project, env);
    const out = await run(process.execPath, ['-p', "require('@alice/app')"], project, env);
    assert.equal(out.trim(), 'lib + legacy 1.3');
    const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8'));
    assert.match(lock.packages['node_modules/legacy-dep'].resolved, new RegExp(`^${registry}legacy-dep/-/legacy-dep-1.3.0.tgz`));
    // the mirrored version is exploded into the store as legacy@host/legacy-dep (a moment after
    // its first tarball response, issue 17.9)
    const versionUrl = `${registry}packages/package/legacy/legacy-dep/versions/1.3.0`;
    let doc = await fetch(versionUrl);
    for (const deadline = Date.now() + 30_000; doc.status === 404 && Date.now() < deadline; doc = await fetch(versionUrl)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(doc.status, 200);
    assert.ok('./package/index.js' in ((await doc.json()) as { files: Record<string, string> }).files);
  });

  it('npm dist-tag works on tags, deprecate stores its message and keeps tags, unpublish yanks', async () => {
    const home = await makeHome(root, registry, alice.token);
    const env = clientEnv(home);
    const lib = join(root, 'lib');
    await writePackage(lib, { name: '@alice/lib', version: '1.1.0', main: 'index.js' }, { 'index.js': "module.exports = 'lib 1.1';\n" });
    await run(NPM, ['publish', '--tag', 'next', '--registry', registry], lib, env);
    await run(NPM, ['dist-tag', 'add', '@alice/lib@1.1.0', 'beta', '--registry', registry], root, env);
    const ls = await run(NPM, ['dist-tag', 'ls', '@alice/lib', '--registry', registry], root, env);
    assert.match(ls, /beta: 1\.1\.0/);
    assert.match(ls, /latest: 1\.0\.0/);
    await run(NPM, ['dist-tag', 'rm', '@alice/lib', 'beta', '--registry', registry], root, env);
    assert.doesNotMatch(await run(NPM, ['dist-tag', 'ls', '@alice/lib', '--registry', registry], root, env), /beta/);
    // issue 17.5 / 17.12: npm deprecate is a message with the version, not a yank
    await run(NPM, ['deprecate', '@alice/lib@1.1.0', 'use 1.0, 1.1 leaks file handles', '--registry', registry], root, env);
    const view = await run(NPM, ['view', '@alice/lib@1.1.0', 'deprecated', '--registry', registry], root, env);
    assert.equal(view.trim(), 'use 1.0, 1.1 leaks file handles');
    const tags = await run(NPM, ['dist-tag', 'ls', '@alice/lib', '--registry', registry], root, env);
    assert.match(tags, /next: 1\.1\.0/, 'deprecating leaves the tags');
    assert.match(tags, /latest: 1\.0\.0/);
    const version = (await (await fetch(`${registry}packages/package/alice/lib/versions/1.1.0`)).json()) as { yanked: boolean };
    assert.equal(version.yanked, false);
    const project = join(root, 'deprecated-project');
    await writePackage(project, { name: 'deprecated-consumer', version: '1.0.0', private: true }, {});
    const installed = await run(NPM, ['install', '@alice/lib@next', '--registry', registry], project, env);
    assert.match(installed, /deprecated @alice\/lib@1\.1\.0: use 1\.0, 1\.1 leaks file handles/);
    assert.equal((await run(process.execPath, ['-p', "require('@alice/lib')"], project, env)).trim(), 'lib 1.1');
    await run(NPM, ['deprecate', '@alice/lib@1.1.0', '', '--registry', registry], root, env);
    assert.equal((await run(NPM, ['view', '@alice/lib@1.1.0', 'deprecated', '--registry', registry], root, env)).trim(), '');
    assert.doesNotMatch(await run(NPM, ['install', '--registry', registry], project, env), /deprecated/);
    const extra = join(root, 'lib-extra');
    await writePackage(extra, { name: '@alice/lib', version: '1.0.1', main: 'index.js' }, { 'index.js': "module.exports = 'lib';\n" });
    await run(NPM, ['publish', '--tag', 'extra', '--registry', registry], extra, env);
    await run(NPM, ['unpublish', '@alice/lib@1.0.1', '--registry', registry], root, env);
    const unpublished = (await (await fetch(`${registry}packages/package/alice/lib/versions/1.0.1`)).json()) as { yanked: boolean };
    assert.equal(unpublished.yanked, true);
    // un-deprecating a yanked version gets a clear answer (a yank is final)
    await assert.rejects(run(NPM, ['deprecate', '@alice/lib@1.0.1', '', '--registry', registry], root, env), (error: Error) => {
      assert.match(error.message, /409/);
      assert.match(error.message, /@alice\/lib@1\.0\.1 was yanked: a yank is final, npm deprecate cannot undo it/);
      return true;
    });
  });

  it('npm publish: the exact tarball npm uploaded is served, so a lockfile made at publish time installs (issue 17.11)', async () => {
    const env = clientEnv(await makeHome(root, registry, alice.token));
    const dir = join(root, 'exact');
    await writePackage(
      dir,
      { name: '@alice/exact', version: '1.0.0', main: 'index.js', bin: { exact: 'cli.js' } },
      { 'index.js': "module.exports = 'exact';\n", 'cli.js': '#!/usr/bin/env node\nconsole.log(require("./index.js"));\n' },
    );
    await chmod(join(dir, 'cli.js'), 0o755);
    // npm publishes the file npm pack wrote: these are the bytes npm uploads
    const packs = join(root, 'packs');
    await mkdir(packs, { recursive: true });
    await run(NPM, ['pack', '--pack-destination', packs], dir, env);
    const file = join(packs, 'alice-exact-1.0.0.tgz');
    const sent = await readFile(file);
    const integrity = `sha512-${createHash('sha512').update(sent).digest('base64')}`;
    await run(NPM, ['publish', file, '--registry', registry], dir, env);

    const packument = (await (await fetch(`${registry}@alice%2fexact`)).json()) as {
      versions: Record<string, { dist: { integrity: string; shasum: string; tarball: string } }>;
    };
    const dist = packument.versions['1.0.0']?.dist;
    assert.equal(dist?.integrity, integrity, 'the integrity npm printed at publish');
    assert.equal(dist?.shasum, createHash('sha1').update(sent).digest('hex'));
    assert.deepEqual(Buffer.from(await (await fetch(dist?.tarball as string)).arrayBuffer()), sent, 'byte for byte');

    // a lockfile written at publish time (from what npm printed), installed by npm ci with a cold cache
    const project = join(root, 'exact-project');
    await writePackage(project, { name: 'exact-consumer', version: '1.0.0', private: true, dependencies: { '@alice/exact': '1.0.0' } }, {});
    const lock = {
      name: 'exact-consumer',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'exact-consumer', version: '1.0.0', dependencies: { '@alice/exact': '1.0.0' } },
        'node_modules/@alice/exact': {
          version: '1.0.0',
          resolved: `${registry}@alice/exact/-/exact-1.0.0.tgz`,
          integrity,
          bin: { exact: 'cli.js' },
        },
      },
    };
    await writeFile(join(project, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
    await run(NPM, ['ci', '--registry', registry], project, clientEnv(await makeHome(root, registry, alice.token)));
    assert.equal((await run(process.execPath, ['-p', "require('@alice/exact')"], project, env)).trim(), 'exact');
    assert.equal((await run(join(project, 'node_modules/.bin/exact'), [], project, env)).trim(), 'exact', 'the bin keeps its mode');

    // ds and the Entropic API read the exploded files
    const doc = (await (await fetch(`${registry}packages/package/alice/exact/versions/1.0.0`)).json()) as { files: Record<string, string> };
    assert.deepEqual(Object.keys(doc.files).sort(), ['./package/cli.js', './package/index.js', './package/package.json']);
  });

  it('npm installs a version published through the Entropic API, and Entropic serves the files of an npm publish', async () => {
    await publishVersion(t.app, 'alice/made-with-ds', '2.0.0', {
      token: alice.token,
      files: { 'index.js': "module.exports = 'from the entropic API';\n" },
    });
    const home = await makeHome(root, registry, alice.token);
    const env = clientEnv(home);
    const project = join(root, 'cross-project');
    await writePackage(project, { name: 'cross', version: '1.0.0', private: true, dependencies: { '@alice/made-with-ds': '2.0.0' } }, {});
    await run(NPM, ['install', '--registry', registry], project, env);
    assert.equal((await run(process.execPath, ['-p', "require('@alice/made-with-ds')"], project, env)).trim(), 'from the entropic API');

    // the other way: every file of the npm-published @alice/lib@1.0.0 verifies through /objects
    const doc = (await (await fetch(`${registry}packages/package/alice/lib/versions/1.0.0`)).json()) as { files: Record<string, string> };
    const index = doc.files['./package/index.js'] as string;
    const blob = Buffer.from(await (await fetch(`${registry}objects/object/sha512/${encodeURIComponent(index.slice(7))}`)).arrayBuffer());
    assert.equal(`sha512-${createHash('sha512').update(blob).digest('base64')}`, index);
    assert.equal(blob.toString(), "module.exports = 'lib';\n");
  });

  it('ds downloads (verified) a version published by npm, and npm installs a version published by ds', async () => {
    const home = await mkdtemp(join(root, 'ds-home-'));
    const dsEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      XDG_CACHE_HOME: join(home, '.cache'),
      NO_COLOR: '1',
      ENTROPIC_REGISTRY: registry.replace(/\/$/, ''),
      ENTROPIC_TOKEN: alice.token,
    };
    const downloaded = await runDs(['download', 'alice/lib@1.0.0', '--json'], home, dsEnv);
    assert.equal(downloaded.code, 0, downloaded.stderr);
    assert.equal(downloaded.json<{ version: string; files: number }>().version, '1.0.0');
    assert.equal(downloaded.json<{ files: number }>().files, 2);

    const project = join(root, 'ds-made');
    await mkdir(project, { recursive: true });
    await writeFile(
      join(project, 'Package.toml'),
      ['name = "alice/ds-made"', 'version = "3.0.0"', '[dependencies]', '"alice/lib" = "^1.0.0"', ''].join('\n'),
    );
    await writeFile(join(project, 'index.js'), "module.exports = 'ds-made + ' + require('@alice/lib');\n");
    const published = await runDs(['publish'], project, dsEnv);
    assert.equal(published.code, 0, published.stderr);

    const env = clientEnv(await makeHome(root, registry, alice.token));
    const consumer = join(root, 'ds-consumer');
    await writePackage(consumer, { name: 'c', version: '1.0.0', private: true, dependencies: { '@alice/ds-made': '3.0.0' } }, {});
    await run(NPM, ['install', '--registry', registry], consumer, env);
    assert.equal((await run(process.execPath, ['-p', "require('@alice/ds-made')"], consumer, env)).trim(), 'ds-made + lib');
  });

  it('with the upstream down: mirrored data is still served, pnpm and yarn install the same graph, a never-cached name is a 502', async () => {
    await verdaccio.stop();
    const never = await fetch(`${registry}never-cached`);
    assert.equal(never.status, 502);
    assert.match(((await never.json()) as { message: string }).message, /could not be reached.*never cached/);
    const notAllowed = await fetch(`${registry}not-on-the-list`);
    assert.equal(notAllowed.status, 404);

    const home = await makeHome(root, registry, alice.token);
    const env = clientEnv(home);
    const pnpmProject = join(root, 'pnpm-project');
    await writePackage(pnpmProject, { name: 'consumer', version: '1.0.0', private: true, dependencies: { '@alice/app': '^1.0.0' } }, {});
    await run(
      join(BIN, 'pnpm'),
      [
        'install',
        '--registry',
        registry,
        '--store-dir',
        join(home, 'pnpm-store'),
        '--cache-dir',
        join(home, 'pnpm-cache'),
        '--config.confirmModulesPurge=false',
        // pnpm holds back versions younger than a day by default; these were published seconds ago
        '--config.minimum-release-age=0',
        '--config.fetch-retries=0',
      ],
      pnpmProject,
      env,
    );
    assert.equal((await run(process.execPath, ['-p', "require('@alice/app')"], pnpmProject, env)).trim(), 'lib + legacy 1.3');

    const yarnProject = join(root, 'yarn-project');
    await writePackage(yarnProject, { name: 'consumer', version: '1.0.0', private: true, dependencies: { '@alice/app': '^1.0.0' } }, {});
    await run(
      join(BIN, 'yarn'),
      ['install', '--registry', registry, '--cache-folder', join(home, 'yarn-cache'), '--non-interactive', '--no-progress'],
      yarnProject,
      env,
    );
    assert.equal((await run(process.execPath, ['-p', "require('@alice/app')"], yarnProject, env)).trim(), 'lib + legacy 1.3');
    const yarnLock = await readFile(join(yarnProject, 'yarn.lock'), 'utf8');
    assert.ok(yarnLock.includes(`${registry}legacy-dep/-/legacy-dep-1.3.0.tgz`));
    assert.ok(!yarnLock.includes('registry.yarnpkg.com') && !yarnLock.includes('registry.npmjs.org'));
    assert.ok(existsSync(join(yarnProject, 'node_modules/@alice/lib/package.json')));
    // the mirrored tarball is served (upstream down) and hashes to the upstream's dist.integrity
    const packument = (await (await fetch(`${registry}legacy-dep`)).json()) as {
      versions: Record<string, { dist: { integrity: string } }>;
    };
    const tgz = Buffer.from(await (await fetch(`${registry}legacy-dep/-/legacy-dep-1.3.0.tgz`)).arrayBuffer());
    assert.equal(`sha512-${createHash('sha512').update(tgz).digest('base64')}`, packument.versions['1.3.0']?.dist.integrity);
  });
});
