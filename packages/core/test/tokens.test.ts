import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  authenticateToken,
  createToken,
  createUser,
  hashToken,
  isWellFormedToken,
  listTokens,
  revokeToken,
  touchToken,
} from '../src/index.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('token use cases (on real repositories)', () => {
  let deps: TestCoreDeps;
  let alice: number;
  let bob: number;
  before(async () => {
    deps = await createTestCoreDeps();
    alice = (await createUser(deps, { name: 'alice' })).id;
    bob = (await createUser(deps, { name: 'bob' })).id;
  });
  after(() => deps.close());

  it('createToken mints a well-formed token once, stores only its hash, publish scope by default', async () => {
    const { token, info } = await createToken(deps, { userId: alice, description: '  laptop ' });
    assert.ok(isWellFormedToken(token));
    assert.equal(info.description, 'laptop');
    assert.equal(info.scope, 'publish');
    assert.equal(info.expires, null);
    assert.equal(info.lastUsed, null);
    const stored = await deps.repos.tokens.findByHash(hashToken(token));
    assert.equal(stored?.id, info.id);
    const rows = await deps.db.selectFrom('tokens').select('hash').execute();
    assert.ok(rows.every((row) => row.hash !== token));
  });

  it('createToken refuses empty or long descriptions, unknown scopes and past expiries', async () => {
    const before = (await listTokens(deps, { userId: alice })).length;
    await assert.rejects(createToken(deps, { userId: alice, description: '   ' }), { code: 'INVALID_FIELD' });
    await assert.rejects(createToken(deps, { userId: alice, description: 'x'.repeat(201) }), { code: 'INVALID_FIELD' });
    await assert.rejects(createToken(deps, { userId: alice, description: 'x', scope: 'admin' as 'read' }), { code: 'INVALID_TOKEN_SCOPE' });
    await assert.rejects(createToken(deps, { userId: alice, description: 'x', expiresAt: new Date(Date.now() - 1000) }), {
      code: 'INVALID_FIELD',
    });
    assert.equal((await listTokens(deps, { userId: alice })).length, before);
  });

  it('authenticateToken resolves the principal; malformed, unknown, revoked and expired tokens are INVALID_TOKEN', async () => {
    const { token, info } = await createToken(deps, { userId: alice, description: 'read', scope: 'read' });
    const found = await authenticateToken(deps, { token });
    assert.deepEqual(found.principal, { userId: alice, username: 'alice', scope: 'read', tokenId: info.id });
    assert.equal(found.hash, hashToken(token));
    await assert.rejects(authenticateToken(deps, { token: 'ent_v1_nope' }), { code: 'INVALID_TOKEN', message: 'The token is malformed.' });
    await assert.rejects(authenticateToken(deps, { token: 'ent_v1_00000000-0000-4000-8000-000000000000' }), {
      code: 'INVALID_TOKEN',
      message: 'The token is unknown.',
    });
    const soon = await createToken(deps, { userId: alice, description: 'soon', expiresAt: new Date(Date.now() + 60_000) });
    const later = { ...deps, clock: { now: () => new Date(Date.now() + 120_000) } };
    await assert.rejects(authenticateToken(later, { token: soon.token }), { code: 'INVALID_TOKEN', message: 'The token has expired.' });
    await revokeToken(deps, { userId: alice, tokenId: info.id });
    await assert.rejects(authenticateToken(deps, { token }), { code: 'INVALID_TOKEN', message: 'The token has been revoked.' });
  });

  it('listTokens lists the user’s unrevoked tokens, newest first; touchToken records use', async () => {
    const { info } = await createToken(deps, { userId: bob, description: 'first' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await createToken(deps, { userId: bob, description: 'second' });
    assert.deepEqual(
      (await listTokens(deps, { userId: bob })).map((t) => t.description),
      ['second', 'first'],
    );
    const at = new Date('2030-01-01T00:00:00Z');
    await touchToken({ ...deps, clock: { now: () => at } }, { tokenId: info.id });
    const touched = (await listTokens(deps, { userId: bob })).find((t) => t.id === info.id);
    assert.equal(touched?.lastUsed, at.toISOString());
  });

  it('revokeToken revokes only the owner’s token and emits token-revoked with its hash after the change', async () => {
    const { token, info } = await createToken(deps, { userId: bob, description: 'to revoke' });
    deps.emitted.length = 0;
    await assert.rejects(revokeToken(deps, { userId: alice, tokenId: info.id }), { code: 'TOKEN_NOT_FOUND' });
    await assert.rejects(revokeToken(deps, { userId: bob, tokenId: 'not-a-uuid' }), { code: 'TOKEN_NOT_FOUND' });
    assert.deepEqual(deps.emitted, []);
    await revokeToken(deps, { userId: bob, tokenId: info.id });
    assert.deepEqual(deps.emitted, [{ type: 'token-revoked', hash: hashToken(token) }]);
    assert.ok(!(await listTokens(deps, { userId: bob })).some((t) => t.id === info.id));
    await assert.rejects(revokeToken(deps, { userId: bob, tokenId: info.id }), { code: 'TOKEN_NOT_FOUND' });
    assert.equal(deps.emitted.length, 1);
  });
});
