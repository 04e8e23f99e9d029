// `getObjects` (POST /objects/batch, docs/objects-batch.md) against a registry that answers what
// the test says: every object is hashed before it is handed over, and an answer that is short,
// out of order, overlong in a header or wrong in a byte is refused with a stable code.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ClientError } from '../src/client-error.ts';
import { createRegistryClient } from '../src/registry-client.ts';

const integrityOf = (data: Buffer) => `sha512-${createHash('sha512').update(data).digest('base64')}`;
const record = (data: Buffer) => Buffer.concat([Buffer.from(`${integrityOf(data)} ${data.length}\n`), data]);

describe('client: getObjects', () => {
  let server: Server;
  let registry: string;
  let answer: (asked: string[]) => Buffer[] = () => [];
  const a = Buffer.from('first object\n');
  const b = Buffer.alloc(200_000, 7);
  const empty = Buffer.alloc(0);

  before(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const { objects } = JSON.parse(Buffer.concat(chunks).toString()) as { objects: string[] };
        response.writeHead(200, { 'content-type': 'application/vnd.entropic.objects' });
        // one byte per write: the reader must put records together across chunks
        const body = Buffer.concat(answer(objects));
        let offset = 0;
        const drip = () => {
          if (offset >= body.length) return response.end();
          const size = offset < 300 ? 1 : 65_536;
          response.write(body.subarray(offset, offset + size), drip);
          offset += size;
        };
        drip();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function fetchAll(asked: string[]): Promise<Array<[string, Buffer | undefined]>> {
    const client = createRegistryClient({ registry });
    const got: Array<[string, Buffer | undefined]> = [];
    try {
      await client.getObjects(asked, (integrity, bytes) => got.push([integrity, bytes]));
    } finally {
      await client.close();
    }
    return got;
  }

  const refused = async (asked: string[], code: string, note = '') => {
    await assert.rejects(fetchAll(asked), (error: unknown) => error instanceof ClientError && error.code === code, note);
  };

  it('hands over every object in order, verified, and a missing one as undefined', async () => {
    const missing = integrityOf(Buffer.from('nobody has this'));
    answer = () => [record(a), Buffer.from(`${missing} -\n`), record(b), record(empty)];
    const got = await fetchAll([integrityOf(a), missing, integrityOf(b), integrityOf(empty)]);
    assert.deepEqual(
      got.map(([integrity]) => integrity),
      [integrityOf(a), missing, integrityOf(b), integrityOf(empty)],
    );
    assert.ok(got[0]?.[1]?.equals(a));
    assert.equal(got[1]?.[1], undefined);
    assert.ok(got[2]?.[1]?.equals(b));
    assert.equal(got[3]?.[1]?.length, 0);
  });

  it('refuses a short answer, another object than asked, an overlong header, and a wrong byte', async () => {
    answer = () => [record(a)];
    await refused([integrityOf(a), integrityOf(b)], 'INVALID_RESPONSE', 'case 1');
    answer = () => [record(a).subarray(0, record(a).length - 1)];
    await refused([integrityOf(a)], 'INVALID_RESPONSE', 'case 2');
    answer = () => [record(b), record(a)];
    await refused([integrityOf(a), integrityOf(b)], 'INVALID_RESPONSE', 'case 3');
    answer = () => [Buffer.from(`${integrityOf(a)} ${'9'.repeat(200)}\n`)];
    await refused([integrityOf(a)], 'INVALID_RESPONSE', 'case 4');
    answer = () => [record(a), record(a)];
    await refused([integrityOf(a)], 'INVALID_RESPONSE', 'case 5');
    const tampered = record(b);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 0xff;
    answer = () => [record(a), tampered];
    await refused([integrityOf(a), integrityOf(b)], 'INTEGRITY_MISMATCH', 'case 6');
  });
});
