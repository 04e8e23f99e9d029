// Issue 17.9: a legacy tarball fetched for the first time is relayed while it is verified, and
// stored after the response; a tarball that does not match its integrity reaches no client
// whole and is not stored; concurrent first fetches share one upstream fetch.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '@entropic/testkit';
import { countFiles } from './support/count-files.ts';
import { makeNpmTarball } from './support/npm-tarball.ts';
import { waitFor } from './support/wait-for.ts';

interface UpstreamVersion {
  /** what the packument's integrity is computed from */
  tarball: Buffer;
  /** what the tarball URL serves (default: `tarball`) */
  served?: Buffer;
  /** when set, the tarball URL sends the first half, then waits for this before the rest */
  gate?: Promise<void>;
}

/** A minimal npm upstream whose tarball answers the test controls (wrong bytes, a paused body). */
async function startUpstream() {
  const versions = new Map<string, Map<string, UpstreamVersion>>();
  const requests = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const tarball = /^\/([^/]+)\/-\/\1-(.+)\.tgz$/.exec(path);
    if (tarball) {
      const entry = versions.get(tarball[1] as string)?.get(tarball[2] as string);
      if (!entry) return response.writeHead(404).end();
      const body = entry.served ?? entry.tarball;
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
      if (!entry.gate) return response.end(body);
      const half = Math.floor(body.length / 2);
      response.write(body.subarray(0, half));
      void entry.gate.then(() => response.end(body.subarray(half)));
      return;
    }
    const name = path.slice(1);
    const known = versions.get(name);
    if (!known) return response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    const doc = {
      _id: name,
      name,
      'dist-tags': { latest: [...known.keys()].at(-1) },
      versions: Object.fromEntries(
        [...known].map(([version, v]) => [
          version,
          {
            name,
            version,
            dist: {
              tarball: `${url}/${name}/-/${name}-${version}.tgz`,
              integrity: `sha512-${createHash('sha512').update(v.tarball).digest('base64')}`,
              shasum: createHash('sha1').update(v.tarball).digest('hex'),
            },
          },
        ]),
      ),
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests: (path: string) => requests.get(path) ?? 0,
    publish(name: string, version: string, entry: UpstreamVersion) {
      if (!versions.has(name)) versions.set(name, new Map());
      versions.get(name)?.set(version, entry);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const small = (name: string, text = 'module.exports = 1;\n') =>
  makeNpmTarball([
    { name: 'package/package.json', content: JSON.stringify({ name, version: '1.0.0' }) },
    { name: 'package/index.js', content: text },
  ]);
/** Above the size the mirror answers whole (64 KiB): incompressible, so the gzip stays large. */
const large = (name: string) =>
  makeNpmTarball([
    { name: 'package/package.json', content: JSON.stringify({ name, version: '1.0.0' }) },
    { name: 'package/blob.bin', content: randomBytes(1536 * 1024) },
  ]);

describe('the legacy mirror: first fetch of a tarball (issue 17.9)', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let t: TestApp;

  before(async () => {
    upstream = await startUpstream();
    t = await createTestApp({ env: { LEGACY_UPSTREAM: upstream.url, MAX_VERSION_BYTES: String(8 * 1024 * 1024) } });
    await t.listen();
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
  });

  const versionDoc = (name: string) => t.app.inject({ url: `/packages/package/legacy/${name}/versions/1.0.0` });
  const stored = (name: string) =>
    waitFor(`${name}@1.0.0 to be stored`, async () => ((await versionDoc(name)).statusCode === 200 ? true : undefined), 30_000, 50);

  it('a small tarball that does not match its integrity is refused with an error and nothing is stored', async () => {
    const tarball = await small('badsmall');
    upstream.publish('badsmall', '1.0.0', { tarball, served: await small('badsmall', 'module.exports = "evil";\n') });
    const blobsBefore = await countFiles(t.deps.config.cacheDir);
    const res = await t.app.inject({ url: '/badsmall/-/badsmall-1.0.0.tgz' });
    assert.equal(res.statusCode, 502, res.body);
    assert.equal(res.json().code, 'UPSTREAM_UNAVAILABLE');
    assert.match(res.json().message, /does not match its integrity/);
    assert.equal((await versionDoc('badsmall')).statusCode, 404);
    assert.equal(await countFiles(t.deps.config.cacheDir), blobsBefore, 'no blob was written');
  });

  it('a large tarball that does not match its integrity: the client gets an aborted body, never the whole, and nothing is stored', async () => {
    const tarball = await large('badlarge');
    const served = Buffer.from(tarball);
    served[served.length - 100] = (served[served.length - 100] as number) ^ 0xff;
    upstream.publish('badlarge', '1.0.0', { tarball, served });
    const blobsBefore = await countFiles(t.deps.config.cacheDir);
    const response = await fetch(`${t.url}/badlarge/-/badlarge-1.0.0.tgz`);
    assert.equal(response.status, 200, 'the relay had begun');
    await assert.rejects(response.arrayBuffer(), 'the body is cut short');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await versionDoc('badlarge')).statusCode, 404);
    assert.equal(await countFiles(t.deps.config.cacheDir), blobsBefore, 'no blob was written');
    // the next request asks the upstream again and is refused again
    await assert.rejects(fetch(`${t.url}/badlarge/-/badlarge-1.0.0.tgz`).then((r) => r.arrayBuffer()));
    assert.equal(upstream.requests('/badlarge/-/badlarge-1.0.0.tgz'), 2);
  });

  it('a large tarball is relayed while the upstream is still sending, and stored after the response', async () => {
    const tarball = await large('slowlarge');
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    upstream.publish('slowlarge', '1.0.0', { tarball, gate });
    const response = await fetch(`${t.url}/slowlarge/-/slowlarge-1.0.0.tgz`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), String(tarball.length));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0, 'bytes reached the client before the upstream finished');
    assert.equal((await versionDoc('slowlarge')).statusCode, 404, 'nothing is visible before the bytes are verified');
    release();
    const chunks = [Buffer.from(first.value as Uint8Array)];
    for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(Buffer.from(next.value));
    assert.deepEqual(Buffer.concat(chunks), tarball);
    await stored('slowlarge');
    const again = await t.app.inject({ url: '/slowlarge/-/slowlarge-1.0.0.tgz' });
    assert.deepEqual(again.rawPayload, tarball);
    assert.equal(upstream.requests('/slowlarge/-/slowlarge-1.0.0.tgz'), 1, 'served from the store afterwards');
  });

  for (const [label, make] of [
    ['small', small],
    ['large', large],
  ] as const) {
    it(`concurrent first fetches of one ${label} tarball: one upstream fetch, every client gets the right bytes`, async () => {
      const name = `together${label}`;
      const tarball = await make(name);
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      upstream.publish(name, '1.0.0', { tarball, gate });
      const path = `/${name}/-/${name}-1.0.0.tgz`;
      const bodies = Array.from({ length: 8 }, () => fetch(`${t.url}${path}`).then(async (r) => Buffer.from(await r.arrayBuffer())));
      await waitFor('the upstream fetch', async () => (upstream.requests(path) > 0 ? true : undefined), 10_000, 10);
      await new Promise((r) => setTimeout(r, 100)); // let every request reach the mirror while the upstream is paused
      release();
      for (const body of await Promise.all(bodies)) assert.deepEqual(body, tarball);
      assert.equal(upstream.requests(path), 1);
      await stored(name);
    });
  }

  it('the name index learns a legacy package when a version is stored, not when its upstream packument is read', async () => {
    upstream.publish('indexed', '1.0.0', { tarball: await small('indexed') });
    const ref = { namespace: 'legacy', host: t.host, name: 'indexed' } as Parameters<typeof t.app.packageNames.hasPackage>[0];
    assert.equal((await t.app.inject({ url: '/indexed' })).statusCode, 200);
    assert.equal(t.app.packageNames.hasPackage(ref), false, 'nothing is stored here yet');
    assert.equal((await t.app.inject({ method: 'HEAD', url: '/indexed/-/indexed-1.0.0.tgz' })).statusCode, 200);
    assert.equal(t.app.packageNames.hasPackage(ref), true);
  });

  it('HEAD (how ds asks for a version to be mirrored) answers once the version is stored', async () => {
    upstream.publish('headfirst', '1.0.0', { tarball: await small('headfirst') });
    const head = await t.app.inject({ method: 'HEAD', url: '/headfirst/-/headfirst-1.0.0.tgz' });
    assert.equal(head.statusCode, 200);
    assert.equal((await versionDoc('headfirst')).statusCode, 200);
  });
});
