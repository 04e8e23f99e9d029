// Reading a gzipped npm tarball: a small one is inflated in one call, within the same bounds as
// the stream that reads a large one (or one that inflates past the one-call bound).
import assert from 'node:assert/strict';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { inspectTarball, readTarball } from '../src/npm-tarball.ts';

async function tarball(files: Array<{ name: string; content: Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk) => void chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const file of files) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: file.name, size: file.content.length }, file.content, (e) => (e ? reject(e) : resolve())),
    );
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

const MIB = 1024 * 1024;
const limits = (maxVersionBytes: number) => ({ maxDependencies: 100, maxFiles: 100, maxFileBytes: maxVersionBytes, maxVersionBytes });

describe('readTarball', () => {
  it('reads a small tarball’s files', async () => {
    const bytes = await tarball([
      { name: 'package/package.json', content: Buffer.from('{"name":"a"}') },
      { name: 'package/lib/a.js', content: Buffer.from('module.exports = 1;\n') },
    ]);
    const read: Array<[string, string]> = [];
    for await (const entry of readTarball(bytes, limits(MIB))) read.push([entry.path, (await buffer(entry.stream)).toString()]);
    assert.deepEqual(read, [
      ['package/package.json', '{"name":"a"}'],
      ['package/lib/a.js', 'module.exports = 1;\n'],
    ]);
  });

  it('reads a small tarball that inflates past the one-call bound (16 MiB) through the stream, when the limits allow it', async () => {
    const big = Buffer.alloc(20 * MIB, 7);
    const bytes = await tarball([{ name: 'package/big.bin', content: big }]);
    assert.ok(bytes.length < 256 * 1024, `compressed to ${bytes.length} bytes`);
    let size = 0;
    for await (const entry of readTarball(bytes, limits(32 * MIB))) size += (await buffer(entry.stream)).length;
    assert.equal(size, big.length);
  });

  it('refuses a small tarball that inflates past the version limit, and a truncated one', async () => {
    const bytes = await tarball([{ name: 'package/big.bin', content: Buffer.alloc(4 * MIB) }]);
    await assert.rejects(inspectTarball(bytes, limits(MIB)), { code: 'VERSION_TOO_LARGE' });
    await assert.rejects(inspectTarball(bytes.subarray(0, 40), limits(MIB)), { code: 'INVALID_TARBALL' });
  });
});
