import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { s3 } from './s3-error.ts';

/** Every object under a key prefix, a page (up to 1,000) at a time. */
export async function* listS3Keys(client: S3Client, bucket: string, prefix: string) {
  let token: string | undefined;
  do {
    const page = await s3(client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })));
    for (const entry of page.Contents ?? []) yield entry;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/** Deletes temp objects and aborts multipart uploads under prefix older than cutoff (ms); returns how many. */
export async function cleanS3Temp(client: S3Client, bucket: string, prefix: string, cutoff: number): Promise<number> {
  let removed = 0;
  for await (const entry of listS3Keys(client, bucket, prefix)) {
    if ((entry.LastModified?.getTime() ?? 0) > cutoff || entry.Key === undefined) continue;
    await s3(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: entry.Key })));
    removed += 1;
  }
  const uploads = await s3(client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix })));
  for (const upload of uploads.Uploads ?? []) {
    if ((upload.Initiated?.getTime() ?? 0) > cutoff) continue;
    await s3(client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId })));
    removed += 1;
  }
  return removed;
}
