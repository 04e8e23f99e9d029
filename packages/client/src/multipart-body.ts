import { randomBytes } from 'node:crypto';

export interface MultipartField {
  kind: 'field';
  name: string;
  value: string;
}

export interface MultipartFile {
  kind: 'file';
  name: string;
  /** Sent as-is in the `filename` parameter; the caller encodes it (API.md §5). */
  filename: string;
  /** Opened lazily, when the part is reached, so only one file is open at a time. */
  open: () => AsyncIterable<Uint8Array>;
}

export type MultipartPart = MultipartField | MultipartFile;

export interface MultipartBody {
  boundary: string;
  contentType: string;
  /** The body, generated part by part; nothing is buffered beyond one chunk. */
  stream: () => AsyncGenerator<Uint8Array>;
}

function quote(value: string): string {
  return value.replace(/["\r\n\\]/g, (c) => encodeURIComponent(c));
}

export function createMultipartBody(parts: readonly MultipartPart[], onFileBytes?: (bytes: number) => void): MultipartBody {
  const boundary = `----entropic-${randomBytes(16).toString('hex')}`;
  async function* stream(): AsyncGenerator<Uint8Array> {
    for (const part of parts) {
      if (part.kind === 'field') {
        yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"\r\n\r\n${part.value}\r\n`);
        continue;
      }
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"; filename="${quote(part.filename)}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      );
      for await (const chunk of part.open()) {
        onFileBytes?.(chunk.byteLength);
        yield chunk;
      }
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return { boundary, contentType: `multipart/form-data; boundary=${boundary}`, stream };
}
