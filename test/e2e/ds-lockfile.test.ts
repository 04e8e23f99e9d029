import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type DsUser, type DsWorld, startDsWorld, tempDir, writeProject } from '../../packages/cli/test/support/ds-harness.ts';

const exec = promisify(execFile);

interface InstallJson {
  lockfile: string;
  packages: Array<{ path: string; name: string; version: string }>;
}

describe('ds install keeps locked versions when the manifest changes', { timeout: 180_000 }, () => {
  let world: DsWorld;
  let alice: DsUser;
  let host: string;

  /** Publishes alice/<name>@<version> exporting "<name>@<version>", with dependencies. */
  async function publish(name: string, version: string, deps: Record<string, string> = {}): Promise<void> {
    const dir = await writeProject(await tempDir(), {
      'Package.toml': [
        `name = "alice/${name}"`,
        `version = "${version}"`,
        'main = "index.js"',
        '[dependencies]',
        ...Object.entries(deps).map(([k, v]) => `"${k}" = "${v}"`),
        '',
      ].join('\n'),
      'index.js': `module.exports = ${JSON.stringify(`${name}@${version}`)};\n`,
    });
    const out = await alice.ds(['publish'], { cwd: dir });
    assert.equal(out.code, 0, out.stderr);
  }

  const table = (result: InstallJson) => Object.fromEntries(result.packages.map((p) => [p.path, p.version]));
  /** Package documents the run asked the registry for (from --verbose). */
  const metadataRequests = (stderr: string) =>
    [...stderr.matchAll(/GET \S+\/packages\/package\/alice@[^/]+\/([a-z-]+) →/g)].map((m) => m[1]).sort();

  before(async () => {
    world = await startDsWorld(['alice']);
    alice = await world.user({ as: 'alice' });
    host = new URL(world.registry.url).host;
    await publish('dep', '1.0.0');
    await publish('mid', '1.0.0', { 'alice/dep': '^1.0.0' });
  });
  after(async () => {
    await world?.stop();
  });

  it('resolves only what changed; a range the locked version no longer satisfies moves, and duplicates fold', async () => {
    const user = await world.user();
    const project = await writeProject(await tempDir(), { 'Package.toml': '[dependencies]\n"alice/mid" = "^1.0.0"\n' });
    const first = await user.ds(['install', '--json'], { cwd: project });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(table(first.json<InstallJson>()), { 'node_modules/@alice/dep': '1.0.0', 'node_modules/@alice/mid': '1.0.0' });

    // newer versions appear; the project adds an unrelated dependency
    await publish('dep', '1.1.0');
    await publish('mid', '1.1.0', { 'alice/dep': '^1.0.0' });
    await publish('other', '1.0.0');
    await writeFile(join(project, 'Package.toml'), '[dependencies]\n"alice/mid" = "^1.0.0"\n"alice/other" = "^1.0.0"\n');
    const added = await user.ds(['install', '--json', '--verbose'], { cwd: project });
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.json<InstallJson>().lockfile, 'written');
    assert.deepEqual(table(added.json<InstallJson>()), {
      'node_modules/@alice/dep': '1.0.0',
      'node_modules/@alice/mid': '1.0.0',
      'node_modules/@alice/other': '1.0.0',
    });
    assert.deepEqual(metadataRequests(added.stderr), ['other'], 'only the new dependency is resolved');
    const lock = await readFile(join(project, 'Package.lock'), 'utf8');
    assert.match(lock, new RegExp(`"alice@${host}/other" = "\\^1\\.0\\.0"`));
    assert.equal((await exec(process.execPath, ['-p', "require('@alice/mid')"], { cwd: project })).stdout.trim(), 'mid@1.0.0');

    // a range the locked version no longer satisfies resolves anew; its dependency stays locked
    await writeFile(join(project, 'Package.toml'), '[dependencies]\n"alice/mid" = "^1.1.0"\n"alice/other" = "^1.0.0"\n');
    const raised = await user.ds(['install', '--json', '--verbose'], { cwd: project });
    assert.equal(raised.code, 0, raised.stderr);
    assert.deepEqual(table(raised.json<InstallJson>()), {
      'node_modules/@alice/dep': '1.0.0',
      'node_modules/@alice/mid': '1.1.0',
      'node_modules/@alice/other': '1.0.0',
    });
    assert.deepEqual(metadataRequests(raised.stderr), ['mid']);

    // the root asks for dep ^1.1.0: mid's ^1.0.0 is satisfied by it too, so one copy (as npm)
    await writeFile(
      join(project, 'Package.toml'),
      '[dependencies]\n"alice/mid" = "^1.1.0"\n"alice/other" = "^1.0.0"\n"alice/dep" = "^1.1.0"\n',
    );
    const direct = await user.ds(['install', '--json'], { cwd: project });
    assert.equal(direct.code, 0, direct.stderr);
    assert.deepEqual(table(direct.json<InstallJson>()), {
      'node_modules/@alice/dep': '1.1.0',
      'node_modules/@alice/mid': '1.1.0',
      'node_modules/@alice/other': '1.0.0',
    });

    // removing a dependency drops it and changes nothing else, even offline (all from the cache)
    await writeFile(join(project, 'Package.toml'), '[dependencies]\n"alice/mid" = "^1.1.0"\n"alice/dep" = "^1.1.0"\n');
    const removed = await user.ds(['install', '--json', '--offline'], { cwd: project });
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(table(removed.json<InstallJson>()), { 'node_modules/@alice/dep': '1.1.0', 'node_modules/@alice/mid': '1.1.0' });
  });

  it('a package named on the command line updates (as npm does); the rest stays locked', async () => {
    // runs after the test above published dep 1.1.0 and mid 1.1.0
    const user = await world.user();
    const project = await writeProject(await tempDir(), {
      'Package.toml': '[dependencies]\n"alice/mid" = "1.0.0"\n"alice/dep" = "1.0.0"\n',
    });
    const exact = await user.ds(['install', '--json'], { cwd: project });
    assert.equal(exact.code, 0, exact.stderr);
    const tree = {
      'node_modules/@alice/dep': '1.0.0',
      'node_modules/@alice/mid': '1.0.0',
      'node_modules/@alice/mid/node_modules/@alice/dep': '1.1.0',
    };
    assert.deepEqual(table(exact.json<InstallJson>()), tree);
    // loosened ranges: the locked tree still satisfies them and stays exactly as it was
    await writeFile(join(project, 'Package.toml'), '[dependencies]\n"alice/mid" = "^1.0.0"\n"alice/dep" = "^1.0.0"\n');
    const loosened = await user.ds(['install', '--json'], { cwd: project });
    assert.equal(loosened.code, 0, loosened.stderr);
    assert.deepEqual(table(loosened.json<InstallJson>()), tree);

    // naming dep updates it everywhere, which folds the two copies into one
    const updated = await user.ds(['install', 'alice/dep@^1.0.0', '--json'], { cwd: project });
    assert.equal(updated.code, 0, updated.stderr);
    assert.deepEqual(table(updated.json<InstallJson>()), { 'node_modules/@alice/dep': '1.1.0', 'node_modules/@alice/mid': '1.0.0' });
  });
});
