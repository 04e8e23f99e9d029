import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { objectLayout, objectPath } from '../src/object-layout.ts';
import { placeObject } from '../src/place-object.ts';
import { createUnsyncedObjects } from '../src/unsynced-objects.ts';

describe('placing a temp file as an object', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entropic-place-object-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function temp(name: string, content: string): Promise<string> {
    const path = join(dir, 'tmp', name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    return path;
  }

  it('links the temp file in place once; a second put of the same object creates nothing', async () => {
    const layout = objectLayout(dir);
    const unsynced = createUnsyncedObjects();
    const hex = '01'.repeat(64);
    const input = { layout, unsynced, hex, encoding: 'raw', size: 5, deferred: false } as const;
    assert.equal(await placeObject({ ...input, tempPath: await temp('a', 'hello') }), true);
    assert.equal(await placeObject({ ...input, tempPath: await temp('b', 'hello') }), false);
    assert.equal(await readFile(objectPath(layout, hex, 'raw'), 'utf8'), 'hello');
    assert.equal(unsynced.size, 0, 'synced puts leave nothing to sync');
  });

  it('makes a bucket once, and again when a delete removed it after it was remembered', async () => {
    const layout = objectLayout(dir);
    const unsynced = createUnsyncedObjects();
    const buckets = new Set<string>();
    const first = '0301'.padEnd(128, '1');
    const second = '0301'.padEnd(128, '2');
    const input = { layout, unsynced, encoding: 'raw', size: 5, deferred: false, buckets } as const;
    assert.equal(await placeObject({ ...input, hex: first, tempPath: await temp('c', 'first') }), true);
    const leaf = dirname(objectPath(layout, first, 'raw'));
    assert.deepEqual([...buckets], [leaf], 'remembered');
    // emptied and removed by a delete (removeEmptyBuckets): the next put into it makes it again
    await rm(dirname(leaf), { recursive: true });
    assert.equal(await placeObject({ ...input, hex: second, tempPath: await temp('d', 'other') }), true);
    assert.equal(await readFile(objectPath(layout, second, 'raw'), 'utf8'), 'other');
  });

  it('creates nothing when the object is stored in the other encoding', async () => {
    const layout = objectLayout(dir);
    const hex = '02'.repeat(64);
    const brotliPath = objectPath(layout, hex, 'brotli');
    await mkdir(dirname(brotliPath), { recursive: true });
    await writeFile(brotliPath, 'stored compressed');
    const placed = await placeObject({
      layout,
      unsynced: createUnsyncedObjects(),
      tempPath: await temp('c', 'hello'),
      hex,
      encoding: 'raw',
      size: 5,
      deferred: false,
    });
    assert.equal(placed, false);
    assert.deepEqual(await readdir(dirname(brotliPath)), [`${hex}.br`]);
  });

  it('with deferSync remembers the file and every new directory up to the root for sync()', async () => {
    const layout = objectLayout(dir);
    const unsynced = createUnsyncedObjects();
    const hex = 'fe'.repeat(64);
    const tempPath = await temp('d', 'hello');
    assert.equal(await placeObject({ layout, unsynced, tempPath, hex, encoding: 'raw', size: 5, deferred: true }), true);
    const leaf = dirname(objectPath(layout, hex, 'raw'));
    assert.deepEqual(unsynced.get(hex), {
      files: [objectPath(layout, hex, 'raw')],
      dirs: [leaf, dirname(leaf), layout.objectsDir, layout.root],
    });
  });
});
