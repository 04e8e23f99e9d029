import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp, type TestUser } from '@entropic/testkit';
import { failing, npmUserEnv, run, writeProject } from './support/npm-cli.ts';

describe('the npm CLI prints our error messages, not only a status line (issue 17.4)', { timeout: 300_000 }, () => {
  let root: string;
  let t: TestApp;
  let registry: string;
  let alice: TestUser;
  let bob: TestUser;

  const home = (user: TestUser) => npmUserEnv(root, registry, user.name, user.token, [`@alice:registry=${registry}`]);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-errors-'));
    t = await createTestApp();
    registry = `${await t.listen()}/`;
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
  });
  after(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('npm publish without rights, of a version that existed, and npm dist-tag add without rights', async () => {
    const asAlice = await home(alice);
    const asBob = await home(bob);
    const project = join(root, 'x');
    await writeProject(project, { name: '@alice/x', version: '1.0.0' });
    await writeFile(join(project, 'index.js'), 'module.exports = 1;\n');

    const intruder = await failing('npm', ['publish'], project, asBob);
    assert.match(intruder, /403 Forbidden - PUT \S+ - \S.*(member|maintainer)/i);

    await run('npm', ['publish'], project, asAlice);
    await writeProject(project, { name: '@alice/x', version: '1.0.1' });
    await run('npm', ['publish'], project, asAlice);
    await run('npm', ['unpublish', '@alice/x@1.0.0', '--force'], project, asAlice);
    await writeProject(project, { name: '@alice/x', version: '1.0.0' });
    const again = await failing('npm', ['publish', '--tag', 'old'], project, asAlice);
    assert.match(again, /409 Conflict - PUT \S+ - Cannot publish over "@alice\/x@1\.0\.0": that version was published before/);

    const tag = await failing('npm', ['dist-tag', 'add', '@alice/x@1.0.1', 'beta'], root, asBob);
    assert.match(tag, /403 Forbidden - PUT \S+\/dist-tags\/beta - You are not a maintainer of "alice@[^"]+\/x"/);
  });
});
