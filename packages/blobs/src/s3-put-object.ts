import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { appError, hexToIntegrity, type Integrity } from '@entropic/types';
import type { PutOptions, PutResult } from './blob-store.ts';
import { digestHex } from './digest-hex.ts';
import { isS3Missing, s3, s3Error, s3Status } from './s3-error.ts';

export interface S3Target {
  client: S3Client;
  bucket: string;
  /** the key of an object named by its hex digest */
  objectKey(hex: string): string;
  /** a fresh key for an upload whose digest is not known yet */
  tempKey(): string;
  /** bytes kept in memory before an upload turns into a multipart upload (≥ 5 MiB) */
  partSize: number;
}

/** Counts, hashes and bounds the bytes of a source, which it never destroys (the caller owns it). */
class Metered {
  readonly hash = createHash('sha512');
  size = 0;
  private readonly iterator: AsyncIterator<Uint8Array | string>;

  constructor(
    source: Readable | AsyncIterable<Uint8Array>,
    private readonly maxBytes: number | undefined,
  ) {
    const chunks = source instanceof Readable ? source.iterator({ destroyOnReturn: false }) : source;
    this.iterator = (chunks as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  }

  async next(): Promise<Buffer | undefined> {
    const item = await this.iterator.next();
    if (item.done) return undefined;
    const value = item.value;
    const chunk = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    this.size += chunk.byteLength;
    if (this.maxBytes !== undefined && this.size > this.maxBytes) {
      throw appError('FILE_TOO_LARGE', `The content exceeds ${this.maxBytes} bytes.`, { details: { maxBytes: this.maxBytes } });
    }
    this.hash.update(chunk);
    return chunk;
  }

  async stop(): Promise<void> {
    await this.iterator.return?.();
  }
}

function checkExpected(expectedHex: string | undefined, hex: string, expected: Integrity | undefined): void {
  if (expectedHex !== undefined && expectedHex !== hex) {
    throw appError('INTEGRITY_MISMATCH', undefined, { details: { expected, actual: hexToIntegrity(hex) } });
  }
}

/** One conditional PUT: If-None-Match: * makes it idempotent (412 = the content is already there). */
async function putWhole(target: S3Target, hex: string, body: Buffer): Promise<boolean> {
  try {
    await target.client.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: target.objectKey(hex),
        Body: body,
        ContentLength: body.byteLength,
        ContentType: 'application/octet-stream',
        IfNoneMatch: '*',
      }),
    );
    return true;
  } catch (error) {
    // 409: a concurrent conditional write of the same key is in progress (AWS); the content is identical
    if (s3Status(error) === 412 || s3Status(error) === 409) return false;
    throw s3Error(error);
  }
}

async function exists(target: S3Target, key: string): Promise<boolean> {
  try {
    await target.client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }));
    return true;
  } catch (error) {
    if (isS3Missing(error)) return false;
    throw s3Error(error);
  }
}

interface Part {
  chunks: Buffer[];
  bytes: number;
  last: boolean;
}

/** Reads the next part: at least partSize bytes, or what is left (last). */
async function readPart(meter: Metered, partSize: number, chunks: Buffer[] = []): Promise<Part> {
  let bytes = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  while (bytes < partSize) {
    const chunk = await meter.next();
    if (chunk === undefined) return { chunks, bytes, last: true };
    chunks.push(chunk);
    bytes += chunk.byteLength;
  }
  return { chunks, bytes, last: false };
}

/**
 * Content larger than one part: a multipart upload to a temp key while hashing (the part being
 * sent and the one being read are the only bytes in memory, never concatenated), then a
 * server-side copy to the content address unless it exists. Any failure aborts the upload.
 */
async function putLarge(target: S3Target, meter: Metered, head: Buffer[], check: (hex: string) => void): Promise<PutResult> {
  const { client, bucket } = target;
  const tempKey = target.tempKey();
  const created = await s3(
    client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: tempKey, ContentType: 'application/octet-stream' })),
  );
  const uploadId = created.UploadId;
  const parts: { PartNumber: number; ETag: string | undefined }[] = [];
  try {
    let part = await readPart(meter, target.partSize, head);
    for (let number = 1; ; number++) {
      const sending = client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: tempKey,
          UploadId: uploadId,
          PartNumber: number,
          Body: Readable.from(part.chunks, { objectMode: false }),
          ContentLength: part.bytes,
        }),
      );
      sending.catch(() => {}); // awaited below, after reading the next part
      const next = part.last ? undefined : await readPart(meter, target.partSize);
      parts.push({ PartNumber: number, ETag: (await s3(sending)).ETag });
      if (next === undefined || (next.bytes === 0 && next.last)) break;
      part = next;
    }
    await s3(
      client.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: tempKey, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      ),
    );
  } catch (error) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: tempKey, UploadId: uploadId })).catch(() => {});
    throw s3Error(error);
  }
  try {
    const hex = meter.hash.digest('hex');
    check(hex);
    const key = target.objectKey(hex);
    let stored = false;
    if (!(await exists(target, key))) {
      // CopySource is "bucket/key", URL-encoded; keys here are [0-9a-z/-] only
      await s3(client.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${tempKey}` })));
      stored = true;
    }
    return { integrity: hexToIntegrity(hex), size: meter.size, created: stored };
  } finally {
    await s3(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: tempKey })));
  }
}

/** Streams a source into S3 under the sha512 of its content (see S3BlobStore.put). */
export async function putS3Object(target: S3Target, source: Readable | AsyncIterable<Uint8Array>, options: PutOptions): Promise<PutResult> {
  const expectedHex = options.expected === undefined ? undefined : digestHex(options.expected);
  const check = (hex: string) => checkExpected(expectedHex, hex, options.expected);
  const meter = new Metered(source, options.maxBytes);
  const head: Buffer[] = [];
  let headBytes = 0;
  try {
    while (headBytes <= target.partSize) {
      const chunk = await meter.next();
      if (chunk === undefined) {
        const hex = meter.hash.digest('hex');
        check(hex);
        const created = await putWhole(target, hex, Buffer.concat(head, headBytes));
        return { integrity: hexToIntegrity(hex), size: meter.size, created };
      }
      head.push(chunk);
      headBytes += chunk.byteLength;
    }
    return await putLarge(target, meter, head, check);
  } finally {
    await meter.stop();
  }
}
