import { randomUUID } from 'node:crypto';
import { PassThrough, pipeline, Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { appError, hexToIntegrity, type Integrity } from '@entropic/types';
import type { BlobContent, BlobInfo, BlobStore, ByteRange, GetOptions, PutOptions } from './blob-store.ts';
import { digestHex } from './digest-hex.ts';
import { isS3Missing, s3, s3Error, s3Status } from './s3-error.ts';
import { cleanS3Temp, listS3Keys } from './s3-list-keys.ts';
import { putS3Object, type S3Target } from './s3-put-object.ts';
import { verifyObject } from './verify-object.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  /** an S3-compatible endpoint (radosgw, MinIO, R2…); omit for AWS */
  endpoint?: string;
  region?: string;
  /** `<endpoint>/<bucket>/<key>` rather than `<bucket>.<endpoint>/<key>` (radosgw and MinIO want this) */
  forcePathStyle?: boolean;
  /** omit to use the SDK's default chain (environment, shared files, instance roles) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** prefix of every key this store writes and lists (several registries may share a bucket) */
  prefix?: string;
  /** bytes buffered before an upload becomes multipart (default 8 MiB, at least 5 MiB) */
  partSize?: number;
  /** temp uploads older than this are removed by cleanTemp() (default 1 hour) */
  tmpGraceMs?: number;
}

export interface S3BlobStore extends BlobStore {
  /** Removes temp objects and aborts multipart uploads older than olderThanMs, left by killed processes; returns how many. */
  cleanTemp(olderThanMs?: number): Promise<number>;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
const HEX_KEY = /^[0-9a-f]{128}$/;

/**
 * Blob store on an S3 bucket: the content as is under `<prefix>sha512/<hex>` (no stored-form
 * header: S3 serves byte ranges itself, and storage is cheap there); uploads of unknown digest
 * go through `<prefix>tmp/`. Puts are durable when they resolve (sync is a no-op). The client
 * computes checksums only when an operation requires them: radosgw and other S3-compatible
 * stores refuse the SDK's default aws-chunked uploads with trailing checksums.
 */
export function createS3BlobStore(options: S3BlobStoreOptions): S3BlobStore {
  const prefix = options.prefix ?? '';
  const partSize = Math.max(MIN_PART_SIZE, options.partSize ?? 8 * 1024 * 1024);
  const tmpGraceMs = options.tmpGraceMs ?? 60 * 60 * 1000;
  const client = new S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
  const bucket = options.bucket;
  const objectPrefix = `${prefix}sha512/`;
  const tempPrefix = `${prefix}tmp/`;
  const target: S3Target = {
    client,
    bucket,
    partSize,
    objectKey: (hex) => `${objectPrefix}${hex}`,
    tempKey: () => `${tempPrefix}${randomUUID()}`,
  };
  let closed = false;

  function assertOpen(): void {
    if (closed) throw appError('SERVICE_UNAVAILABLE', 'The blob store is closed.');
  }

  async function head(integrity: Integrity): Promise<BlobInfo | undefined> {
    assertOpen();
    const key = target.objectKey(digestHex(integrity));
    try {
      const found = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const size = found.ContentLength ?? 0;
      return { integrity, size, storedSize: size, mtime: found.LastModified ?? new Date(0) };
    } catch (error) {
      if (isS3Missing(error)) return undefined;
      throw s3Error(error);
    }
  }

  async function openContent(integrity: Integrity, range?: ByteRange, getOptions?: GetOptions): Promise<BlobContent | undefined> {
    assertOpen();
    const key = target.objectKey(digestHex(integrity));
    if (range !== undefined) assertWellFormed(range);
    let found: Awaited<ReturnType<typeof getObject>>;
    try {
      found = await getObject(key, range);
    } catch (error) {
      if (isS3Missing(error)) return undefined;
      if (s3Status(error) === 416) throw appError('RANGE_NOT_SATISFIABLE');
      throw s3Error(error);
    }
    const size = found.ContentLength ?? 0;
    const body = found.Body as Readable;
    // a whole object's GET answers what a HEAD would: the cache keeps it and asks no HEAD later
    const info = range === undefined ? { integrity, size, storedSize: size, mtime: found.LastModified ?? new Date(0) } : undefined;
    if (size <= (getOptions?.maxInlineBytes ?? -1)) {
      const bytes = Buffer.from(await s3(found.Body!.transformToByteArray()));
      return info ? { size, bytes, info } : { size, bytes };
    }
    // the SDK's body is the HTTP response: destroying it only aborts the request, and leaves it
    // looking alive; through a PassThrough the consumer holds a stream that is destroyed when it stops
    const stream = new PassThrough();
    pipeline(body, stream, () => {});
    return info ? { size, stream, info } : { size, stream };
  }

  function getObject(key: string, range: ByteRange | undefined) {
    return client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
    );
  }

  const store: S3BlobStore = {
    put(source, putOptions: PutOptions = {}) {
      assertOpen();
      return putS3Object(target, source, putOptions);
    },

    putBytes(bytes, putOptions) {
      const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return store.put(Readable.from([buffer], { objectMode: false }), putOptions);
    },

    stat: head,

    get: openContent as BlobStore['get'],

    async getBytes(integrity) {
      const content = await openContent(integrity, undefined, { maxInlineBytes: Number.MAX_SAFE_INTEGER });
      return content?.bytes;
    },

    async sync(integrities) {
      assertOpen();
      for (const integrity of integrities) digestHex(integrity); // S3 writes are durable when acknowledged
    },

    async delete(integrity) {
      // S3 deletes answer 204 whether or not the key existed: ask first (gc re-checks references anyway)
      if ((await head(integrity)) === undefined) return false;
      await s3(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: target.objectKey(digestHex(integrity)) })));
      return true;
    },

    async *list() {
      assertOpen();
      for await (const entry of listS3Keys(client, bucket, objectPrefix)) {
        const hex = entry.Key?.slice(objectPrefix.length) ?? '';
        if (!HEX_KEY.test(hex)) continue; // foreign keys under the prefix
        const size = entry.Size ?? 0;
        // whole seconds, as HEAD (an HTTP date) reports them: list and stat agree
        const mtime = new Date(Math.floor((entry.LastModified?.getTime() ?? 0) / 1000) * 1000);
        yield { integrity: hexToIntegrity(hex), size, storedSize: size, mtime };
      }
    },

    verify: (integrity) => verifyObject(store, integrity),

    async check() {
      assertOpen();
      await s3(client.send(new HeadBucketCommand({ Bucket: bucket })));
    },

    async cleanTemp(olderThanMs = tmpGraceMs) {
      assertOpen();
      return cleanS3Temp(client, bucket, tempPrefix, Date.now() - olderThanMs);
    },

    async close() {
      closed = true;
      client.destroy();
    },
  };
  return store;
}

/** Ranges S3 would misread (negative, fractional, reversed) are refused before asking it. */
function assertWellFormed({ start, end }: ByteRange): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw appError('RANGE_NOT_SATISFIABLE');
  }
}
