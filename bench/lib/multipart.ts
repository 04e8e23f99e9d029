import { randomBytes } from 'node:crypto';

export interface PublishFile {
  /** path inside the package, without the `package/` prefix */
  path: string;
  content: Buffer;
}

/**
 * Encodes a publish body (API.md §5) in one buffer: text fields, then one `entry[]` part per
 * file named `encodeURIComponent("package/" + path)`, as the CLI and testkit send it.
 */
export function encodePublishBody(fields: Record<string, string>, files: readonly PublishFile[]): { body: Buffer; contentType: string } {
  const boundary = `----entropic-bench-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const file of files) {
    const filename = encodeURIComponent(`package/${file.path}`);
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="entry[]"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      file.content,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
