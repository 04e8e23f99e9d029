import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { computeIntegrity } from '@entropic/client';
import { createContentCache, defaultCacheDir } from '../src/content-cache.ts';

describe('content cache', () => {
  it('stores verified content under its hash', async () => {
    const cache = createContentCache(await mkdtemp(join(tmpdir(), 'ds-cache-')));
    const bytes = Buffer.from('hello');
    const integrity = computeIntegrity(bytes);
    const path = await cache.write(integrity, bytes, 'hello');
    assert.equal(await readFile(path, 'utf8'), 'hello');
    assert.equal(await cache.has(integrity), true);
    assert.deepEqual(await cache.read(integrity), bytes);
  });

  it('writes nothing when the content does not match its integrity', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ds-cache-'));
    const cache = createContentCache(root);
    const integrity = computeIntegrity('expected');
    await assert.rejects(cache.write(integrity, Buffer.from('tampered'), 'x'), { code: 'INTEGRITY_MISMATCH' });
    assert.equal(await cache.has(integrity), false);
    assert.deepEqual(await readdir(root), []);
  });

  it('defaults to $ENTROPIC_CACHE, then $XDG_CACHE_HOME/entropic, then ~/.cache/entropic', () => {
    assert.equal(defaultCacheDir({ ENTROPIC_CACHE: '/c' }), '/c');
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/entropic');
    assert.equal(defaultCacheDir({ HOME: '/h' }), '/h/.cache/entropic');
  });
});
