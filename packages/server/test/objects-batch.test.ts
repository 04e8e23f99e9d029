// `POST /objects/batch` (issue 11.4, docs/objects-batch.md): many objects in one streamed answer,
// in the order asked, each as `<integrity> <size>\n<bytes>` or `<integrity> -\n` when missing; an
// object only private packages reference reads as missing to outsiders, as on the GET.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, publishVersion, type TestApp, type TestUser } from '@entropic/testkit';
import { expectError } from './support/expect-error.ts';

const integrityOf = (data: string | Uint8Array) => `sha512-${createHash('sha512').update(data).digest('base64')}`;

/** The records of a batch answer, parsed strictly: every byte accounted for. */
function parseRecords(body: Buffer): Array<{ integrity: string; bytes: Buffer | undefined }> {
  const records: Array<{ integrity: string; bytes: Buffer | undefined }> = [];
  let offset = 0;
  while (offset < body.length) {
    const newline = body.indexOf(10, offset);
    assert.ok(newline > offset, `a record header at ${offset}`);
    const [integrity, size] = body.subarray(offset, newline).toString('latin1').split(' ') as [string, string];
    offset = newline + 1;
    if (size === '-') {
      records.push({ integrity, bytes: undefined });
      continue;
    }
    assert.match(size, /^\d+$/);
    records.push({ integrity, bytes: body.subarray(offset, offset + Number(size)) });
    offset += Number(size);
  }
  assert.equal(offset, body.length, 'the answer ends with the last record');
  return records;
}

describe('objects: POST /objects/batch', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  const text = 'hello, batched world\n';
  const empty = '';
  const binary = Buffer.from(Array.from({ length: 300 * 1024 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
  const secret = 'only the private package has this\n';
  const batch = (objects: unknown, token?: string) =>
    t.app.inject({ method: 'POST', url: '/objects/batch', headers: token ? bearer(token) : {}, payload: { objects } });

  before(async () => {
    t = await createTestApp();
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    await publishVersion(t.app, 'alice/batched', '1.0.0', {
      token: alice.token,
      files: { 'hello.txt': text, 'data.bin': binary, 'empty.txt': empty },
    });
    await publishVersion(t.app, 'alice/secret', '1.0.0', { token: alice.token, files: { 'index.js': secret } });
    const made = await t.app.inject({
      method: 'PUT',
      url: '/packages/package/alice/secret/access',
      headers: bearer(alice.token),
      payload: { private: true },
    });
    assert.equal(made.statusCode, 200, made.body);
  });
  after(() => t?.close());

  it('answers every object asked for, in order, small, large (streamed) and empty, and a missing one as missing', async () => {
    const asked = [integrityOf(binary), integrityOf('nobody stored this\n'), integrityOf(text), integrityOf(empty), integrityOf(text)];
    const response = await batch(asked);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['content-type'], 'application/vnd.entropic.objects');
    assert.equal(response.headers['cache-control'], 'no-store');
    const records = parseRecords(response.rawPayload);
    assert.deepEqual(
      records.map((r) => r.integrity),
      asked,
    );
    assert.ok(records[0]?.bytes?.equals(binary), 'the large object');
    assert.equal(records[1]?.bytes, undefined);
    assert.equal(records[2]?.bytes?.toString(), text);
    assert.equal(records[3]?.bytes?.length, 0);
    assert.equal(records[4]?.bytes?.toString(), text);
  });

  it('an object only a private package references: missing to outsiders, there for a member', async () => {
    for (const token of [undefined, bob.token]) {
      const records = parseRecords((await batch([integrityOf(secret), integrityOf(text)], token)).rawPayload);
      assert.equal(records[0]?.bytes, undefined, 'outsider');
      assert.equal(records[1]?.bytes?.toString(), text);
    }
    const member = parseRecords((await batch([integrityOf(secret)], alice.token)).rawPayload);
    assert.equal(member[0]?.bytes?.toString(), secret);
  });

  it('refuses a malformed request with a catalogue code, quoting input only bounded', async () => {
    expectError(await batch([]), 400, 'INVALID_FIELD');
    expectError(await batch('sha512-x'), 400, 'INVALID_FIELD');
    expectError(await t.app.inject({ method: 'POST', url: '/objects/batch', payload: {} }), 400, 'INVALID_FIELD');
    expectError(await batch(Array.from({ length: 1001 }, () => integrityOf(text))), 400, 'INVALID_FIELD');
    expectError(await batch([integrityOf(text), 'sha512-tooshort']), 400, 'INVALID_DIGEST');
    const md5 = expectError(await batch([`md5-${'x'.repeat(5000)}`]), 400, 'INVALID_ALGORITHM');
    assert.ok(md5.message.length < 200, md5.message);
    expectError(await batch([42]), 400, 'INVALID_ALGORITHM');
    // 1000 integrities fit the body limit; a body past it is refused before it is read whole
    assert.equal((await batch(Array.from({ length: 1000 }, () => integrityOf(text)))).statusCode, 200);
    const huge = await t.app.inject({
      method: 'POST',
      url: '/objects/batch',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ objects: [integrityOf(text)], padding: 'x'.repeat(200 * 1024) }),
    });
    expectError(huge, 413, 'PAYLOAD_TOO_LARGE');
  });
});
