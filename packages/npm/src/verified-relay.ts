import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { appError } from '@entropic/types';

/** What the upstream's packument promises about a tarball. */
export interface TarballExpectation {
  /** `sha512-…` from `dist.integrity`, when the upstream gives one */
  sha512: string | undefined;
  /** `dist.shasum` (hex sha1), checked when there is no sha512 */
  shasum: string | undefined;
}

export interface VerifiedBytes {
  bytes: Buffer;
  /** `sha512-<base64>` of the bytes */
  sha512: string;
  /** hex sha1 of the bytes */
  sha1: string;
}

export interface VerifiedRelay {
  /**
   * The bytes as they arrive, for the client: every chunk but the last is passed on at once;
   * the last one only once the whole is verified and `check` accepted it. On any failure the
   * stream is destroyed with the error (the client sees an aborted response, never a complete
   * wrong one).
   */
  stream: Readable;
  /** The whole tarball once verified (rejects with the failure). */
  verified: Promise<VerifiedBytes>;
}

/**
 * Relays an upstream tarball while hashing and collecting it. The upstream is read to the end
 * even when the client goes away (the bytes are still wanted for the store); a client slower
 * than the upstream only costs memory already bounded by `maxBytes`.
 */
export function relayVerified(
  body: AsyncIterable<Uint8Array>,
  expect: TarballExpectation,
  maxBytes: number,
  label: string,
  check: (bytes: Buffer) => Promise<void>,
): VerifiedRelay {
  const stream = new PassThrough();
  // a client that disconnects destroys the stream; its error has no one else to go to
  stream.on('error', () => {});
  const verified = (async (): Promise<VerifiedBytes> => {
    const sha512 = createHash('sha512');
    const sha1 = createHash('sha1');
    const chunks: Buffer[] = [];
    let size = 0;
    let held: Buffer | undefined;
    for await (const raw of body) {
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      size += chunk.length;
      if (size > maxBytes) throw appError('VERSION_TOO_LARGE', `The upstream tarball of ${label} is larger than ${maxBytes} bytes.`);
      sha512.update(chunk);
      sha1.update(chunk);
      chunks.push(chunk);
      if (held && !stream.destroyed) stream.write(held);
      held = chunk;
    }
    const result: VerifiedBytes = {
      bytes: Buffer.concat(chunks, size),
      sha512: `sha512-${sha512.digest('base64')}`,
      sha1: sha1.digest('hex'),
    };
    const matches = expect.sha512 ? expect.sha512 === result.sha512 : expect.shasum?.toLowerCase() === result.sha1;
    if (!matches) {
      throw appError('UPSTREAM_UNAVAILABLE', `The upstream tarball of ${label} does not match its integrity; it was not stored.`);
    }
    await check(result.bytes);
    if (!stream.destroyed) stream.end(held);
    return result;
  })();
  verified.catch((error: unknown) => stream.destroy(error instanceof Error ? error : new Error(String(error))));
  return { stream, verified };
}
