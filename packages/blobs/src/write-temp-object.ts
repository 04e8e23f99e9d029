import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, createBrotliCompress, constants as zlib } from 'node:zlib';
import { appError } from '@entropic/types';
import { BLOB_HEADER_SIZE, encodeBlobHeader, type StoredEncoding } from './blob-header.ts';
import { io } from './store-error.ts';

/** Quality 4 with a 1 MiB window: ~100 MB/s, most of the gain of higher levels, small decoder memory. */
const BROTLI_PARAMS = { [zlib.BROTLI_PARAM_QUALITY]: 4, [zlib.BROTLI_PARAM_LGWIN]: 20 };
/** Compressed is kept only when it is at most this fraction of the content size (header included). */
const MAX_COMPRESSED_RATIO = 0.9;

export interface TempObject {
  /** the temp file holding what is to be stored */
  path: string;
  encoding: StoredEncoding;
  hex: string;
  size: number;
  storedSize: number;
  /** the content itself, when asked for (keepContentUpTo) and no larger */
  content?: Buffer;
}

export interface WriteTempObjectOptions {
  tmpDir: string;
  compress: boolean;
  maxBytes?: number;
  /** fsync the kept file (default true); false leaves that to the caller (a batched sync) */
  sync?: boolean;
  /** keep the content in memory too (TempObject.content) when it is at most this many bytes */
  keepContentUpTo?: number;
}

interface Sink {
  path: string;
  stream: WriteStream;
}

function openSink(path: string, start: number): Sink {
  const stream = createWriteStream(path, { flags: 'wx', mode: 0o644, start });
  // errors (open, write) are read from stream.errored and finished(), at the next write or the end
  stream.on('error', () => {});
  return { path, stream };
}

async function closed(stream: WriteStream): Promise<void> {
  if (!stream.closed) await new Promise<void>((resolve) => stream.once('close', () => resolve()));
}

/** Ends the stream, then writes the header (if any) and makes the file durable (if sync). */
async function complete(sink: Sink, header: Buffer | undefined, sync: boolean): Promise<void> {
  if (!sink.stream.writableEnded) sink.stream.end();
  await io(finished(sink.stream));
  await closed(sink.stream);
  if (header === undefined && !sync) return;
  const handle = await io(open(sink.path, 'r+'));
  try {
    if (header !== undefined) await io(handle.write(header, 0, header.byteLength, 0));
    if (sync) await io(handle.sync());
  } finally {
    await handle.close();
  }
}

async function writeChunk(stream: Writable, chunk: Buffer): Promise<void> {
  if (stream.destroyed) throw stream.errored ?? new Error('write stream destroyed');
  if (!stream.write(chunk)) await once(stream, 'drain');
}

async function discard(sink: Sink | undefined): Promise<void> {
  if (sink === undefined) return;
  sink.stream.destroy();
  await closed(sink.stream); // an open still in flight would otherwise create the file after rm
  await rm(sink.path, { force: true }).catch(() => {});
}

/** Content up to this size is read into memory first and written with one open, write and close. */
const SMALL_OBJECT_BYTES = 256 * 1024;
/** Small content up to this size is compressed on the main thread (shorter than a thread-pool hop). */
const SYNC_COMPRESS_BYTES = 64 * 1024;
const brotliCompressAsync = promisify(brotliCompress);

function toBuffer(item: Uint8Array | string): Buffer {
  return typeof item === 'string' ? Buffer.from(item) : Buffer.from(item.buffer, item.byteOffset, item.byteLength);
}

function tooLarge(maxBytes: number) {
  return appError('FILE_TOO_LARGE', `The content exceeds ${maxBytes} bytes.`, { details: { maxBytes } });
}

/**
 * Streams source into a fresh temp file under tmpDir while hashing and counting it, enforcing
 * maxBytes (FILE_TOO_LARGE). With compress, a brotli-encoded copy is written alongside and kept
 * instead of the raw one when it saves at least 10%. The kept file is fsynced (unless sync is false); on any failure
 * both temp files are removed before the error propagates (source errors as they are, system
 * errors as SERVICE_UNAVAILABLE). The source is not destroyed on failure: the caller owns it.
 * Content that ends within SMALL_OBJECT_BYTES (most files of a package) is read whole first and
 * written as one file in its final encoding: three file operations instead of about ten.
 */
