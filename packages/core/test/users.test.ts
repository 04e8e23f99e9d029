import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser, findUserByName, getUserByName } from '../src/index.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('user use cases (on real repositories)', () => {
  let deps: TestCoreDeps;
  before(async () => {
    deps = await createTestCoreDeps();
  });
  after(() => deps.close());

  it('createUser makes the user, its namespace and an accepted membership, with the name normalised', async () => {
    const user = await createUser(deps, { name: 'alice', email: ' alice@example.test ', passwordHash: 'hash' });
    assert.equal(user.name, 'alice');
    const row = await getUserByName(deps, { name: 'alice' });
    assert.equal(row.id, user.id);
    assert.equal(row.email, 'alice@example.test');
    assert.equal(row.password_hash, 'hash');
    const namespace = await deps.repos.namespaces.find('alice', null);
    assert.equal(namespace?.id, user.namespaceId);
    assert.equal(namespace?.kind, 'user');
    assert.equal(await deps.repos.teams.isAcceptedMember(user.id, user.namespaceId), true);
  });

  it('refuses bad names and emails before storing anything', async () => {
    await assert.rejects(createUser(deps, { name: 'Not A Name' }), { code: 'INVALID_USERNAME' });
    await assert.rejects(createUser(deps, { name: 'bob', email: 'not-an-email' }), { code: 'INVALID_FIELD' });
    await assert.rejects(createUser(deps, { name: 'bob', email: `${'x'.repeat(250)}@example.test` }), { code: 'INVALID_FIELD' });
    assert.equal(await findUserByName(deps, { name: 'bob' }), undefined);
  });

  it('a taken name (user or namespace) or email is USER_EXISTS and leaves nothing behind', async () => {
    await assert.rejects(createUser(deps, { name: 'alice' }), { code: 'USER_EXISTS', message: 'The name "alice" is taken.' });
    await assert.rejects(createUser(deps, { name: 'legacy' }), { code: 'RESERVED_NAME' });
    // an organisation's name (organisations are another module's use case)
    await deps.db.insertInto('namespaces').values({ name: 'acme', host: null, kind: 'org' }).execute();
    await assert.rejects(createUser(deps, { name: 'acme' }), { code: 'USER_EXISTS', message: 'The name "acme" is taken.' });
    assert.equal(await findUserByName(deps, { name: 'acme' }), undefined);
    await assert.rejects(createUser(deps, { name: 'carol', email: 'alice@example.test' }), {
      code: 'USER_EXISTS',
      message: 'That email address is already used by another account.',
    });
    assert.equal(await findUserByName(deps, { name: 'carol' }), undefined);
    assert.equal(await deps.repos.namespaces.find('carol', null), undefined);
  });

  it('an identity that is already linked rolls the whole user back', async () => {
    const identity = { provider: 'github', subject: '7', username: 'dave', email: null, accessTokenSealed: null };
    await createUser(deps, { name: 'dave', identity });
    await assert.rejects(createUser(deps, { name: 'dave2', identity }), { code: 'USER_EXISTS' });
    assert.equal(await findUserByName(deps, { name: 'dave2' }), undefined);
    assert.equal(await deps.repos.namespaces.find('dave2', null), undefined);
  });

  it('getUserByName is USER_NOT_FOUND for an unknown name', async () => {
    await assert.rejects(getUserByName(deps, { name: 'nobody' }), { code: 'USER_NOT_FOUND', message: 'The user "nobody" does not exist.' });
  });
});
