import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installName, parsePackageSpec, specFromCanonical } from '../src/parse-package-spec.ts';

const HOST = 'registry.test:3000';

describe('parsePackageSpec', () => {
  it('parses ns@host/name@range', () => {
    const spec = parsePackageSpec('alice@other.example/pkg@^1.2.0', HOST);
    assert.deepEqual(spec.ref, { namespace: 'alice', host: 'other.example', name: 'pkg' });
    assert.equal(spec.range, '^1.2.0');
    assert.equal(spec.explicitRange, true);
    assert.equal(spec.canonical, 'alice@other.example/pkg');
  });

  it('gives ns/name the registry host and the latest tag', () => {
    const spec = parsePackageSpec('alice/pkg', HOST);
    assert.equal(spec.canonical, `alice@${HOST}/pkg`);
    assert.equal(spec.range, 'latest');
    assert.equal(spec.explicitRange, false);
  });

  it('puts bare and scoped npm names in legacy, keeping the scope', () => {
    assert.equal(parsePackageSpec('lodash@4', HOST).canonical, `legacy@${HOST}/lodash`);
    const scoped = parsePackageSpec('@types/node@beta', HOST);
    assert.equal(scoped.ref.name, '@types/node');
    assert.equal(scoped.canonical, `legacy@${HOST}/%40types%2Fnode`);
    assert.equal(scoped.range, 'beta');
  });

  it('rejects malformed specs with INVALID_SPEC', () => {
    for (const bad of ['', 'a b', 'alice/../x', 'Alice/pkg', 'alice/Pkg', 'alice/pkg@', 'alice/pkg@>=>1', 'x/pkg', 'alice@/pkg']) {
      assert.throws(() => parsePackageSpec(bad, HOST), { code: 'INVALID_SPEC' }, bad);
    }
  });

  it('maps install names: @ns/pkg, npm names as they are', () => {
    assert.equal(installName(parsePackageSpec('alice/pkg', HOST).ref), '@alice/pkg');
    assert.equal(installName(parsePackageSpec('@types/node', HOST).ref), '@types/node');
    assert.equal(installName(parsePackageSpec('lodash', HOST).ref), 'lodash');
  });

  it('reads canonical dependency names from version documents', () => {
    const spec = specFromCanonical(`legacy@${HOST}/%40scope%2Fx`, '^1.0.0');
    assert.equal(spec.ref.name, '@scope/x');
    assert.equal(spec.canonical, `legacy@${HOST}/%40scope%2Fx`);
    assert.throws(() => specFromCanonical('nonsense', '1'), { code: 'INVALID_SPEC' });
  });
});
