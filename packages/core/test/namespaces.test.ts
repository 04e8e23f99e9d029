import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ABANDONWARE, LEGACY } from '@entropic/types';
import { findNamespace, getNamespace } from '../src/index.ts';
import { createTestCoreDeps, type TestCoreDeps } from './support/core-deps.ts';

describe('namespaces (use cases on real repositories)', () => {
  let deps: TestCoreDeps;
  before(async () => {
    deps = await createTestCoreDeps();
  });
  after(() => deps.close());

  it('finds the system namespaces the migrations create, on this host', async () => {
    for (const name of [LEGACY, ABANDONWARE]) {
      const row = await getNamespace(deps.repos, { namespace: name, host: deps.host }, deps.host);
      assert.equal(row.name, name);
      assert.equal(row.host, null);
      assert.equal(row.kind, 'system');
    }
  });

  it('answers NAMESPACE_NOT_FOUND for a name that does not exist, and undefined from find', async () => {
    const ref = { namespace: 'nobody' as typeof LEGACY, host: deps.host };
    assert.equal(await findNamespace(deps.repos, ref, deps.host), undefined);
    await assert.rejects(getNamespace(deps.repos, ref, deps.host), { code: 'NAMESPACE_NOT_FOUND' });
  });
});
