// Issue 2 item 6: graceful shutdown on SIGTERM: a request in flight finishes, the process exits 0
// and gives up the embedded database's lock.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePublishBody } from '@entropic/testkit';
import { countFiles } from './support/count-files.ts';
import { runAdmin } from './support/run-admin.ts';
import { type RegistryWithUser, startRegistryWithUser } from './support/start-registry-with-user.ts';
import { waitFor } from './support/wait-for.ts';

describe('SIGTERM', () => {
  let r: RegistryWithUser;
  before(async () => {
    r = await startRegistryWithUser('alice');
  });
  after(() => r?.cleanup());

  it('lets a publish in flight finish, exits 0 and removes the pid lock', async () => {
    const { child, url } = r.registry;
    const lock = join(r.dataDir, 'server.pid');
    if (r.embedded) assert.ok(existsSync(lock), 'the embedded database is locked while the server runs');
    const { payload, contentType } = await encodePublishBody({
      files: { 'index.js': 'ok\n', 'big.bin': Buffer.alloc(2 * 1024 * 1024, 1) },
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const upload = httpRequest(`${url}/packages/package/alice/late/versions/1.0.0`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${r.token}`, 'content-type': contentType, 'content-length': String(payload.length) },
      });
      upload.on('error', reject);
      upload.on('response', (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      upload.write(payload.subarray(0, payload.length / 2));
      // the request is in the blob store when the signal comes; the rest follows after it
      waitFor('the upload to be in progress', async () => ((await countFiles(join(r.blobDir, 'tmp'))) > 0 ? true : undefined), 10_000, 20)
        .then(async () => {
          const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
          exited = exit;
          child.kill('SIGTERM');
          await new Promise((done) => setTimeout(done, 300));
          assert.equal(child.exitCode, null, 'the process waits for the request in flight');
          upload.end(payload.subarray(payload.length / 2));
        })
        .catch(reject);
    });
    let exited: Promise<number | null> | undefined;
    const answer = await response;
    assert.equal(answer.status, 201, answer.body);
    const answeredAt = Date.now();
    const code = await Promise.race([
      exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no exit within 15 s')), 15_000)),
    ]);
    assert.equal(code, 0, r.registry.output());
    // the client's keep-alive connection does not hold the exit up after its answer
    assert.ok(Date.now() - answeredAt < 3000, `exited ${Date.now() - answeredAt} ms after the answer`);
    assert.equal(existsSync(lock), false, 'the pid lock is removed');
    // what was answered 201 is durable: the next process (here: fsck) finds it
    const fsck = await runAdmin(['fsck'], { env: r.env, cwd: r.dataDir });
    assert.equal(fsck.code, 0, fsck.stderr + fsck.stdout);
    assert.match(fsck.stdout, /Checked 1 versions and 3 blobs: all good/);
  });
});
