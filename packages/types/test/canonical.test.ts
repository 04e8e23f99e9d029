import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalVersionDocument, hexToIntegrity, integrityToHex, isIntegrity, sha512Integrity } from '@entropic/types';

const empty = { dependencies: {}, devDependencies: {}, peerDependencies: {}, optionalDependencies: {}, bundledDependencies: {} };

describe('canonical version document', () => {
  it('has exactly the six keys in the order of API.md §5 and no whitespace', () => {
    const text = canonicalVersionDocument({ files: { './package/index.js': 'sha512-a' }, ...empty });
    assert.equal(
      text,
      '{"files":{"./package/index.js":"sha512-a"},"dependencies":{},"devDependencies":{},"peerDependencies":{},"optionalDependencies":{},"bundledDependencies":{}}',
    );
  });

  it('ignores the order of the input keys', () => {
    const a = canonicalVersionDocument({
      ...empty,
      bundledDependencies: { 'b@h/y': '*', 'a@h/x': '*' },
      files: { './package/b': '2', './package/a': '1' },
      dependencies: { 'z@h/z': '^1', 'a@h/a': '^2' },
    });
    const b = canonicalVersionDocument({
      files: { './package/a': '1', './package/b': '2' },
      dependencies: { 'a@h/a': '^2', 'z@h/z': '^1' },
      devDependencies: {},
      peerDependencies: {},
      optionalDependencies: {},
      bundledDependencies: { 'a@h/x': '*', 'b@h/y': '*' },
    });
    assert.equal(a, b);
    assert.deepEqual(Object.keys(JSON.parse(a).files), ['./package/a', './package/b']);
  });

  it('sorts keys by UTF-16 code unit, not by locale', () => {
    const files = { './package/é': '1', './package/Z': '2', './package/a': '3', './package/\u{1F600}': '4', './package/\uFF21': '5' };
    const keys = Object.keys(JSON.parse(canonicalVersionDocument({ files, ...empty })).files);
    assert.deepEqual(keys, ['./package/Z', './package/a', './package/é', './package/\u{1F600}', './package/\uFF21']);
  });

  it('hashes to the sha512 of its exact bytes', () => {
    const text = canonicalVersionDocument({ files: { './package/index.js': 'sha512-x' }, ...empty });
    const expected = `sha512-${createHash('sha512').update(Buffer.from(text, 'utf8')).digest('base64')}`;
    assert.equal(sha512Integrity(text), expected);
    assert.equal(sha512Integrity(Buffer.from(text)), expected);
  });
});

describe('integrity strings', () => {
  it('recognises only sha512 with an 88-character base64 digest', () => {
    const good = sha512Integrity('hello');
    assert.equal(isIntegrity(good), true);
    assert.equal(isIntegrity(good.replace('sha512-', 'sha256-')), false);
    assert.equal(isIntegrity(good.slice(0, -2)), false);
    assert.equal(isIntegrity(`${good}x`), false);
    assert.equal(isIntegrity(good.replace(/[+/]/g, '_')), good.search(/[+/]/) === -1);
    assert.equal(isIntegrity(''), false);
  });

  it('round-trips through hex', () => {
    const integrity = sha512Integrity('hello');
    const hex = integrityToHex(integrity);
    assert.equal(hex, createHash('sha512').update('hello').digest('hex'));
    assert.equal(hexToIntegrity(hex), integrity);
  });
});
