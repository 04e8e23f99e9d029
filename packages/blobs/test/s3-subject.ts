import { randomBytes, randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type S3Gateway, startS3Gateway } from '@entropic/testkit';
import { type Integrity, integrityToHex } from '@entropic/types';
import { createCachedBlobStore, type S3BlobStoreOptions } from '../src/index.ts';
import { createS3BlobStore } from '../src/s3-blob-store.ts';

/** One real radosgw per test file (started in ~3-15 s); each subject gets its own key prefix. */
export const s3 = {} as { gateway: S3Gateway; admin: S3Client };

export function useS3Gateway(): void {
  before(async () => {
    s3.gateway = await startS3Gateway();
    s3.admin = new S3Client({
      endpoint: s3.gateway.endpoint,
      region: s3.gateway.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.gateway.accessKeyId, secretAccessKey: s3.gateway.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  after(async () => {
    s3.admin?.destroy();
    await s3.gateway?.stop();
  });
}

export function options(prefix: string): S3BlobStoreOptions {
  return {
    bucket: s3.gateway.bucket,
    endpoint: s3.gateway.endpoint,
    region: s3.gateway.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.gateway.accessKeyId, secretAccessKey: s3.gateway.secretAccessKey },
    prefix,
    partSize: 5 * 1024 * 1024,
  };
}

export async function keys(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.admin.send(new ListObjectsV2Command({ Bucket: s3.gateway.bucket, Prefix: prefix, ContinuationToken: token }));
    for (const entry of page.Contents ?? []) found.push(entry.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

export async function uploads(prefix: string): Promise<number> {
  return (await s3.admin.send(new ListMultipartUploadsCommand({ Bucket: s3.gateway.bucket, Prefix: prefix }))).Uploads?.length ?? 0;
}

export function subjectFor(cached: boolean) {
  return async () => {
    const prefix = `contract/${randomUUID()}/`;
    const bare = createS3BlobStore(options(prefix));
    const store = cached ? createCachedBlobStore(bare, { maxBytes: 8 * 1024 * 1024, maxObjectBytes: 1024 * 1024 }) : bare;
    return {
      store,
      storedCopies: async (integrity: Integrity) => (await keys(prefix)).filter((key) => key.endsWith(integrityToHex(integrity))).length,
      tempEntries: async () => (await keys(`${prefix}tmp/`)).length + (await uploads(`${prefix}tmp/`)),
      corrupt: async (integrity: Integrity) => {
        const Key = `${prefix}sha512/${integrityToHex(integrity)}`;
        await s3.admin.send(new PutObjectCommand({ Bucket: s3.gateway.bucket, Key, Body: randomBytes(64) }));
      },
      cleanup: async () => {},
    };
  };
}
