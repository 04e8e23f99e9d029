import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type ErrorCode, hexToIntegrity, type Integrity, isAppError, sha512Integrity } from '@entropic/types';
import type { BlobInfo, BlobStore } from '../src/index.ts';

/** What a contract run needs from an implementation; the optional hooks enable deeper checks. */
export interface BlobStoreSubject {
  store: BlobStore;
  /** how many stored entries (files, rows…) the medium holds for this object: proves dedupe */
  storedCopies?(integrity: Integrity): Promise<number>;
  /** how many temporary entries are left over (must be 0 once a put has settled) */
  tempEntries?(): Promise<number>;
  /** damages what is stored for the object so that verify must report it */
  corrupt?(integrity: Integrity): Promise<void>;
  cleanup(): Promise<void>;
}

const MB = 1024 * 1024;

/** Streams `size` bytes made by `block` in 64 KiB pieces, hashing what it yields. */
function generated(size: number, block: (length: number) => Buffer): { source: Readable; integrity: () => Integrity } {
  const hash = createHash('sha512');
  let left = size;
  const source = Readable.from(
    (function* () {
      while (left > 0) {
        const chunk = block(Math.min(left, 64 * 1024));
        left -= chunk.byteLength;
        hash.update(chunk);
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
  return { source, integrity: () => hexToIntegrity(hash.digest('hex')) };
}

/** incompressible */
const randomBlock = (length: number) => randomBytes(length);
/** about 2:1 compressible */
const hexBlock = (length: number) =>
  Buffer.from(
    randomBytes(Math.ceil(length / 2))
      .toString('hex')
      .slice(0, length),
  );
/** highly compressible */
const textBlock = (length: number) =>
  Buffer.from('{"name":"entropic","version":"1.0.0"}\n'.repeat(Math.ceil(length / 38)).slice(0, length));

/** The gc function, exposed at run time (node:test gives no way to pass --expose-gc). */
function exposedGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

async function hashOf(stream: Readable): Promise<{ integrity: Integrity; length: number }> {
  const hash = createHash('sha512');
  let length = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).byteLength;
  }
  return { integrity: hexToIntegrity(hash.digest('hex')), length };
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  return Buffer.concat(await stream.toArray());
}

async function collect(store: BlobStore): Promise<BlobInfo[]> {
  const all: BlobInfo[] = [];
  for await (const info of store.list()) all.push(info);
  return all;
}

function isCode(code: ErrorCode) {
  return (error: unknown) => {
    assert.ok(isAppError(error), `expected AppError ${code}, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

export function blobStoreContract(label: string, factory: () => Promise<BlobStoreSubject>): void {
  describe(`BlobStore contract: ${label}`, () => {
    let subject: BlobStoreSubject;
    let store: BlobStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.store.close();
      await subject.cleanup();
    });

    async function assertNothingLeft(integrity?: Integrity): Promise<void> {
      assert.deepEqual(await collect(store), []);
      if (integrity !== undefined) assert.equal(await store.stat(integrity), undefined);
      if (subject.tempEntries) assert.equal(await subject.tempEntries(), 0, 'temp entries left over');
    }

    describe('round trips', () => {
      it('stores and returns empty content', async () => {
        const result = await store.putBytes('');
        assert.deepEqual(result, { integrity: sha512Integrity(''), size: 0, created: true });
        assert.deepEqual(await store.getBytes(result.integrity), Buffer.alloc(0));
        const got = await store.get(result.integrity);
        assert.ok(got);
        assert.equal(got.size, 0);
        assert.deepEqual(await bytesOf(got.stream), Buffer.alloc(0));
        assert.equal((await store.stat(result.integrity))?.size, 0);
        assert.equal(await store.verify(result.integrity), true);
      });

      it('stores small content given as a stream, bytes or a string', async () => {
        const text = 'hello, entropic';
        const fromStream = await store.put(Readable.from([Buffer.from('hello, '), Buffer.from('entropic')]));
        assert.deepEqual(fromStream, { integrity: sha512Integrity(text), size: text.length, created: true });
        assert.equal((await store.putBytes(text)).created, false);
        assert.equal((await store.putBytes(new TextEncoder().encode(text))).created, false);
        assert.equal((await store.getBytes(fromStream.integrity))?.toString(), text);
        const got = await store.get(fromStream.integrity);
        assert.equal(got?.size, text.length);
        assert.equal((await bytesOf(got!.stream)).toString(), text);
      });

      it('accepts any async iterable of bytes', async () => {
        async function* parts() {
          yield new Uint8Array([1, 2, 3]);
          yield new Uint8Array([4, 5]);
        }
        const result = await store.put(parts());
        assert.deepEqual(await store.getBytes(result.integrity), Buffer.from([1, 2, 3, 4, 5]));
      });

      for (const [name, block] of [
        ['incompressible', randomBlock],
        ['half compressible', hexBlock],
        ['highly compressible', textBlock],
      ] as const) {
        it(`stores 5 MB of ${name} content`, async () => {
          const content = generated(5 * MB, block);
          const result = await store.put(content.source);
          assert.equal(result.integrity, content.integrity());
          assert.equal(result.size, 5 * MB);
          assert.equal(result.created, true);
          const got = await store.get(result.integrity);
          assert.equal(got?.size, 5 * MB);
          assert.deepEqual(await hashOf(got!.stream), { integrity: result.integrity, length: 5 * MB });
          const info = await store.stat(result.integrity);
          assert.equal(info?.size, 5 * MB);
          assert.equal(info?.integrity, result.integrity);
          assert.equal(await store.verify(result.integrity), true);
        });
      }
    });

    describe('inline reads and deferred syncs', () => {
      it('returns small content as bytes when asked, larger content and encoded content as a stream', async () => {
        const small = await store.putBytes(randomBytes(10_000));
        const text = textBlock(50_000);
        const compressible = await store.putBytes(text);
        const large = await store.putBytes(randomBytes(200_000));
        const inline = await store.get(small.integrity, undefined, { maxInlineBytes: 64 * 1024 });
        assert.ok(inline?.bytes, 'small raw content comes back as bytes');
        assert.equal(inline.size, 10_000);
        assert.deepEqual(inline.bytes, await store.getBytes(small.integrity));
        const ranged = await store.get(small.integrity, { start: 10, end: 19 }, { maxInlineBytes: 64 * 1024 });
        const rangedBytes = ranged?.bytes ?? (ranged?.stream && (await bytesOf(ranged.stream)));
        assert.deepEqual(rangedBytes, inline.bytes.subarray(10, 20));
        const either = await store.get(compressible.integrity, undefined, { maxInlineBytes: 64 * 1024 });
        assert.equal(either?.size, 50_000);
        assert.deepEqual(either?.bytes ?? (either?.stream && (await bytesOf(either.stream))), text);
        const streamed = await store.get(large.integrity, undefined, { maxInlineBytes: 64 * 1024 });
        assert.ok(streamed?.stream, 'content over maxInlineBytes is streamed');
        assert.equal(streamed.bytes, undefined);
        assert.equal((await bytesOf(streamed.stream)).byteLength, 200_000);
        const empty = await store.putBytes('');
        const none = await store.get(empty.integrity, undefined, { maxInlineBytes: 64 * 1024 });
        assert.equal(none?.size, 0);
        assert.deepEqual(none?.bytes ?? (none?.stream && (await bytesOf(none.stream))), Buffer.alloc(0));
        assert.equal(await store.get(sha512Integrity('never stored'), undefined, { maxInlineBytes: 64 * 1024 }), undefined);
      });

      it('puts with deferSync are readable at once and durable after sync', async () => {
        const contents = [randomBytes(20_000), textBlock(30_000), Buffer.from('deferred'), Buffer.alloc(0)];
        const results = await Promise.all(contents.map((content) => store.putBytes(content, { deferSync: true })));
        for (const [i, result] of results.entries()) {
          assert.equal(result.integrity, sha512Integrity(contents[i]!));
          assert.equal(result.created, true);
          assert.deepEqual(await store.getBytes(result.integrity), contents[i]);
        }
        const again = await store.putBytes('deferred', { deferSync: true });
        assert.equal(again.created, false);
        await store.sync([...results.map((r) => r.integrity), again.integrity]);
        await store.sync(results.map((r) => r.integrity)); // again: a no-op
        await store.sync([sha512Integrity('never stored')]);
        await store.sync([]);
        assert.equal((await collect(store)).length, contents.length);
        for (const result of results) assert.equal(await store.verify(result.integrity), true);
        if (subject.tempEntries) assert.equal(await subject.tempEntries(), 0);
        await assert.rejects(store.sync(['nonsense' as Integrity]), isCode('INVALID_DIGEST'));
      });
    });

    describe('deduplication', () => {
      it('stores identical content once', async () => {
        const first = await store.putBytes('same bytes');
        const second = await store.put(Readable.from([Buffer.from('same '), Buffer.from('bytes')]));
        assert.equal(first.created, true);
        assert.deepEqual(second, { ...first, created: false });
        assert.equal((await collect(store)).length, 1);
        if (subject.storedCopies) assert.equal(await subject.storedCopies(first.integrity), 1);
      });

      it('handles 20 concurrent puts of the same content', async () => {
        const content = hexBlock(1 * MB);
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            store.put(
              Readable.from(
                (function* () {
                  for (let i = 0; i < content.byteLength; i += 16 * 1024) yield content.subarray(i, i + 16 * 1024);
                })(),
                { objectMode: false },
              ),
            ),
          ),
        );
        const integrity = sha512Integrity(content);
        for (const result of results)
          assert.deepEqual({ ...result, created: true }, { integrity, size: content.byteLength, created: true });
        assert.equal(results.filter((r) => r.created).length, 1, 'exactly one put creates the object');
        assert.equal((await collect(store)).length, 1);
        if (subject.storedCopies) assert.equal(await subject.storedCopies(integrity), 1);
        if (subject.tempEntries) assert.equal(await subject.tempEntries(), 0);
        assert.deepEqual(await store.getBytes(integrity), content);
      });
    });

    describe('refused puts store nothing', () => {
      it('checks the expected integrity', async () => {
        await assert.rejects(store.putBytes('actual', { expected: sha512Integrity('expected') }), isCode('INTEGRITY_MISMATCH'));
        await assertNothingLeft(sha512Integrity('actual'));
        const ok = await store.putBytes('actual', { expected: sha512Integrity('actual') });
        assert.equal(ok.created, true);
      });

      it('refuses content over maxBytes while streaming', async () => {
        const content = randomBytes(300 * 1024);
        const tooLarge = store.put(Readable.from([content.subarray(0, 100_000), content.subarray(100_000)]), {
          maxBytes: content.byteLength - 1,
        });
        await assert.rejects(tooLarge, isCode('FILE_TOO_LARGE'));
        await assertNothingLeft(sha512Integrity(content));
        assert.equal((await store.putBytes(content, { maxBytes: content.byteLength })).created, true);
      });

      it('refuses a large stream early', async () => {
        let produced = 0;
        const endless = Readable.from(
          (function* () {
            for (;;) {
              produced += 64 * 1024;
              yield Buffer.alloc(64 * 1024, 1);
            }
          })(),
          { objectMode: false },
        );
        await assert.rejects(store.put(endless, { maxBytes: 1 * MB }), isCode('FILE_TOO_LARGE'));
        assert.ok(produced < 4 * MB, `read ${produced} bytes before refusing`);
        endless.destroy();
        await assertNothingLeft();
      });

      it('leaves nothing when the source fails midway', async () => {
        const gone = new Error('client went away');
        async function* failing() {
          yield randomBytes(200 * 1024);
          yield hexBlock(200 * 1024);
          throw gone;
        }
        await assert.rejects(store.put(failing()), (error) => error === gone);
        await assertNothingLeft();

        const stream = new Readable({ read() {} });
        stream.push(randomBytes(100 * 1024));
        const put = store.put(stream);
        setTimeout(() => stream.destroy(gone), 10);
        await assert.rejects(put, (error) => error === gone);
        await assertNothingLeft();
      });

      it('rejects invalid digests', async () => {
        const bad = ['', 'sha512-abc', 'sha1-' + 'a'.repeat(28), sha512Integrity('x').replace('sha512-', 'sha256-'), 'nonsense'];
        for (const integrity of bad) {
          const value = integrity as Integrity;
          await assert.rejects(store.get(value), isCode('INVALID_DIGEST'));
          await assert.rejects(store.getBytes(value), isCode('INVALID_DIGEST'));
          await assert.rejects(store.stat(value), isCode('INVALID_DIGEST'));
          await assert.rejects(store.delete(value), isCode('INVALID_DIGEST'));
          await assert.rejects(store.verify(value), isCode('INVALID_DIGEST'));
          await assert.rejects(store.putBytes('x', { expected: value }), isCode('INVALID_DIGEST'));
        }
        await assertNothingLeft();
      });
    });

    describe('ranges', () => {
      for (const [name, block] of [
        ['incompressible', randomBlock],
        ['compressible', textBlock],
      ] as const) {
        it(`serves byte ranges of ${name} content`, async () => {
          const content = block(1 * MB + 123);
          const { integrity } = await store.putBytes(content);
          const last = content.byteLength - 1;
          const cases = [
            [0, 0],
            [0, 9],
            [1000, 200_000],
            [500_000, 500_000],
            [last - 9, last],
            [last, last],
            [0, last],
          ] as const;
          for (const [start, end] of cases) {
            const got = await store.get(integrity, { start, end });
            assert.ok(got);
            assert.equal(got.size, end - start + 1);
            assert.deepEqual(await bytesOf(got.stream), content.subarray(start, end + 1), `range ${start}-${end}`);
          }
        });
      }

      it('clamps an end past the content and refuses unsatisfiable ranges', async () => {
        const { integrity } = await store.putBytes('0123456789');
        const clamped = await store.get(integrity, { start: 5, end: 1000 });
        assert.equal(clamped?.size, 5);
        assert.equal((await bytesOf(clamped!.stream)).toString(), '56789');
        for (const range of [
          { start: 10, end: 12 },
          { start: 5, end: 4 },
          { start: -1, end: 3 },
          { start: 0.5, end: 3 },
        ]) {
          await assert.rejects(store.get(integrity, range), isCode('RANGE_NOT_SATISFIABLE'));
        }
        const empty = await store.putBytes('');
        await assert.rejects(store.get(empty.integrity, { start: 0, end: 0 }), isCode('RANGE_NOT_SATISFIABLE'));
      });

      it('stops reading when the consumer stops', async () => {
        const content = generated(3 * MB, textBlock);
        const { integrity } = await store.put(content.source);
        const got = await store.get(integrity);
        for await (const _chunk of got!.stream) break;
        assert.equal(got!.stream.destroyed, true);
      });
    });

    describe('stat, list, verify, delete', () => {
      it('reports missing objects', async () => {
        const missing = sha512Integrity('never stored');
        assert.equal(await store.stat(missing), undefined);
        assert.equal(await store.get(missing), undefined);
        assert.equal(await store.get(missing, { start: 0, end: 1 }), undefined);
        assert.equal(await store.getBytes(missing), undefined);
        assert.equal(await store.verify(missing), false);
        assert.equal(await store.delete(missing), false);
      });

      it('stats content size, stored size and mtime', async () => {
        const before = Date.now();
        const compressible = await store.putBytes(textBlock(200_000));
        const random = await store.putBytes(randomBytes(200_000));
        for (const { integrity } of [compressible, random]) {
          const info = await store.stat(integrity);
          assert.ok(info);
          assert.equal(info.integrity, integrity);
          assert.equal(info.size, 200_000);
          assert.ok(info.storedSize > 0 && info.storedSize <= 200_000 + 4096, `storedSize ${info.storedSize}`);
          assert.ok(info.mtime instanceof Date);
          assert.ok(info.mtime.getTime() >= before - 2000 && info.mtime.getTime() <= Date.now() + 2000);
        }
      });

      it('lists every object once', async () => {
        const contents = ['one', 'two', textBlock(100_000).toString(), ''];
        const expected = new Map<string, number>();
        for (const content of contents) {
          const result = await store.putBytes(content);
          expected.set(result.integrity, result.size);
        }
        await store.putBytes('two');
        const listed = await collect(store);
        assert.equal(listed.length, contents.length);
        assert.deepEqual(new Map(listed.map((info) => [info.integrity, info.size])), expected);
        for (const info of listed) assert.deepEqual(info, await store.stat(info.integrity));
      });

      it('verifies objects', async () => {
        const small = await store.putBytes('verify me');
        const large = await store.putBytes(textBlock(300_000));
        assert.equal(await store.verify(small.integrity), true);
        assert.equal(await store.verify(large.integrity), true);
        if (subject.corrupt) {
          await subject.corrupt(small.integrity);
          await subject.corrupt(large.integrity);
          assert.equal(await store.verify(small.integrity), false);
          assert.equal(await store.verify(large.integrity), false);
        }
      });

      it('deletes objects', async () => {
        const kept = await store.putBytes('kept');
        const gone = await store.putBytes(textBlock(100_000));
        assert.equal(await store.delete(gone.integrity), true);
        assert.equal(await store.stat(gone.integrity), undefined);
        assert.equal(await store.get(gone.integrity), undefined);
        assert.equal(await store.verify(gone.integrity), false);
        assert.equal(await store.delete(gone.integrity), false);
        assert.deepEqual(
          (await collect(store)).map((info) => info.integrity),
          [kept.integrity],
        );
        assert.equal((await store.putBytes(textBlock(100_000))).created, true);
        assert.equal(await store.verify(gone.integrity), true);
      });

      it('passes its health check', async () => {
        await store.check();
      });
    });

    describe('memory', () => {
      it('puts and gets 50 MB in constant memory', async () => {
        const size = 50 * MB;
        const gc = exposedGc();
        const live = () => {
          gc?.();
          const usage = process.memoryUsage();
          return usage.heapUsed + usage.arrayBuffers;
        };
        const startRss = process.memoryUsage().rss;
        const startLive = live();
        let peakRss = startRss;
        let peakLive = startLive;
        const sample = () => {
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
          if (gc) peakLive = Math.max(peakLive, live());
        };
        const sampler = setInterval(sample, 50);
        try {
          const content = generated(size, hexBlock);
          const result = await store.put(content.source);
          assert.equal(result.integrity, content.integrity());
          sample();
          const got = await store.get(result.integrity);
          assert.deepEqual(await hashOf(got!.stream), { integrity: result.integrity, length: size });
          const ranged = await store.get(result.integrity, { start: size - MB, end: size - 1 });
          assert.equal((await hashOf(ranged!.stream)).length, MB);
          sample();
        } finally {
          clearInterval(sampler);
        }
        // RSS rarely shrinks, so earlier tests may leave reusable free memory; the live heap and
        // buffer total (after forced collections) is the sharper measure when gc can be exposed
        const rssGrowth = (peakRss - startRss) / MB;
        const liveGrowth = (peakLive - startLive) / MB;
        assert.ok(rssGrowth < 30, `RSS grew by ${rssGrowth.toFixed(1)} MB`);
        assert.ok(liveGrowth < 30, `live memory grew by ${liveGrowth.toFixed(1)} MB`);
      });
    });
  });
}
