// Issue 12.4: two registry processes share PostgreSQL, Redis and a blob store behind HAProxy
// (started here, checking each instance's GET /-/ready). SIGTERM drains: readiness answers 503
// first, the balancer takes the instance out, a request in flight finishes after the listener
// closed, and nothing sent through the balancer fails. SIGKILL loses nothing that was answered 201
// and the other instance keeps serving.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { encodePublishBody, startTopology, type Topology } from '@entropic/testkit';

const postgresUrl = process.env.POSTGRES_URL;
const redisUrl = process.env.REDIS_URL;

/** Bounds on a loaded machine (load average 15-25): they bound a hang, not speed. */
const LB_NOTICE_MS = 30_000;
const PROPAGATION_MS = 5_000;

async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 50): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** a GET's status; 0 when no answer came at all */
const statusOf = (url: string) =>
  fetch(url).then(
    async (response) => {
      await response.arrayBuffer();
      return response.status;
    },
    () => 0,
  );

const sha512 = (bytes: Uint8Array | string) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;

describe('several instances behind HAProxy', {
  skip: postgresUrl && redisUrl ? false : 'needs POSTGRES_URL and REDIS_URL (the CI second pass sets them)',
}, () => {
  let t: Topology;
  let token: string;
  const inRotation = (names: string[]) =>
    waitUntil(`HAProxy to report ${names.join(', ')} UP`, LB_NOTICE_MS, async () => {
      const servers = await t.lb.servers();
      return names.every((name) => servers[name]?.status === 'UP') ? servers : undefined;
    });

  before(async () => {
    t = await startTopology({
      postgresUrl: postgresUrl as string,
      redisUrl: redisUrl as string,
      instances: 2,
      drainSeconds: 3,
      checkIntervalMs: 250,
      env: { CACHE_TTL_SECONDS: '600' },
      lbLog: true,
    });
    token = (await t.admin(['user', 'create', 'alice'])).trim().split('\n').at(-1) as string;
    await inRotation(['i1', 'i2']);
  });
  after(async () => {
    await t?.stop();
  });

  const publish = async (base: string, name: string, version: string, content: string) => {
    const { payload, contentType } = await encodePublishBody({ files: { 'index.js': content } });
    try {
      const response = await fetch(`${base}/packages/package/alice/${name}/versions/${version}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
        body: new Uint8Array(payload),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), name, version, body: await response.text() };
    } catch (error) {
      // no answer at all (the connection closed): recorded, and fails the test below with HAProxy's log
      return { status: 0, retryAfter: null, name, version, body: `${String(error)} ${String((error as Error).cause)}` };
    }
  };
  const readJson = async (url: string) => {
    const response = await fetch(url);
    assert.equal(response.status, 200, `GET ${url}: ${response.status}`);
    return response.json() as Promise<{ versions: Record<string, string>; files: Record<string, string> }>;
  };
  /** the version's index.js, read through `base`, has exactly `content`'s bytes */
  const assertReadable = async (base: string, name: string, version: string, content: string) => {
    const doc = await readJson(`${base}/packages/package/alice/${name}/versions/${version}`);
    const integrity = doc.files['./package/index.js'] as string;
    assert.equal(integrity, sha512(content), `${name}@${version} names the published bytes`);
    const object = await fetch(`${base}/objects/object/sha512/${encodeURIComponent(integrity.slice('sha512-'.length))}`);
    assert.equal(object.status, 200, `${name}@${version}'s object`);
    assert.equal(sha512(new Uint8Array(await object.arrayBuffer())), integrity, `${name}@${version}'s bytes`);
  };

  it('spreads requests over both instances; a publish through one is read at once through the cache of the other', async () => {
    const [i1, i2] = t.instances as [Topology['instances'][0], Topology['instances'][0]];
    const before = await t.lb.servers();
    for (let i = 0; i < 20; i++) assert.equal((await fetch(`${t.url}/ping`)).status, 200);
    const afterPings = await t.lb.servers();
    for (const name of ['i1', 'i2']) {
      const sent = (afterPings[name]?.requests ?? 0) - (before[name]?.requests ?? 0);
      assert.ok(sent >= 5, `HAProxy sent ${name} ${sent} of 20 requests (round robin)`);
    }
    assert.equal((await publish(i1.url, 'shared', '1.0.0', 'one\n')).status, 201);
    const doc = `${i2.url}/packages/package/alice/shared`;
    assert.deepEqual(Object.keys((await readJson(doc)).versions), ['1.0.0'], 'i2 caches the document (TTL 600 s)');
    assert.equal((await publish(i1.url, 'shared', '1.1.0', 'two\n')).status, 201);
    await waitUntil(
      'i2 to answer the version published through i1 (a Redis broadcast dropped its cached document)',
      PROPAGATION_MS,
      async () => ('1.1.0' in (await readJson(doc)).versions ? true : undefined),
    );
    await assertReadable(t.url, 'shared', '1.1.0', 'two\n');
  });

  it('SIGTERM drains: readiness 503, out of rotation, the in-flight publish finishes after the listener closed, exit 0', async () => {
    const i1 = t.instances[0] as Topology['instances'][0];
    const child = i1.current().child;
    const content = `${'x'.repeat(2 * 1024 * 1024)}\n`;
    const { payload, contentType } = await encodePublishBody({ files: { 'index.js': content } });
    // a publish straight to i1, half sent when the signal comes
    const upload = httpRequest(`${i1.url}/packages/package/alice/drained/versions/1.0.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': String(payload.length) },
    });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      upload.on('error', reject);
      upload.on('response', (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    await new Promise<void>((resolve, reject) => upload.write(payload.subarray(0, payload.length / 2), (e) => (e ? reject(e) : resolve())));
    await new Promise((r) => setTimeout(r, 300));

    // reads through the balancer for the whole drain: none may fail
    const statuses: number[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) statuses.push(await statusOf(`${t.url}/packages/package/alice/shared`));
    })();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const ready = await waitUntil('i1 to answer GET /-/ready with 503 (draining)', LB_NOTICE_MS, async () => {
      const response = await fetch(`${i1.url}/-/ready`);
      return response.status === 503 ? response.json() : undefined;
    });
    assert.deepEqual(ready, { ready: false, draining: true });
    const out = await waitUntil('HAProxy to take i1 out of rotation', LB_NOTICE_MS, async () => {
      const servers = await t.lb.servers();
      return servers.i1?.status.startsWith('DOWN') ? servers : undefined;
    });
    assert.equal(child.exitCode, null, 'i1 is still running (draining) when the balancer takes it out');
    await waitUntil('i1 to close its listener (after the 3 s drain)', LB_NOTICE_MS, async () => {
      try {
        await fetch(`${i1.url}/ping`);
        return undefined;
      } catch {
        return true;
      }
    });
    assert.equal(child.exitCode, null, 'i1 waits for the publish in flight');
    upload.end(payload.subarray(payload.length / 2));
    const answer = await answered;
    assert.equal(answer.status, 201, answer.body);
    assert.equal(await exited, 0, i1.current().output());
    reading = false;
    await reader;
    const failed = statuses.filter((s) => s !== 200);
    assert.deepEqual(failed, [], `${statuses.length} reads through the balancer during the drain`);
    assert.ok(statuses.length > 0);
    assert.equal((await t.lb.servers()).i1?.requests, out.i1?.requests, 'no request went to i1 after it left the rotation');
    await assertReadable(t.url, 'drained', '1.0.0', content);
    await i1.restart();
    await inRotation(['i1', 'i2']);
  });

  it('SIGKILL of one instance: publishes answer 201 or 503 with Retry-After, reads keep answering, every 201 is durable', async () => {
    const i2 = t.instances[1] as Topology['instances'][0];
    const published: Array<{ name: string; version: string; content: string }> = [];
    const publishStatuses: Array<{ status: number; retryAfter: string | null; name: string; version: string; body: string }> = [];
    const readStatuses: number[] = [];
    let running = true;
    const publisher = async (name: string) => {
      for (let n = 0; running && n < 500; n++) {
        const version = `1.0.${n}`;
        const content = `module.exports = '${name}@${version}';\n`;
        const answer = await publish(t.url, name, version, content);
        publishStatuses.push(answer);
        if (answer.status === 201) published.push({ name, version, content });
      }
    };
    const reader = async () => {
      while (running) readStatuses.push(await statusOf(`${t.url}/packages/package/alice/shared`));
    };
    const load = Promise.all([publisher('killed-a'), publisher('killed-b'), reader()]);
    await waitUntil('a few publishes through both instances before the kill', LB_NOTICE_MS, async () =>
      published.length >= 4 ? true : undefined,
    );
    assert.equal(await i2.kill('SIGKILL'), 'SIGKILL');
    const beforeKill = published.length;
    await waitUntil('HAProxy to notice i2 is gone', LB_NOTICE_MS, async () =>
      (await t.lb.servers()).i2?.status.startsWith('DOWN') ? true : undefined,
    );
    await waitUntil('publishes to go on through i1', LB_NOTICE_MS, async () => (published.length >= beforeKill + 4 ? true : undefined));
    running = false;
    await load;

    // HAProxy's lines for publishes and for anything but a 200 or 201 (with its termination state), for the messages
    const log = () =>
      t.lb
        .output()
        .split('\n')
        .filter((line) => !/ 20[01] \d+ /.test(line) || line.includes('"PUT '))
        .slice(-40)
        .join('\n');
    // Every publish gets an answer: 201, or 503 with Retry-After. (Before HAProxy closed client
    // connections after each answer, `connection: close`, a publish in flight to the killed
    // instance on a kept-alive connection got its connection closed without a word in 3 of 7 runs:
    // HAProxy's abort_keep_alive, which leaves the retry to the client.)
    const unanswered = publishStatuses.filter((a) => a.status === 0);
    assert.deepEqual(unanswered, [], `publishes without an answer\n${log()}`);
    const unexpected = publishStatuses.filter((a) => a.status !== 201 && !(a.status === 503 && a.retryAfter));
    assert.equal(
      unexpected.length,
      0,
      `publishes that answered neither 201 nor 503 with Retry-After: ${JSON.stringify(unexpected)}\n${log()}`,
    );
    // a 503 from the balancer for a publish the killed instance held: absent, or committed and intact
    for (const { version, name } of publishStatuses.filter((a) => a.status === 503)) {
      const response = await fetch(`${t.url}/packages/package/alice/${name}/versions/${version}`);
      await response.arrayBuffer();
      if (response.status !== 404) await assertReadable(t.url, name, version, `module.exports = '${name}@${version}';\n`);
    }
    const failedReads = readStatuses.filter((s) => s !== 200);
    assert.equal(failedReads.length, 0, `of ${readStatuses.length} reads through the balancer: ${failedReads.join(' ')}\n${log()}`);
    for (const { name, version, content } of published) await assertReadable(t.url, name, version, content);

    await i2.restart();
    await inRotation(['i1', 'i2']);
    for (const { name, version, content } of published) await assertReadable(i2.url, name, version, content);
    const fsck = await t.admin(['fsck']);
    assert.match(fsck, /all good/, fsck);
  });
});