export async function writeTempObject(source: Readable | AsyncIterable<Uint8Array>, options: WriteTempObjectOptions): Promise<TempObject> {
  const iterable: AsyncIterable<Uint8Array | string> = source instanceof Readable ? source.iterator({ destroyOnReturn: false }) : source;
  const iterator = iterable[Symbol.asyncIterator]();
  let ended = false;
  // what for-await does when it stops early: the source is released, not destroyed (the caller owns it)
  const release = async () => {
    if (!ended) await iterator.return?.();
  };
  const head: Buffer[] = [];
  let headSize = 0;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        return await writeSmallObject(Buffer.concat(head, headSize), options);
      }
      const chunk = toBuffer(next.value);
      headSize += chunk.byteLength;
      if (options.maxBytes !== undefined && headSize > options.maxBytes) throw tooLarge(options.maxBytes);
      head.push(chunk);
      if (headSize > SMALL_OBJECT_BYTES) break;
    }
  } catch (error) {
    await release();
    throw error;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      yield* head;
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          ended = true;
          return;
        }
        yield toBuffer(next.value);
      }
    } finally {
      await release();
    }
  }
  return writeStreamedObject(rest(), options);
}

/** Small content, whole in memory: hashed, compressed when that saves 10%, written as one durable (if sync) temp file. */
async function writeSmallObject(content: Buffer, options: WriteTempObjectOptions): Promise<TempObject> {
  const hex = createHash('sha512').update(content).digest('hex');
  const size = content.byteLength;
  const kept = options.keepContentUpTo !== undefined && size <= options.keepContentUpTo ? { content } : {};
  let encoding: StoredEncoding = 'raw';
  let data = content;
  if (options.compress && size > 0) {
    const compressed =
      size <= SYNC_COMPRESS_BYTES
        ? brotliCompressSync(content, { params: BROTLI_PARAMS })
        : await brotliCompressAsync(content, { params: BROTLI_PARAMS });
    if (BLOB_HEADER_SIZE + compressed.byteLength <= size * MAX_COMPRESSED_RATIO) {
      encoding = 'brotli';
      data = Buffer.concat([encodeBlobHeader('brotli', size), compressed]);
    }
  }
  const path = `${join(options.tmpDir, randomUUID())}${encoding === 'brotli' ? '.br' : ''}`;
  const handle = await io(open(path, 'wx', 0o644));
  try {
    await io(handle.writeFile(data));
    if (options.sync ?? true) await io(handle.sync());
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(path, { force: true }).catch(() => {});
    throw error;
  }
  try {
    await io(handle.close());
  } catch (error) {
    await rm(path, { force: true }).catch(() => {});
    throw error;
  }
  return { path, encoding, hex, size, storedSize: data.byteLength, ...kept };
}

/** Larger content, streamed into temp files as it arrives (see writeTempObject). */
async function writeStreamedObject(chunks: AsyncIterable<Buffer>, options: WriteTempObjectOptions): Promise<TempObject> {
  const base = join(options.tmpDir, randomUUID());
  let raw: Sink | undefined;
  let compressed: (Sink & { encoder: Writable; done: Promise<void> }) | undefined;
  try {
    raw = openSink(base, 0);
    if (options.compress) {
      const sink = openSink(`${base}.br`, BLOB_HEADER_SIZE);
      const encoder = createBrotliCompress({ params: BROTLI_PARAMS });
      const done = pipeline(encoder, sink.stream);
      done.catch(() => {}); // observed through encoder errors and the final await
      compressed = { ...sink, encoder, done };
    }
    const hash = createHash('sha512');
    let size = 0;
    let kept: Buffer[] | undefined = options.keepContentUpTo === undefined ? undefined : [];
    for await (const chunk of chunks) {
      size += chunk.byteLength;
      if (options.maxBytes !== undefined && size > options.maxBytes) throw tooLarge(options.maxBytes);
      hash.update(chunk);
      if (kept !== undefined && size <= (options.keepContentUpTo as number)) kept.push(chunk);
      else kept = undefined;
      await io(Promise.all([writeChunk(raw.stream, chunk), compressed && writeChunk(compressed.encoder, chunk)]));
    }
    const hex = hash.digest('hex');
    const content = kept === undefined ? {} : { content: Buffer.concat(kept) };

    if (compressed !== undefined) {
      compressed.encoder.end();
      await io(compressed.done);
      const storedSize = BLOB_HEADER_SIZE + compressed.stream.bytesWritten;
      if (storedSize <= size * MAX_COMPRESSED_RATIO) {
        await complete(compressed, encodeBlobHeader('brotli', size), options.sync ?? true);
        const keptSink = compressed;
        compressed = undefined;
        await discard(raw);
        raw = undefined;
        return { path: keptSink.path, encoding: 'brotli', hex, size, storedSize, ...content };
      }
      await discard(compressed);
      compressed = undefined;
    }
    await complete(raw, undefined, options.sync ?? true);
    return { path: raw.path, encoding: 'raw', hex, size, storedSize: size, ...content };
  } catch (error) {
    await Promise.all([discard(raw), discard(compressed)]);
    throw error;
  }
}
