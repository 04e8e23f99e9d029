import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ENCODINGS, isBucketName, objectLayout, objectPath, parentsOf, parseObjectName } from '../src/object-layout.ts';

const hex = 'ab'.repeat(64);

describe('object layout', () => {
  const layout = objectLayout('some/dir');

  it('resolves the root and puts objects under sha512/ and uploads under tmp/', () => {
    assert.equal(layout.root, resolve('some/dir'));
    assert.equal(layout.objectsDir, join(layout.root, 'sha512'));
    assert.equal(layout.tmpDir, join(layout.root, 'tmp'));
  });

  it('fans objects out by the first two pairs of hex digits, one suffix per encoding', () => {
    assert.equal(objectPath(layout, hex, 'raw'), join(layout.objectsDir, 'ab', 'ab', hex));
    assert.equal(objectPath(layout, hex, 'brotli'), join(layout.objectsDir, 'ab', 'ab', `${hex}.br`));
    assert.deepEqual(ENCODINGS, ['raw', 'brotli']);
  });

  it('names the directories from a bucket up to the root, root included', () => {
    const leaf = join(layout.objectsDir, 'ab', 'cd');
    assert.deepEqual(parentsOf(layout, leaf), [join(layout.objectsDir, 'ab'), layout.objectsDir, layout.root]);
  });

  it('reads object names back and rejects foreign files and buckets', () => {
    assert.deepEqual(parseObjectName(hex), { hex, encoding: 'raw' });
    assert.deepEqual(parseObjectName(`${hex}.br`), { hex, encoding: 'brotli' });
    for (const name of [`${hex}.gz`, hex.slice(1), hex.toUpperCase(), `${hex}.br.tmp`, '.DS_Store']) {
      assert.equal(parseObjectName(name), undefined, name);
    }
    assert.equal(isBucketName('0f'), true);
    assert.equal(isBucketName('0F'), false);
    assert.equal(isBucketName('0f0'), false);
  });
});
