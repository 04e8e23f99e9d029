import { crc32 } from 'node:zlib';
import { Deflate } from 'pako-3';

/** A ustar archive of regular files (what npm clients pack), with the end-of-archive blocks. */
export function tarOf(files: Array<{ path: string; content: Buffer }>): Buffer {
  const blocks: Buffer[] = [];
  for (const { path, content } of files) {
    const header = Buffer.alloc(512);
    header.write(`package/${path}`, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${content.byteLength.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\x0000', 257);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, content, Buffer.alloc((512 - (content.byteLength % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** The gzip of `tar` as pako 3 writes it at `level` (deterministic whatever Node's own zlib is). */
export function gzipOf(tar: Buffer, level: number): Buffer {
  const deflate = new Deflate({ level, raw: true });
  deflate.push(tar, true);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(tar) >>> 0, 0);
  trailer.writeUInt32LE(tar.byteLength, 4);
  return Buffer.concat([Buffer.from('1f8b0800000000000003', 'hex'), Buffer.from(deflate.result), trailer]);
}
