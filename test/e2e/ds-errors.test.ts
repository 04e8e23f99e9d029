import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runDs, tempDir } from '../../packages/cli/test/support/ds-harness.ts';

async function ds(args: string[], env: Record<string, string> = {}) {
  const home = await tempDir('ds-e2e-home-');
  return runDs(args, home, { PATH: process.env.PATH ?? '', HOME: home, XDG_CACHE_HOME: `${home}/.cache`, ...env });
}

describe('ds errors and help (no registry needed)', () => {
  it('prints help for ds and for every command', async () => {
    const help = await ds(['--help']);
    assert.equal(help.code, 0);
    const names = [...help.stdout.matchAll(/^ {2}([a-z]+(?: [a-z]+)?) {2,}/gm)].map((m) => m[1] as string);
    assert.ok(names.length >= 24, `commands listed: ${names.join(', ')}`);
    for (const name of ['login', 'install', 'publish', 'tag add', 'org create', 'token revoke']) assert.ok(names.includes(name), name);
    const each = await Promise.all(names.map((name) => ds([...name.split(' '), '--help'])));
    each.forEach((result, i) => {
      assert.equal(result.code, 0, names[i]);
      assert.match(result.stdout, new RegExp(`Usage:\\n {2}ds ${names[i]}`), names[i]);
      assert.match(result.stdout, /--registry/);
    });
    assert.equal((await ds(['--version'])).stdout, '0.1.0\n');
  });

  it('unknown commands and bad flags are usage errors (exit 2)', async () => {
    const unknown = await ds(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'ds: error UNKNOWN_COMMAND: Unknown command "frobnicate".\nhint: Run `ds --help` to list the commands.\n');
    const flag = await ds(['ping', '--bogus']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^ds: error USAGE: .*bogus/);
  });

  it('a malformed spec ends with one clear line and exit 2, also in --json', async () => {
    const bad = await ds(['download', 'Alice/../x', '--registry', 'http://127.0.0.1:9']);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^ds: error INVALID_SPEC: "Alice\/\.\.\/x" is not a valid package spec: "Alice" is not a valid namespace\.\nhint: /,
    );
    const json = await ds(['download', 'a/b@>>>', '--json', '--registry', 'http://127.0.0.1:9']);
    assert.equal(json.code, 2);
    assert.equal(json.json<{ error: { code: string } }>().error.code, 'INVALID_SPEC');
  });

  it('a missing manifest is exit 3', async () => {
    for (const command of ['publish', 'install']) {
      const out = await ds([command, '--registry', 'http://127.0.0.1:9']);
      assert.equal(out.code, 3, command);
      assert.match(out.stderr, /^ds: error MANIFEST_NOT_FOUND: Could not find Package\.toml or package\.json in /, command);
    }
  });

  it('an unreachable registry is a network error (exit 8); a non-URL registry a usage error', async () => {
    const down = await ds(['ping', '--registry', 'http://127.0.0.1:9']);
    assert.equal(down.code, 8);
    assert.match(down.stderr, /^ds: error NETWORK_ERROR: Could not reach the registry at http:\/\/127\.0\.0\.1:9: .*\nhint: Check the URL/);
    const bad = await ds(['ping'], { ENTROPIC_REGISTRY: 'nope' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"nope" is not a registry URL/);
  });

  it('an invalid ~/.entropicrc is exit 3', async () => {
    const home = await tempDir('ds-e2e-home-');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${home}/.entropicrc`, 'registry = [');
    const out = await runDs(['ping'], home, { PATH: process.env.PATH ?? '', HOME: home });
    assert.equal(out.code, 3);
    assert.match(out.stderr, /^ds: error INVALID_CONFIG: .*\.entropicrc is not valid TOML/);
  });
});
