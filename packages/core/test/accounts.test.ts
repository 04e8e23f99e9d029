import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  clearSignInAttempts,
  countSignInAttempt,
  createLocalUser,
  createUserWithIdentity,
  findAccountUser,
  PASSWORD_MAX_LENGTH,
  signInWithIdentity,
  verifyLocalSignIn,
} from '../src/index.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

const PASSWORD = 'correct horse battery';

describe('account use cases (on real repositories)', () => {
  let deps: TestCoreDeps;
  before(async () => {
    deps = await createTestCoreDeps();
  });
  after(() => deps.close());

  it('createLocalUser stores an argon2 hash, never the password; verifyLocalSignIn checks it', async () => {
    const alice = await createLocalUser(deps, { name: 'alice', email: null, password: PASSWORD });
    const row = await deps.repos.users.findByName('alice');
    assert.match(row?.password_hash ?? '', /^\$argon2id\$/);
    assert.deepEqual(await verifyLocalSignIn(deps, { name: ' Alice ', password: PASSWORD }), alice);
    assert.equal(await verifyLocalSignIn(deps, { name: 'alice', password: 'wrong password' }), undefined);
    assert.equal(await verifyLocalSignIn(deps, { name: 'nobody', password: PASSWORD }), undefined);
    assert.equal(await verifyLocalSignIn(deps, { name: 'alice', password: 'x'.repeat(PASSWORD_MAX_LENGTH + 1) }), undefined);
    assert.deepEqual(await findAccountUser(deps, { id: alice.id }), alice);
    assert.equal(await findAccountUser(deps, { id: 999_999 }), undefined);
  });

  it('createLocalUser refuses short and oversized passwords before storing anything', async () => {
    await assert.rejects(createLocalUser(deps, { name: 'bob', email: null, password: 'short' }), { code: 'INVALID_FIELD' });
    await assert.rejects(createLocalUser(deps, { name: 'bob', email: null, password: 'x'.repeat(PASSWORD_MAX_LENGTH + 1) }), {
      code: 'INVALID_FIELD',
    });
    assert.equal(await deps.repos.users.findByName('bob'), undefined);
  });

  it('a provider identity signs in nobody until a user is created with it, then signs in that user and records the profile', async () => {
    const identity = { provider: 'github', subject: '1001', username: 'octo', email: 'octo@example.test', accessTokenSealed: 'sealed-1' };
    assert.equal(await signInWithIdentity(deps, { identity }), undefined);
    const octo = await createUserWithIdentity(deps, { name: 'octo', email: identity.email, identity });
    assert.deepEqual(
      await signInWithIdentity(deps, { identity: { ...identity, username: 'octocat', accessTokenSealed: 'sealed-2' } }),
      octo,
    );
    const row = await deps.db.selectFrom('identities').selectAll().where('subject', '=', '1001').executeTakeFirstOrThrow();
    assert.equal(row.user_id, octo.id);
    assert.equal(row.remote_username, 'octocat');
    assert.equal(row.access_token_sealed, 'sealed-2');
    await assert.rejects(createUserWithIdentity(deps, { name: 'octo2', email: null, identity }), { code: 'USER_EXISTS' });
    assert.equal(await deps.repos.users.findByName('octo2'), undefined);
  });

  it('countSignInAttempt allows the limits, then RATE_LIMITED with retryAfterSeconds (no HTTP headers); a success clears the account', async () => {
    const limits = { perAccount: 2, perAddress: 5, windowSeconds: 60 };
    await countSignInAttempt(deps, { account: 'carol', address: '10.0.0.1', limits });
    await countSignInAttempt(deps, { account: 'Carol', address: '10.0.0.1', limits });
    await assert.rejects(countSignInAttempt(deps, { account: 'carol', address: '10.0.0.1', limits }), (error: unknown) => {
      const e = error as { code: string; retryAfterSeconds?: number; headers?: unknown };
      return e.code === 'RATE_LIMITED' && e.retryAfterSeconds === 60 && e.headers === undefined;
    });
    await clearSignInAttempts(deps, { account: 'CAROL' });
    await countSignInAttempt(deps, { account: 'carol', address: '10.0.0.1', limits });
    // the address kept counting: 4 so far, the 6th is over
    await countSignInAttempt(deps, { address: '10.0.0.1', limits });
    await assert.rejects(countSignInAttempt(deps, { address: '10.0.0.1', limits }), { code: 'RATE_LIMITED' });
    await countSignInAttempt(deps, { address: '10.0.0.2', limits });
  });
});
