import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AppError,
  federatedNpmName,
  formatPackageName,
  type Host,
  hostFromUrl,
  isFederatedNpmName,
  isValidNamespaceName,
  npmNameOf,
  parseDependencyName,
  parseFederatedNpmName,
  parseNamespaceName,
  parseNamespaceSegment,
  parseNewNamespaceName,
  parsePackageName,
  parseRange,
  parseVersion,
} from '@entropic/types';

const HOST = 'registry.test:3000' as Host;

function assertCode(fn: () => unknown, code: string, pattern?: RegExp): AppError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AppError, `expected an AppError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

describe('hostFromUrl', () => {
  it('drops the scheme and keeps the port', () => {
    assert.equal(hostFromUrl('http://localhost:3000'), 'localhost:3000');
    assert.equal(hostFromUrl('https://registry.example.com/'), 'registry.example.com');
  });
});

describe('namespace names', () => {
  it('accepts lowercase a-z, 0-9 and inner single hyphens, 2–64 characters', () => {
    for (const name of ['ab', 'alice', 'a1', '1a', 'my-org', 'a-b-c', 'x'.repeat(64)]) {
      assert.equal(isValidNamespaceName(name), true, name);
      assert.equal(parseNamespaceName(name), name);
    }
  });

  it('refuses everything else with INVALID_NAMESPACE', () => {
    for (const name of ['', 'a', 'x'.repeat(65), 'Alice', '-ab', 'ab-', 'a--b', 'a_b', 'a.b', 'a b', 'ä', 'ab\u0000']) {
      assert.equal(isValidNamespaceName(name), false, JSON.stringify(name));
      assertCode(() => parseNamespaceName(name), 'INVALID_NAMESPACE');
    }
  });

  it('refuses reserved names for registration but not for lookup', () => {
    for (const name of ['legacy', 'abandonware', 'www', 'api', 'admin', 'objects', 'packages', 'auth', 'namespaces', 'users', 'static']) {
      assertCode(() => parseNewNamespaceName(name), 'RESERVED_NAME');
      assertCode(() => parseNewNamespaceName(name, 'username'), 'RESERVED_NAME');
      assert.equal(parseNamespaceName(name), name);
    }
    assert.equal(parseNewNamespaceName('alice'), 'alice');
  });

  it('names the kind of name in the error', () => {
    assertCode(() => parseNewNamespaceName('A', 'username'), 'INVALID_USERNAME');
    assertCode(() => parseNewNamespaceName('A'), 'INVALID_NAMESPACE');
  });

  it('parses `ns@host` segments; a bare namespace means this host', () => {
    assert.deepEqual(parseNamespaceSegment('alice', HOST), { namespace: 'alice', host: HOST });
    assert.deepEqual(parseNamespaceSegment(`alice@${HOST}`, HOST), { namespace: 'alice', host: HOST });
    assert.deepEqual(parseNamespaceSegment('bob@Other.Example:8080', HOST), { namespace: 'bob', host: 'other.example:8080' });
  });

  it('refuses a segment with an empty, oversized or malformed host', () => {
    for (const segment of ['alice@', 'alice@host/x', 'alice@ho st', `alice@${'h'.repeat(256)}`, 'alice@host:123456', 'Alice@host']) {
      assertCode(() => parseNamespaceSegment(segment, HOST), 'INVALID_NAMESPACE');
    }
  });
});

describe('package names', () => {
  it('accepts npm names for new packages', () => {
    for (const name of ['a', 'left-pad', 'lodash.merge', 'a_b', 'a~b', '0', 'x'.repeat(214)]) {
      assert.equal(parsePackageName(name, 'alice'), name);
    }
  });

  it('refuses names that break npm rules with INVALID_PACKAGE_NAME', () => {
    const bad = [
      '',
      'x'.repeat(215),
      'Upper',
      '.hidden',
      '_private',
      'node_modules',
      'favicon.ico',
      ' space',
      'a b',
      'a/b',
      '@scope/name',
      'a%20b',
      'ä',
      'a:b',
    ];
    for (const name of bad) assertCode(() => parsePackageName(name, 'alice'), 'INVALID_PACKAGE_NAME');
  });

  it('accepts npm legacy names (scopes, upper case) only in the legacy namespace', () => {
    for (const name of ['@types/node', 'JSONStream', "can't-stop", '@Scope/Name']) {
      assert.equal(parsePackageName(name, 'legacy'), name);
    }
    for (const name of ['@scope', '@a/b/c', 'a/b', '@scope/.x', '@_s/x', 'node_modules', 'a b']) {
      assertCode(() => parsePackageName(name, 'legacy'), 'INVALID_PACKAGE_NAME');
    }
  });

  it('formats the full name with the name percent-encoded', () => {
    assert.equal(formatPackageName({ namespace: 'alice', host: HOST, name: 'pkg' } as never), `alice@${HOST}/pkg`);
    assert.equal(formatPackageName({ namespace: 'legacy', host: HOST, name: '@types/node' } as never), `legacy@${HOST}/%40types%2Fnode`);
  });
});

describe('versions', () => {
  it('accepts canonical semver, prereleases included', () => {
    for (const version of ['0.0.0', '1.0.0', '10.20.30', '1.0.0-beta.1', '1.0.0-rc.1.x-y', '1.0.0-0']) {
      assert.equal(parseVersion(version), version);
    }
  });

  it('refuses non-canonical versions with a suggestion when one exists', () => {
    const cases: Array<[string, string | undefined]> = [
      ['v1.0.0', '1.0.0'],
      ['=1.0.0', '1.0.0'],
      [' 1.0.0', '1.0.0'],
      ['1.0', '1.0.0'],
      ['1', '1.0.0'],
      ['1.0.0+build.5', '1.0.0'],
      ['latest', undefined],
      ['01.0.0', undefined],
      ['', undefined],
    ];
    for (const [input, suggestion] of cases) {
      const error = assertCode(() => parseVersion(input), 'INVALID_VERSION');
      if (suggestion) {
        assert.match(error.message, new RegExp(`try "${suggestion.replaceAll('.', '\\.')}"`), input);
        assert.equal(error.hint, `Use "${suggestion}".`);
      } else {
        assert.doesNotMatch(error.message, /try/, input);
        assert.equal(error.hint, undefined);
      }
    }
  });
});

describe('ranges', () => {
  it('accepts semver ranges', () => {
    for (const range of ['^1.0.0', '~2.1', '>=1 <2', '1.x', '*', '', '1.0.0 - 2.0.0', '^1.0.0 || ^2.0.0']) {
      assert.equal(parseRange(range, 'dependencies', 'x'), range);
    }
  });

  it('refuses non-ranges, non-strings and oversized ranges with INVALID_DEPENDENCY', () => {
    for (const range of ['latest', 'not a range', 'git+https://example.com/x.git', 1, null, {}, ['^1'], '1'.repeat(257)]) {
      assertCode(() => parseRange(range, 'dependencies', 'x'), 'INVALID_DEPENDENCY', /dependencies/);
    }
  });
});

describe('dependency names', () => {
  const canonical = (raw: string) => formatPackageName(parseDependencyName(raw, HOST));

  it('canonicalises the three accepted forms to ns@host/<encoded name>', () => {
    assert.equal(canonical('alice/foo'), `alice@${HOST}/foo`);
    assert.equal(canonical(`alice@${HOST}/foo`), `alice@${HOST}/foo`);
    assert.equal(canonical('bob@other.example:8080/bar'), 'bob@other.example:8080/bar');
    assert.equal(canonical('lodash'), `legacy@${HOST}/lodash`);
    assert.equal(canonical('JSONStream'), `legacy@${HOST}/JSONStream`);
    assert.equal(canonical('@types/node'), `legacy@${HOST}/%40types%2Fnode`);
    assert.equal(canonical('legacy/%40types%2Fnode'), `legacy@${HOST}/%40types%2Fnode`);
  });

  it('refuses bad names with INVALID_DEPENDENCY', () => {
    const bad = [
      '',
      'x'.repeat(513),
      'alice/',
      '/foo',
      'ALICE/foo',
      'alice@/x',
      'alice/UPPER',
      'alice/%40x',
      'alice/%E0%A4%A',
      '@scope',
      '@a/b/c',
      '.x',
      'a b',
    ];
    for (const raw of bad) assertCode(() => parseDependencyName(raw, HOST), 'INVALID_DEPENDENCY');
  });
});

describe('npm names of remote packages (the federated scope)', () => {
  const remote = [
    { namespace: 'alice', host: 'b.example.org', name: 'left-pad' },
    { namespace: 'bob-2', host: '127.0.0.1:3001', name: 'x.y_z~1' },
    { namespace: 'ab', host: 'xn--bcher-kva.example', name: '3001__x' },
    { namespace: 'ab', host: 'b.org:3001', name: 'x' },
  ];

  it('maps ns@host/name of another host under @entropic.remote and back, one name each', () => {
    const names = remote.map((ref) => npmNameOf(ref, HOST));
    assert.deepEqual(names, [
      '@entropic.remote/alice.b.example.org__left-pad',
      '@entropic.remote/bob-2.127.0.0.1_3001__x.y_z~1',
      '@entropic.remote/ab.xn--bcher-kva.example__3001__x',
      '@entropic.remote/ab.b.org_3001__x',
    ]);
    assert.equal(new Set(names).size, names.length);
    for (const [i, name] of names.entries()) assert.deepEqual(parseFederatedNpmName(name), remote[i]);
    // a dependency named so is that remote package, never a legacy (upstream) one
    assert.equal(formatPackageName(parseDependencyName(names[0] as string, HOST)), 'alice@b.example.org/left-pad');
  });

  it('keeps local and legacy names: @ns/name here, the bare npm name for legacy of any host', () => {
    assert.equal(npmNameOf({ namespace: 'alice', host: HOST, name: 'x' }, HOST), '@alice/x');
    assert.equal(npmNameOf({ namespace: 'legacy', host: HOST, name: '@types/node' }, HOST), '@types/node');
    assert.equal(npmNameOf({ namespace: 'legacy', host: 'b.example.org', name: 'lodash' }, HOST), 'lodash');
    assert.equal(federatedNpmName({ namespace: 'alice', host: HOST, name: 'x' }), '@entropic.remote/alice.registry.test_3000__x');
    assert.equal(parseFederatedNpmName('@alice/x'), undefined);
    assert.equal(parseFederatedNpmName('lodash'), undefined);
  });

  it('refuses a name under the scope that maps no package (it is never looked up elsewhere)', () => {
    for (const bad of [
      '@entropic.remote/left-pad',
      '@entropic.remote/alice.b.example.org',
      '@entropic.remote/alice.b.example.org__',
      '@entropic.remote/alice.b.example.org__UPPER',
      '@entropic.remote/alice.b.example.org___x',
      '@entropic.remote/legacy.b.example.org__lodash',
      '@entropic.remote/alice.b_99999__x',
      '@entropic.remote/alice.b_0080__x',
      '@Entropic.Remote/alice.b.example.org__x',
    ]) {
      assert.ok(isFederatedNpmName(bad), bad);
      assertCode(() => parseFederatedNpmName(bad), 'INVALID_PACKAGE_NAME');
    }
  });
});
