import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientError } from '@entropic/client';
import type { PackageDocument } from '@entropic/types';
import { parsePackageSpec } from '../src/parse-package-spec.ts';
import { type EngineCheck, pickVersion } from '../src/pick-version.ts';

const HOST = 'registry.test';

/** chalk as the issue saw it: 6.0.0 (latest) needs Node 22, 5.x runs on any Node. */
const ENGINES: Record<string, string | undefined> = {
  '4.1.2': '>=10',
  '5.6.0': '^12.17.0 || ^14.13 || >=16.0.0',
  '5.6.2': '^12.17.0 || ^14.13 || >=16.0.0',
  '6.0.0': '>=22',
  '6.1.0': '>=22',
  '7.0.0-beta.1': '>=20',
};
const doc = (tags: Record<string, string>) =>
  ({ tags, versions: Object.fromEntries(Object.keys(ENGINES).map((v) => [v, `sha512-${v}`])) }) as unknown as PackageDocument;

function check(nodeVersion: string, strict = false): EngineCheck & { warnings: ClientError[] } {
  const warnings: ClientError[] = [];
  return { nodeVersion, strict, enginesNode: (v) => ENGINES[v], warn: (w) => warnings.push(w), warnings };
}

const pick = (raw: string, engines?: EngineCheck, tags: Record<string, string> = { latest: '6.1.0', legacy: '4.1.2' }) =>
  pickVersion(doc(tags), parsePackageSpec(raw, HOST), engines);

describe('pickVersion honours engines.node as npm does (issue 17.14)', () => {
  it('on Node 20, `chalk` (latest needs Node 22) is the highest version that fits, as npm picked 5.6.2', () => {
    const engines = check('20.19.0');
    assert.equal(pick('chalk', engines), '5.6.2');
    assert.equal(pick('chalk@latest', engines), '5.6.2');
    assert.equal(pick('chalk@*', engines), '5.6.2');
    assert.equal(pick('chalk@>=5', engines), '5.6.2');
    assert.deepEqual(engines.warnings, []);
  });

  it('on Node 22 the latest tag and the highest version win, as before', () => {
    const engines = check('22.3.0');
    assert.equal(pick('chalk', engines), '6.1.0');
    assert.equal(pick('chalk@^6', engines), '6.1.0');
    assert.equal(pick('chalk', engines, { latest: '6.0.0' }), '6.0.0');
  });

  it('without an engine check nothing changes', () => {
    assert.equal(pick('chalk'), '6.1.0');
    assert.equal(pick('chalk@^5'), '5.6.2');
    assert.equal(pick('chalk@^6'), '6.1.0');
  });

  it('when nothing the spec allows fits: a warning and the highest anyway (npm without engine-strict)', () => {
    const engines = check('20.19.0');
    assert.equal(pick('chalk@^6', engines), '6.1.0');
    assert.equal(engines.warnings.length, 1);
    const [warning] = engines.warnings;
    assert.equal(warning?.code, 'UNSUPPORTED_ENGINE');
    assert.match(warning?.message ?? '', /chalk/);
    assert.match(warning?.message ?? '', /"\^6"/);
    assert.match(warning?.message ?? '', /Node 20\.19\.0/);
    assert.match(warning?.message ?? '', /chalk@6\.1\.0 needs node ">=22"/);
    assert.match(warning?.hint ?? '', /--engine-strict/);
  });

  it('with engine-strict: UNSUPPORTED_ENGINE naming the package, the range and the Node version', () => {
    assert.throws(
      () => pick('chalk@^6', check('20.19.0', true)),
      (error: ClientError) =>
        error.code === 'UNSUPPORTED_ENGINE' &&
        /No version of chalk matching "\^6" supports Node 20\.19\.0/.test(error.message) &&
        /ds install chalk@<range>/.test(error.hint ?? ''),
    );
    assert.equal(pick('chalk@^5', check('20.19.0', true)), '5.6.2');
  });

  it('an explicit tag is the version it names; when that does not fit, a warning (or the strict refusal)', () => {
    const engines = check('8.0.0');
    assert.equal(pick('chalk@legacy', engines), '4.1.2');
    assert.equal(engines.warnings.length, 1);
    assert.throws(() => pick('chalk@legacy', check('8.0.0', true)), { code: 'UNSUPPORTED_ENGINE' });
  });

  it('versions without engines always fit; an unknown range still fails as before', () => {
    const engines: EngineCheck = { ...check('0.10.0'), enginesNode: () => undefined };
    assert.equal(pick('chalk', engines), '6.1.0');
    assert.throws(() => pick('chalk@^9', check('20.19.0')), { code: 'NO_MATCHING_VERSION' });
    assert.throws(() => pick('chalk@nope', check('20.19.0')), { code: 'UNKNOWN_TAG' });
  });
});

describe('pickVersion and deprecated versions (npm deprecate, issue 17.12)', () => {
  const deprecatedDoc = (deprecated: Record<string, string>) =>
    ({
      tags: { latest: '6.1.0' },
      versions: Object.fromEntries(Object.keys(ENGINES).map((v) => [v, `sha512-${v}`])),
      deprecated,
    }) as unknown as PackageDocument;
  const pickFrom = (raw: string, deprecated: Record<string, string>, engines?: EngineCheck) =>
    pickVersion(deprecatedDoc(deprecated), parsePackageSpec(raw, HOST), engines);

  it('a range prefers the highest version that is not deprecated, as npm does', () => {
    assert.equal(pickFrom('chalk@^6', { '6.1.0': 'broken' }), '6.0.0');
    assert.equal(pickFrom('chalk@>=5', { '6.1.0': 'broken', '6.0.0': 'broken' }), '5.6.2');
  });

  it('a deprecated version stays resolvable when nothing else satisfies the range, and tags still name it', () => {
    assert.equal(pickFrom('chalk@^6', { '6.1.0': 'broken', '6.0.0': 'broken' }), '6.1.0');
    assert.equal(pickFrom('chalk@6.1.0', { '6.1.0': 'broken' }), '6.1.0');
    assert.equal(pickFrom('chalk', { '6.1.0': 'broken' }), '6.1.0');
  });

  it('with engines: not deprecated and fitting first', () => {
    assert.equal(pickFrom('chalk@^5', { '5.6.2': 'broken' }, check('20.19.0')), '5.6.0');
  });
});
