import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTrusted } from '../src/dependency-scripts.ts';
import { installScripts, scriptEnv, shellQuote } from '../src/lifecycle-scripts.ts';
import { platformFits } from '../src/package-platform.ts';

const LINUX = { os: 'linux', cpu: 'x64', libc: 'glibc' };

describe('lifecycle script rules (issue 11)', () => {
  it('trustedDependencies entries: a name, name@range, name@integrity; nothing else matches', () => {
    assert.equal(isTrusted(['esbuild'], 'esbuild', '0.25.0', 'sha512-a'), true);
    assert.equal(isTrusted(['esbuild@^0.25.0'], 'esbuild', '0.25.3', 'sha512-a'), true);
    assert.equal(isTrusted(['esbuild@^0.24.0'], 'esbuild', '0.25.3', 'sha512-a'), false);
    assert.equal(isTrusted(['esbuild@sha512-a'], 'esbuild', '0.25.3', 'sha512-a'), true);
    assert.equal(isTrusted(['esbuild@sha512-b'], 'esbuild', '0.25.3', 'sha512-a'), false);
    assert.equal(isTrusted(['esbuil'], 'esbuild', '0.25.3', 'sha512-a'), false);
    assert.equal(isTrusted(['esbuild-wasm'], 'esbuild', '0.25.3', 'sha512-a'), false);
    assert.equal(isTrusted(['@scope/pkg@1.0.0'], '@scope/pkg', '1.0.0', 'sha512-a'), true);
    assert.equal(isTrusted(['alice@example.org/pkg'], 'alice@example.org/pkg', '1.0.0', 'sha512-a'), true);
  });

  it('install scripts as npm picks them; binding.gyp implies node-gyp rebuild unless install or preinstall exists', () => {
    assert.deepEqual(installScripts({ scripts: { postinstall: 'p', test: 't' } }, false), [['postinstall', 'p']]);
    assert.deepEqual(installScripts({}, true), [['install', 'node-gyp rebuild']]);
    assert.deepEqual(installScripts({ scripts: { preinstall: 'x' } }, true), [['preinstall', 'x']]);
    assert.deepEqual(installScripts({ gypfile: false }, true), []);
  });

  it("the environment: .bin of every directory up ahead of PATH, npm's package variables", () => {
    const env = scriptEnv(
      { env: { PATH: '/usr/bin', npm_package_name: 'stale' }, initCwd: '/w' },
      '/p/node_modules/a',
      {
        name: 'a',
        version: '1.0.0',
        config: { port: 80 },
        bin: { x: 'x.js' },
      },
      'postinstall',
      'node x',
    );
    assert.deepEqual(env.PATH?.split(':').slice(0, 3), [
      '/p/node_modules/a/node_modules/.bin',
      '/p/node_modules/node_modules/.bin',
      '/p/node_modules/.bin',
    ]);
    assert.equal(env.PATH?.split(':').at(-1), '/usr/bin');
    assert.equal(env.npm_package_name, 'a');
    assert.equal(env.npm_package_config_port, '80');
    assert.equal(env.npm_package_bin_x, 'x.js');
    assert.equal(env.npm_lifecycle_event, 'postinstall');
    assert.equal(env.npm_lifecycle_script, 'node x');
    assert.equal(env.INIT_CWD, '/w');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  it('os/cpu/libc as npm-install-checks: lists, !negations, libc only where known', () => {
    assert.equal(platformFits({ os: ['linux'], cpu: ['x64'] }, LINUX), true);
    assert.equal(platformFits({ os: ['darwin'] }, LINUX), false);
    assert.equal(platformFits({ os: ['!win32'] }, LINUX), true);
    assert.equal(platformFits({ cpu: ['!x64'] }, LINUX), false);
    assert.equal(platformFits({ libc: ['musl'] }, LINUX), false);
    assert.equal(platformFits({ libc: ['musl'] }, { os: 'darwin', cpu: 'arm64', libc: undefined }), true);
    assert.equal(platformFits(undefined, LINUX), true);
  });
});
