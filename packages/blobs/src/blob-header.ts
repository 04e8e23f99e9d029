/**
 * The fixed header that starts every stored file whose bytes are not the content itself
 * (`<hex>.br` today; deltas later). Raw files (`<hex>`) have no header: their bytes are the content.
 *
 *   0..3   magic "ENTB"
 *   4      format version (1)
 *   5      encoding (1 = brotli)
 *   6..7   header length in bytes, u16 big-endian (16 for version 1; room for e.g. a delta base)
 *   8..15  content size in bytes, u64 big-endian
 *   16..   payload (the encoded content)
 *
 * The content size in the header lets stat() answer without decoding.
 */
export const BLOB_HEADER_SIZE = 16;

const MAGIC = 0x454e5442; // "ENTB"
const FORMAT_VERSION = 1;

export type StoredEncoding = 'raw' | 'brotli';

const ENCODING_CODES: Record<Exclude<StoredEncoding, 'raw'>, number> = { brotli: 1 };

export interface BlobHeader {
  encoding: Exclude<StoredEncoding, 'raw'>;
  /** offset of the payload */
  headerLength: number;
  /** size of the content */
  size: number;
}

export function encodeBlobHeader(encoding: Exclude<StoredEncoding, 'raw'>, size: number): Buffer {
  const header = Buffer.alloc(BLOB_HEADER_SIZE);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt8(FORMAT_VERSION, 4);
  header.writeUInt8(ENCODING_CODES[encoding], 5);
  header.writeUInt16BE(BLOB_HEADER_SIZE, 6);
  header.writeBigUInt64BE(BigInt(size), 8);
  return header;
}

/** The header, or undefined when the bytes are not a valid header (a corrupt file). */
export function decodeBlobHeader(bytes: Uint8Array): BlobHeader | undefined {
  if (bytes.byteLength < BLOB_HEADER_SIZE) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.readUInt32BE(0) !== MAGIC || buf.readUInt8(4) !== FORMAT_VERSION) return undefined;
  const code = buf.readUInt8(5);
  const encoding = (Object.keys(ENCODING_CODES) as Exclude<StoredEncoding, 'raw'>[]).find((e) => ENCODING_CODES[e] === code);
  const headerLength = buf.readUInt16BE(6);
  const size = buf.readBigUInt64BE(8);
  if (encoding === undefined || headerLength < BLOB_HEADER_SIZE || size > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { encoding, headerLength, size: Number(size) };
}
