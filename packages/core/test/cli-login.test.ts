import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cancelCliLogin, completeCliLogin, findCliLogin, parseCliLoginId, pollCliLogin, startCliLogin } from '../src/index.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('CLI login use cases (on the key-value store)', () => {
  let deps: TestCoreDeps;
  before(async () => {
    deps = await createTestCoreDeps();
  });
  after(() => deps.close());

  it('start → pending until the website completes it → the token exactly once → gone', async () => {
    const id = await startCliLogin(deps, { hostname: 'laptop' });
    assert.equal(parseCliLoginId(id), id);
    assert.deepEqual(await findCliLogin(deps, { id }), { hostname: 'laptop' });
    assert.deepEqual(await pollCliLogin(deps, { id }), { state: 'pending' });
    await completeCliLogin(deps, { id, token: 'ent_v1_token' });
    assert.equal(await findCliLogin(deps, { id }), undefined, 'no longer pending');
    assert.deepEqual(await pollCliLogin(deps, { id }), { state: 'done', token: 'ent_v1_token' });
    await assert.rejects(pollCliLogin(deps, { id }), { code: 'LOGIN_SESSION_NOT_FOUND' });
    await assert.rejects(completeCliLogin(deps, { id, token: 'again' }), { code: 'LOGIN_SESSION_NOT_FOUND' });
  });

  it('a cancelled login polls as not found', async () => {
    const id = await startCliLogin(deps, { hostname: '' });
    await cancelCliLogin(deps, { id });
    assert.equal(await findCliLogin(deps, { id }), undefined);
    await assert.rejects(pollCliLogin(deps, { id }), { code: 'LOGIN_SESSION_NOT_FOUND' });
    await cancelCliLogin(deps, { id });
  });

  it('ids that are not UUIDs are refused by poll and unknown to the website', async () => {
    await assert.rejects(pollCliLogin(deps, { id: 'nope' }), { code: 'INVALID_SESSION_ID' });
    assert.equal(await findCliLogin(deps, { id: '../etc' }), undefined);
    await assert.rejects(pollCliLogin(deps, { id: '00000000-0000-4000-8000-000000000000' }), { code: 'LOGIN_SESSION_NOT_FOUND' });
  });
});
