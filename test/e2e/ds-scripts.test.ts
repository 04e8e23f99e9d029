import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createTestApp, type NpmUpstream, startNpmUpstream, type TestApp } from '@entropic/testkit';
import { runCli } from '../../packages/cli/src/run-cli.ts';
import { makeNpmTarball } from '../../packages/server/test/support/npm-tarball.ts';

const exec = promisify(execFile);
const OTHER_OS = process.platform === 'darwin' ? 'linux' : 'darwin';

/**
 * Lifecycle scripts (issue 11): the project's own as npm runs them; a dependency's only when the
 * manifest trusts it, in dependency order, copied rather than hard-linked; a failure keeps the old
 * node_modules; platform-specific optional dependencies (shaped like esbuild's) and bundled ones,
 * all through the `legacy` mirror of a local upstream, with the real `ds` code and real scripts.
 */
describe('ds lifecycle scripts, ds run/exec, platform and bundled dependencies', { timeout: 300_000 }, () => {
  let root: string;
  let upstream: NpmUpstream;
  let t: TestApp;
  let home: string;

  async function publish(name: string, version: string, manifest: Record<string, unknown>, files: Record<string, string> = {}) {
    const full = { name, version, main: 'index.js', ...manifest };
    const all = { 'index.js': `module.exports = ${JSON.stringify(`${name}@${version}`)};\n`, ...files };
    const tarball = await makeNpmTarball([
      { name: 'package/package.json', content: JSON.stringify(full) },
      ...Object.entries(all).map(([path, content]) => ({ name: `package/${path}`, content })),
    ]);
    upstream.publish(name, version, tarball, manifest);
  }

  async function ds(argv: string[], cwd: string, extraEnv: Record<string, string> = {}) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => err.push(c));
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      XDG_CACHE_HOME: join(home, '.cache'),
      ENTROPIC_REGISTRY: t.url,
      CI: '1',
      ...extraEnv,
    };
    const code = await runCli(argv, { stdout, stderr, env, cwd });
    return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  }

  async function project(manifest: Record<string, unknown>): Promise<string> {
    const dir = await mkdtemp(join(root, 'project-'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', ...manifest }));
    return dir;
  }

  const log = (what: string) => `echo "${what} $npm_package_name $npm_lifecycle_event" >> "$INIT_CWD/order.log"`;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ds-scripts-'));
    home = await mkdtemp(join(root, 'home-'));
    upstream = await startNpmUpstream();
    // base-dep ← mid-dep: both build; mid's script checks base's output exists (dependency order)
    await publish('base-dep', '1.0.0', { scripts: { postinstall: `${log('dep')} && echo built > built.txt` } });
    await publish(
      'mid-dep',
      '1.0.0',
      {
        dependencies: { 'base-dep': '^1.0.0' },
        scripts: {
          preinstall: log('dep'),
          postinstall: `test -f ../base-dep/built.txt && ${log('dep')} && echo "$PWD" > where.txt && echo changed > index.js`,
        },
        bin: { 'mid-tool': 'tool.js' },
      },
      { 'tool.js': '#!/usr/bin/env node\nconsole.log("mid-tool ran " + process.argv.slice(2).join(","));\n' },
    );
    await publish('failing-dep', '1.0.0', { scripts: { install: 'echo "compiling widget"; echo "fatal: no compiler" >&2; exit 3' } });
    await publish('gyp-dep', '1.0.0', {}, { 'binding.gyp': '{"targets": []}' });
    // like esbuild: a main package with a postinstall and one optional package per platform
    // the "native binary" is not in `bin` and tarball modes are not kept: ds recognises it as executable
    await publish(
      '@esb/linux-x64',
      '1.0.0',
      { os: [process.platform], cpu: [process.arch] },
      { 'bin/tool': '#!/bin/sh\necho native here\n' },
    );
    await publish('@esb/other', '1.0.0', { os: [OTHER_OS], cpu: ['arm64'] }, { 'bin/tool': 'native elsewhere\n' });
    await publish('esb', '1.0.0', {
      optionalDependencies: { '@esb/linux-x64': '1.0.0', '@esb/other': '1.0.0' },
      scripts: { postinstall: 'node -e "require.resolve(\'@esb/linux-x64/package.json\')" && ../@esb/linux-x64/bin/tool > ok.txt' },
    });
    // bundled: the tarball carries node_modules/inner, which the upstream does not have
    await publish(
      'bundler',
      '1.0.0',
      { dependencies: { 'bundled-inner': '^1.0.0' }, bundleDependencies: ['bundled-inner'] },
      {
        'index.js': "module.exports = 'bundler with ' + require('bundled-inner');\n",
        'node_modules/bundled-inner/package.json': JSON.stringify({ name: 'bundled-inner', version: '1.0.0', main: 'index.js' }),
        'node_modules/bundled-inner/index.js': "module.exports = 'inner';\n",
      },
    );
    t = await createTestApp({ env: { LEGACY_UPSTREAM: upstream.url } });
    await t.listen();
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("runs the project's scripts as npm does and no untrusted dependency's; lists them with the command to allow", async () => {
    const dir = await project({
      dependencies: { 'mid-dep': '^1.0.0' },
      config: { port: '8080' },
      scripts: {
        preinstall: log('root'),
        postinstall: `${log('root')} && echo "$npm_package_config_port $npm_lifecycle_script" > env.txt && command -v mid-tool >> env.txt`,
        prepare: `${log('root')} && pwd > cwd.txt`,
      },
    });
    const r = await ds(['install', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.deepEqual(result.scripts.project, ['preinstall', 'postinstall', 'prepare']);
    assert.deepEqual(
      result.scripts.blocked.map((b: { name: string }) => b.name),
      ['base-dep', 'mid-dep'],
    );
    assert.deepEqual(result.scripts.ran, []);
    assert.equal(await readFile(join(dir, 'order.log'), 'utf8'), 'root app preinstall\nroot app postinstall\nroot app prepare\n');
    const env = (await readFile(join(dir, 'env.txt'), 'utf8')).split('\n');
    assert.match(env[0] as string, /^8080 echo "root/);
    assert.equal(env[1], join(dir, 'node_modules/.bin/mid-tool'));
    assert.equal((await readFile(join(dir, 'cwd.txt'), 'utf8')).trim(), dir);
    assert.equal(existsSync(join(dir, 'node_modules/base-dep/built.txt')), false);

    const text = await ds(['install'], dir);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /2 dependencies have install scripts that did not run/);
    assert.match(text.stdout, /mid-dep@1\.0\.0 {2}preinstall: .*; postinstall: /);
    assert.match(text.stdout, /Allow them with: ds trust base-dep mid-dep/);
  });

  it('`ds trust` runs allowed dependencies in dependency order, on copies: the cache is not written through', async () => {
    const dir = await project({ dependencies: { 'mid-dep': '^1.0.0' } });
    assert.equal((await ds(['install'], dir)).code, 0);
    const r = await ds(['trust', 'mid-dep', 'base-dep@^1', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.deepEqual(result.trusted, ['base-dep@^1', 'mid-dep']);
    assert.deepEqual(
      result.scripts.ran.map((x: { name: string; events: string[] }) => [x.name, x.events]),
      [
        ['base-dep', ['postinstall']],
        ['mid-dep', ['preinstall', 'postinstall']],
      ],
    );
    assert.equal(
      await readFile(join(dir, 'order.log'), 'utf8'),
      'dep base-dep postinstall\ndep mid-dep preinstall\ndep mid-dep postinstall\n',
    );
    assert.equal((await readFile(join(dir, 'node_modules/mid-dep/where.txt'), 'utf8')).trim(), join(dir, 'node_modules/mid-dep'));
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).trustedDependencies, ['base-dep@^1', 'mid-dep']);
    // the script rewrote index.js in its own copy; another project links the cache's pristine file
    assert.equal(await readFile(join(dir, 'node_modules/mid-dep/index.js'), 'utf8'), 'changed\n');
    const other = await project({ dependencies: { 'mid-dep': '^1.0.0' } });
    assert.equal((await ds(['install', '--ignore-scripts'], other)).code, 0);
    assert.equal(await readFile(join(other, 'node_modules/mid-dep/index.js'), 'utf8'), 'module.exports = "mid-dep@1.0.0";\n');
    assert.equal(existsSync(join(other, 'order.log')), false);

    // unchanged: up to date, nothing runs again; a trust entry for another version allows nothing
    const again = await ds(['install', '--json'], dir);
    assert.equal(JSON.parse(again.stdout).upToDate, true);
    const pinned = await project({ dependencies: { 'base-dep': '^1.0.0' }, trustedDependencies: ['base-dep@2.0.0'] });
    const p = await ds(['install', '--json'], pinned);
    assert.deepEqual(JSON.parse(p.stdout).scripts.ran, []);
  });

  it('a failing script fails the install with its name, command and output, and keeps the previous node_modules', async () => {
    const dir = await project({ dependencies: { 'base-dep': '^1.0.0' } });
    assert.equal((await ds(['install'], dir)).code, 0);
    const lockBefore = await readFile(join(dir, 'Package.lock'), 'utf8');
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    manifest.dependencies['failing-dep'] = '^1.0.0';
    manifest.trustedDependencies = ['failing-dep'];
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
    const r = await ds(['install'], dir);
    assert.equal(r.code, 13, r.stderr);
    assert.match(
      r.stderr,
      /ds: error SCRIPT_FAILED: The install script of failing-dep@1\.0\.0 \(node_modules\/failing-dep\) exited with 3: echo "compiling widget"/,
    );
    assert.match(r.stderr, /compiling widget\nfatal: no compiler\n/);
    assert.equal(existsSync(join(dir, 'node_modules/failing-dep')), false);
    const { stdout } = await exec(process.execPath, ['-p', "require('base-dep')"], { cwd: dir });
    assert.equal(stdout.trim(), 'base-dep@1.0.0');
    assert.equal(await readFile(join(dir, 'Package.lock'), 'utf8'), lockBefore);

    const ignored = await ds(['install', '--ignore-scripts', '--json'], dir);
    assert.equal(ignored.code, 0, ignored.stderr);
    assert.equal(JSON.parse(ignored.stdout).scripts.ignored, true);
    assert.ok(existsSync(join(dir, 'node_modules/failing-dep/package.json')));
  });

  it('a binding.gyp without an install script implies `node-gyp rebuild` (listed, run only when trusted)', async () => {
    const dir = await project({ dependencies: { 'gyp-dep': '1.0.0' } });
    const r = await ds(['install', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).scripts.blocked[0].scripts, [['install', 'node-gyp rebuild']]);
  });

  it('installs an esbuild-shaped package: only the optional package for this platform, and its postinstall finds it', async () => {
    const dir = await project({ dependencies: { esb: '^1.0.0' }, trustedDependencies: ['esb'] });
    const r = await ds(['install', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.deepEqual(
      result.skipped.map((s: { name: string }) => s.name),
      ['@esb/other'],
    );
    assert.equal(await readFile(join(dir, 'node_modules/@esb/linux-x64/bin/tool'), 'utf8'), '#!/bin/sh\necho native here\n');
    assert.equal(existsSync(join(dir, 'node_modules/@esb/other')), false);
    assert.equal(await readFile(join(dir, 'node_modules/esb/ok.txt'), 'utf8'), 'native here\n');
    const lock = await readFile(join(dir, 'Package.lock'), 'utf8');
    assert.match(lock, new RegExp(`\\[packages\\."node_modules/@esb/other"\\]\\n(.+\\n)*optional = true\\nos = \\[ "${OTHER_OS}" \\]`));
    // the lockfile reused: the same packages, the other platform's still left out
    await rm(join(dir, 'node_modules'), { recursive: true });
    const again = await ds(['install', '--json'], dir);
    assert.equal(JSON.parse(again.stdout).lockfile, 'reused');
    assert.equal(existsSync(join(dir, 'node_modules/@esb/other')), false);
    assert.ok(existsSync(join(dir, 'node_modules/@esb/linux-x64/package.json')));
  });

  it('installs a package with bundleDependencies from its own files', async () => {
    const dir = await project({ dependencies: { bundler: '^1.0.0' } });
    const r = await ds(['install'], dir);
    assert.equal(r.code, 0, r.stderr);
    const { stdout } = await exec(process.execPath, ['-p', "require('bundler')"], { cwd: dir });
    assert.equal(stdout.trim(), 'bundler with inner');
  });

  it('`ds run` lists scripts, runs pre/post with arguments after --, and exits with the status; `ds exec` runs a bin', async () => {
    const dir = await project({
      dependencies: { 'mid-dep': '^1.0.0' },
      scripts: {
        prego: 'echo pre >> run.log',
        go: 'echo "go $npm_lifecycle_event" >> run.log; echo',
        postgo: 'echo post >> run.log',
        bad: 'exit 7',
      },
    });
    assert.equal((await ds(['install', '--ignore-scripts'], dir)).code, 0);
    const list = await ds(['run'], dir);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^Scripts:\n {2}prego\n {4}echo pre >> run\.log\n/);
    const go = await ds(['run', 'go', '--', 'a b', '$HOME'], dir);
    assert.equal(go.code, 0, go.stderr);
    assert.equal(go.stdout, 'a b $HOME\n');
    assert.equal(await readFile(join(dir, 'run.log'), 'utf8'), 'pre\ngo go\npost\n');
    const bad = await ds(['run', 'bad'], dir);
    assert.equal(bad.code, 7);
    assert.match(bad.stderr, /SCRIPT_FAILED: The bad script of app exited with 7: exit 7/);
    const missing = await ds(['run', 'nope'], dir);
    assert.equal(missing.code, 6);
    assert.match(missing.stderr, /SCRIPT_NOT_FOUND: The project has no script "nope"\.\nhint: Scripts: prego, go, postgo, bad\./);
    const tool = await ds(['exec', 'mid-tool', '--', 'x', 'y'], dir);
    assert.equal(tool.code, 0, tool.stderr);
    assert.equal(tool.stdout, 'mid-tool ran x,y\n');
  });

  it('`ds publish` runs prepublishOnly, prepack, prepare before listing files, then postpack, publish, postpublish', async () => {
    const alice = await t.createUser('alice');
    const dir = await project({
      name: '@alice/built',
      files: ['dist'],
      scripts: {
        prepublishOnly: 'echo prepublishOnly >> ../publish.log',
        prepack: 'mkdir -p dist && echo "module.exports = 1;" > dist/index.js && echo prepack >> ../publish.log',
        prepare: 'echo prepare >> ../publish.log',
        postpack: 'echo postpack >> ../publish.log',
        postpublish: 'echo "postpublish $npm_package_name" >> ../publish.log',
      },
    });
    const r = await ds(['publish', '--json'], dir, { ENTROPIC_TOKEN: alice.token });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).files.some((f: { path: string }) => f.path === 'dist/index.js'));
    assert.equal(
      await readFile(join(dir, '../publish.log'), 'utf8'),
      'prepublishOnly\nprepack\nprepare\npostpack\npostpublish @alice/built\n',
    );
  });
});
