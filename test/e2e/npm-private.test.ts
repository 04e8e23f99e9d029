// Issue 9.1/9.4/9.6 with the real npm CLI: `npm access set status=private|public`, `get status`,
// `list packages`, `list collaborators`, and `npm install` of a private package, which works with
// a member's token and fails as a 404 (a package that does not exist) without one or with an
// outsider's.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp, type TestUser } from '@entropic/testkit';
import { failing, npmUserEnv, run, writeProject } from './support/npm-cli.ts';

describe('private packages with the real npm CLI', { timeout: 600_000 }, () => {
  let root: string;
  let t: TestApp;
  let registry: string;
  let alice: TestUser;
  let bob: TestUser;

  const home = (name: string, token?: string) => npmUserEnv(root, registry, name, token);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-private-'));
    t = await createTestApp();
    registry = `${await t.listen()}/`;
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
  });
  after(async () => {
    await t?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('npm access set/get status, list packages and collaborators; npm install with and without read access', async () => {
    const asAlice = await home('alice', alice.token);
    const asBob = await home('bob', bob.token);
    const anonymous = await home('anonymous');
    const lib = join(root, 'lib');
    await writeProject(lib, { name: '@alice/secret', version: '1.0.0', main: 'index.js' });
    await writeFile(join(lib, 'index.js'), 'module.exports = "the secret";\n');
    await run('npm', ['publish'], lib, asAlice);

    assert.match(await run('npm', ['access', 'get', 'status', '@alice/secret'], root, asAlice), /@alice\/secret: public/);
    assert.match(await run('npm', ['access', 'set', 'status=private', '@alice/secret'], root, asAlice), /@alice\/secret: private/);
    assert.match(await run('npm', ['access', 'get', 'status', '@alice/secret'], root, asAlice), /@alice\/secret: private/);
    assert.match(await run('npm', ['access', 'list', 'packages'], root, asAlice), /@alice\/secret: read-write/);
    assert.match(await run('npm', ['access', 'list', 'packages', '@alice'], root, asAlice), /@alice\/secret: read-write/);
    assert.match(await run('npm', ['access', 'list', 'collaborators', '@alice/secret'], root, asAlice), /alice: read-write/);
    const json = JSON.parse(await run('npm', ['access', 'list', 'packages', 'alice', '--json'], root, asAlice)) as Record<string, string>;
    assert.deepEqual(json, { '@alice/secret': 'read-write' });

    // outsiders: the package does not exist for them
    assert.doesNotMatch(await run('npm', ['access', 'list', 'packages', 'alice'], root, asBob), /secret/);
    assert.match(await failing('npm', ['access', 'get', 'status', '@alice/secret'], root, asBob), /404 Not Found/);
    assert.match(await failing('npm', ['access', 'list', 'collaborators', '@alice/secret'], root, anonymous), /404 Not Found/);
    assert.match(await failing('npm', ['view', '@alice/secret'], root, asBob), /404 Not Found/);
    assert.match(await failing('npm', ['access', 'set', 'status=public', '@alice/secret'], root, asBob), /403 Forbidden/);

    const app = join(root, 'app');
    await writeProject(app, { name: 'app', version: '1.0.0', dependencies: { '@alice/secret': '^1.0.0' } });
    for (const [who, env] of [
      ['anonymous', anonymous],
      ['bob', asBob],
    ] as const) {
      const refused = await failing('npm', ['install'], app, env);
      assert.match(refused, /E404|404 Not Found/, `${who}: ${refused}`);
      assert.doesNotMatch(refused, /E403|E401/, who);
    }
    await run('npm', ['install'], app, asAlice);
    assert.equal(await readFile(join(app, 'node_modules/@alice/secret/index.js'), 'utf8'), 'module.exports = "the secret";\n');

    assert.match(await run('npm', ['access', 'set', 'status=public', '@alice/secret'], root, asAlice), /@alice\/secret: public/);
    await rm(join(app, 'node_modules'), { recursive: true, force: true });
    await rm(join(app, 'package-lock.json'), { force: true });
    await run('npm', ['install'], app, anonymous);
    assert.equal(await readFile(join(app, 'node_modules/@alice/secret/index.js'), 'utf8'), 'module.exports = "the secret";\n');
  });
});
