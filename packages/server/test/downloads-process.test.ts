// Issue 16.5: what a real registry process keeps of its download counts: every count after a
// SIGTERM (the shutdown flushes), and everything up to its last flush after a SIGKILL (the loss is
// bounded by one DOWNLOAD_FLUSH_SECONDS interval of counts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodePublishBody } from '@entropic/testkit';
import { type RegistryWithUser, startRegistryWithUser } from './support/start-registry-with-user.ts';
import { waitFor } from './support/wait-for.ts';

describe('download counts of a registry process', () => {
  let r: RegistryWithUser;
  const tarball = () => `${r.registry.url}/@alice/lib/-/lib-1.0.0.tgz`;
  const total = async () => {
    const response = await fetch(`${r.registry.url}/-/downloads/point/last-day/@alice/lib`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { downloads: number }).downloads;
  };
  const download = async (times: number) => {
    for (let i = 0; i < times; i++) {
      const response = await fetch(tarball());
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    }
  };

  before(async () => {
    r = await startRegistryWithUser('alice', { env: { DOWNLOAD_FLUSH_SECONDS: '2' } });
    const { payload, contentType } = await encodePublishBody({ files: { 'index.js': 'ok\n' } });
    const published = await fetch(`${r.registry.url}/packages/package/alice/lib/versions/1.0.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${r.token}`, 'content-type': contentType },
      body: new Uint8Array(payload),
    });
    assert.equal(published.status, 201, await published.text());
  });
  after(() => r?.cleanup());

  it('flushes on its interval; a SIGKILL loses at most what came after the last flush', async () => {
    await download(20);
    // the flush every 2 s writes them (the bound is the machine's load, not the interval)
    await waitFor('the interval flush to write 20 downloads', async () => ((await total()) === 20 ? true : undefined), 60_000, 250);
    await download(7);
    const exited = new Promise((done) => r.registry.child.once('exit', done));
    r.registry.child.kill('SIGKILL');
    await exited;
    // from here on only a shutdown flushes (the next test shows that one is exact)
    r.env.DOWNLOAD_FLUSH_SECONDS = '3600';
    await r.restart();
    const kept = await total();
    assert.ok(kept >= 20 && kept <= 27, `the flushed 20 survive, at most the 7 since are lost: ${kept}`);
  });

  it('a SIGTERM flushes: the totals are exact after a restart', async () => {
    const before = await total();
    await download(5);
    await r.registry.stop({ keepData: true });
    await r.restart();
    assert.equal(await total(), before + 5);
  });
});
