import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync } from 'node:zlib';
import { isAppError } from '@entropic/types';
import { encodeBlobHeader } from '../src/blob-header.ts';
import type { BlobContent } from '../src/blob-store.ts';
import { openBrotliObject, openRawObject } from '../src/read-object.ts';

async function bytesOf(content: BlobContent | undefined): Promise<string> {
  assert.ok(content);
  if (content.bytes !== undefined) return content.bytes.toString();
  const chunks: Buffer[] = [];
  for await (const chunk of content.stream as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('ranged reads of stored files', () => {
  let dir: string;
  let rawPath: string;
  let brotliPath: string;
  const text = 'abcdefghijklmnopqrstuvwxyz';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'entropic-read-object-'));
    rawPath = join(dir, 'raw');
    brotliPath = join(dir, 'raw.br');
    await writeFile(rawPath, text);
    await writeFile(brotliPath, Buffer.concat([encodeBlobHeader('brotli', text.length), brotliCompressSync(text)]));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('answers small raw content inline and larger content as a stream', async () => {
    const inline = await openRawObject(rawPath, undefined, 1024);
    assert.ok(inline?.bytes);
    assert.equal(await bytesOf(inline), text);
    const streamed = await openRawObject(rawPath, undefined, 10);
    assert.ok(streamed?.stream);
    assert.equal(streamed.size, text.length);
    assert.equal(await bytesOf(streamed), text);
  });

  it('serves an inclusive range, clamped to the end, from either encoding', async () => {
    for (const [open, path] of [
      [openRawObject, rawPath],
      [openBrotliObject, brotliPath],
    ] as const) {
      const middle = await open(path, { start: 2, end: 4 }, -1);
      assert.equal(middle?.size, 3);
      assert.equal(await bytesOf(middle), 'cde');
      const tail = await open(path, { start: 24, end: 1000 }, -1);
      assert.equal(await bytesOf(tail), 'yz');
      await assert.rejects(open(path, { start: 26, end: 30 }, -1), (error) => isAppError(error) && error.code === 'RANGE_NOT_SATISFIABLE');
    }
  });

  it('is undefined for a missing file and INTERNAL for an encoded file without a valid header', async () => {
    assert.equal(await openRawObject(join(dir, 'nothing'), undefined, -1), undefined);
    assert.equal(await openBrotliObject(join(dir, 'nothing.br'), undefined, -1), undefined);
    const broken = join(dir, 'broken.br');
    await writeFile(broken, 'not a header');
    await assert.rejects(openBrotliObject(broken, undefined, -1), (error) => isAppError(error) && error.code === 'INTERNAL');
  });
});
