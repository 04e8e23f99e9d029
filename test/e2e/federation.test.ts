// Issue 15.3/15.6/15.7: three registries as separate processes on loopback, each its own host.
// A federates with B (through a tampering proxy the test controls) and not with C. Reads of
// B's packages through A are served from a verified local copy; every tampering case is refused
// with its code, logged with the peer, and nothing of it is stored; C is never contacted; with B
// stopped, A still serves what it mirrored.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePublishBody, freePort, type RegistryProcess, startRegistryProcess } from '@entropic/testkit';
import { hostKeyId, type PublicHostKey, packageStatement, verifyStatement } from '@entropic/types';
import { runDs, tempDir, writeProject } from '../../packages/cli/test/support/ds-harness.ts';
import { publishAsAlice, redisPrefix, removeDataDirs, startWithAlice } from './support/federated-registries.ts';

type PackageDocument = Parameters<typeof packageStatement>[0] & { hostSignatures?: Array<{ keyid: string; sig: string }> };

const sha512 = (bytes: Uint8Array | string) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
/** the object route's digest segment: the base64 digest, URL-encoded */
const hexOf = (integrity: string) => encodeURIComponent(integrity.slice('sha512-'.length));

type Mode =
  | { kind: 'pass' }
  /** flips one byte of the object with this hex digest */
  | { kind: 'flip'; hex: string }
  /** replaces the package documents' signatures with ones by a key B never had (same key id) */
  | { kind: 'resign' }
  /** signs package documents with `version` given another integrity, by the key injected at first contact */
  | { kind: 'equivocate'; version: string; integrity: string }
  | { kind: 'stall' }
  | { kind: 'garbage' }
  | { kind: 'redirect'; location: string }
  | { kind: 'huge' };

/** An HTTP proxy in front of B: passes requests through, or tampers with the answers as `mode` says. */
class TamperingProxy {
  mode: Mode = { kind: 'pass' };
  readonly paths: string[] = [];
  /** bytes of object bodies relayed to A */
  objectBytes = 0;
  /** the attacker's key, listed in B's host document at first contact (only that once) */
  readonly attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  readonly attackerId = hostKeyId(this.attacker.publicKey.export({ type: 'spki', format: 'der' }));
  injectKey = true;
  private server: Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  private port = 0;

  /** listens (again, on the same port after a stop) */
  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const port = this.port;
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    this.paths.push(path);
    const mode = this.mode;
    if (mode.kind === 'stall') return; // never answers
    if (mode.kind === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name": "<html>not json');
      return;
    }
    if (mode.kind === 'redirect') {
      res.writeHead(302, { location: `${mode.location}${path}` }).end();
      return;
    }
    if (mode.kind === 'huge') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"name":"${'x'.repeat(3 * 1024 * 1024)}"}`);
      return;
    }
    let upstream: Response;
    try {
      upstream = await fetch(`${this.target}${path}`, { headers: { accept: req.headers.accept ?? '*/*' }, redirect: 'manual' });
    } catch {
      res.socket?.destroy();
      return;
    }
    let body = Buffer.from(await upstream.arrayBuffer());
    if (path === '/-/v1/host' && this.injectKey) {
      const doc = JSON.parse(body.toString());
      const spki = this.attacker.publicKey.export({ type: 'spki', format: 'der' });
      doc.keys.push({ ...doc.keys[0], keyid: this.attackerId, key: spki.toString('base64'), expires: null });
      body = Buffer.from(JSON.stringify(doc));
      this.injectKey = false;
    }
    const isPackage = /^\/packages\/package\/[^/]+\/[^/]+$/.test(path) && upstream.status === 200;
    if (isPackage && mode.kind === 'resign') {
      const doc = JSON.parse(body.toString()) as PackageDocument;
      const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const keyid = doc.hostSignatures?.[0]?.keyid as string;
      doc.hostSignatures = [{ keyid, sig: sign('sha256', Buffer.from(packageStatement(doc)), stranger.privateKey).toString('base64') }];
      body = Buffer.from(JSON.stringify(doc));
    }
    if (isPackage && mode.kind === 'equivocate') {
      const doc = JSON.parse(body.toString()) as PackageDocument;
      doc.versions[mode.version] = mode.integrity;
      doc.hostSignatures = [
        { keyid: this.attackerId, sig: sign('sha256', Buffer.from(packageStatement(doc)), this.attacker.privateKey).toString('base64') },
      ];
      body = Buffer.from(JSON.stringify(doc));
    }
    if (path.startsWith('/objects/')) {
      this.objectBytes += body.length;
      if (mode.kind === 'flip' && path.endsWith(mode.hex)) {
        body = Buffer.from(body);
        body[0] = (body[0] as number) ^ 1;
      }
    }
    const headers: Record<string, string> = { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' };
    res.writeHead(upstream.status, headers).end(body);
  }
}

/** A TCP forwarder that counts the connections made to it: C's public address. */
async function countingForwarder(targetPort: number): Promise<{ port: number; connections: () => number; server: TcpServer }> {
  let count = 0;
  const server = createTcpServer((socket) => {
    count += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { port, connections: () => count, server };
}

const publish = publishAsAlice;

/** waits (at most 10 s) for the registry's log to show `pattern`: the logger writes asynchronously */
async function assertLogged(registry: RegistryProcess, pattern: RegExp): Promise<void> {
  const started = Date.now();
  while (!pattern.test(registry.output())) {
    if (Date.now() - started > 10_000) assert.fail(`the log never showed ${pattern}:\n${registry.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

/** `ds install` of a project needing `alice/app` through `registry`, with a fresh HOME (an empty cache) */
async function dsInstall(registry: RegistryProcess) {
  const home = await tempDir('fed-home-');
  const project = await writeProject(await tempDir('fed-project-'), { 'Package.toml': '[dependencies]\n"alice/app" = "^1.0.0"\n' });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    NO_COLOR: '1',
    ENTROPIC_REGISTRY: registry.url,
  };
  const result = await runDs(['install', '--json'], project, env);
  return { result, project };
}

describe('federation between three registry processes', { timeout: 600_000 }, () => {
  let a: RegistryProcess;
  let b: RegistryProcess;
  let c: RegistryProcess;
  let cPublic: Awaited<ReturnType<typeof countingForwarder>>;
  let proxy: TamperingProxy;
  let bToken: string;
  let aToken: string;
  let bHost: string;
  let cHost: string;
  const remote = (name: string) => `${a.url}/packages/package/alice@${bHost}/${name}`;

  before(async () => {
    const cPort = await freePort();
    cPublic = await countingForwarder(cPort);
    cHost = `127.0.0.1:${cPublic.port}`;
    let started: { registry: RegistryProcess; token: string };
    [started, c] = await Promise.all([
      startWithAlice({ env: { ...redisPrefix('b') } }),
      startRegistryProcess({ port: cPort, env: { EXTERNAL_HOST: `http://${cHost}`, ...redisPrefix('c') } }),
    ]);
    b = started.registry;
    bToken = started.token;
    bHost = b.host;
    proxy = new TamperingProxy(b.url);
    await proxy.start();
    started = await startWithAlice({
      env: {
        FEDERATION_HOSTS: `${bHost}=${proxy.url}`,
        FEDERATION_REFRESH_SECONDS: '0',
        FEDERATION_HEADERS_TIMEOUT_MS: '1500',
        FEDERATION_STALL_TIMEOUT_MS: '1500',
        FEDERATION_MAX_DOCUMENT_BYTES: String(1024 * 1024),
        ...redisPrefix('a'),
      },
    });
    a = started.registry;
    aToken = started.token;
  });

  after(async () => {
    await Promise.allSettled([a?.stop(), b?.stop(), c?.stop(), proxy?.stop()]);
    cPublic?.server.close();
    await removeDataDirs();
  });

  let leftPad: { integrity: string; files: Record<string, string> };
  const leftPadSource = 'module.exports = (s, n) => s.padStart(n);\n';

  it('reads a package of B through A: the origin-signed document, the version and its files, checked and stored', async () => {
    leftPad = await publish(b, bToken, 'left-pad', '1.0.0', { 'index.js': leftPadSource, 'README.md': '# left-pad\n' });
    const doc = await get(remote('left-pad'));
    assert.equal(doc.status, 200, JSON.stringify(doc.body));
    assert.equal(doc.body.name, `alice@${bHost}/left-pad`);
    assert.deepEqual(doc.body.versions, { '1.0.0': leftPad.integrity });
    // the statement A serves is B's own, checkable with B's keys alone
    const hostDoc = (await get(`${b.url}/-/v1/host`)).body as { keys: PublicHostKey[] };
    const served = doc.body as unknown as PackageDocument;
    assert.ok(verifyStatement(packageStatement(served), served.hostSignatures, hostDoc.keys, new Date(served.modified)));

    const version = await get(`${remote('left-pad')}/versions/1.0.0`);
    assert.equal(version.status, 200, JSON.stringify(version.body));
    assert.equal(version.body.integrity, leftPad.integrity);
    const fileIntegrity = leftPad.files['./package/index.js'] as string;
    assert.equal(fileIntegrity, sha512(leftPadSource));
    const object = await fetch(`${a.url}/objects/object/sha512/${hexOf(fileIntegrity)}`);
    assert.equal(object.status, 200);
    assert.equal(await object.text(), leftPadSource);
    const tags = await get(`${remote('left-pad')}/dist-tags`);
    assert.deepEqual(tags.body, { latest: '1.0.0' });
  });

  it('fetches only the files it does not hold: content addressing dedups with local files', async (t) => {
    const shared = `export const shared = "the same bytes on both hosts";\n${'// padding\n'.repeat(4000)}`;
    const extra = 'export const x = 1;\n';
    await publish(a, aToken, 'local-copy', '1.0.0', { 'index.js': shared });
    const published = await publish(b, bToken, 'dedup', '1.0.0', { 'index.js': shared, 'extra.js': extra });
    const versionDocument = await (await fetch(`${b.url}/objects/object/sha512/${hexOf(published.integrity)}`)).arrayBuffer();
    const before = proxy.paths.length;
    const bytesBefore = proxy.objectBytes;
    assert.equal((await get(`${remote('dedup')}/versions/1.0.0`)).status, 200);
    // origin bytes per mirrored version: the version document and the one file A did not hold
    const originBytes = proxy.objectBytes - bytesBefore;
    assert.equal(originBytes, versionDocument.byteLength + Buffer.byteLength(extra));
    t.diagnostic(
      `origin object bytes for a version of ${Buffer.byteLength(shared) + Buffer.byteLength(extra)} file bytes, ${Buffer.byteLength(shared)} of them held already: ${originBytes}`,
    );
    const fetched = proxy.paths.slice(before).filter((path) => path.startsWith('/objects/'));
    assert.deepEqual(
      fetched.sort(),
      [
        `/objects/object/sha512/${hexOf(published.files['./package/extra.js'] as string)}`,
        `/objects/object/sha512/${hexOf(published.integrity)}`,
      ].sort(),
    );
  });

  it("ds installs through A a local package that depends on B's, recording B's host in Package.lock", async () => {
    await publish(
      a,
      aToken,
      'app',
      '1.0.0',
      { 'index.js': "module.exports = require('left-pad');\n" },
      { dependencies: { [`alice@${bHost}/left-pad`]: '^1.0.0' } },
    );
    const { result, project } = await dsInstall(a);
    assert.equal(result.code, 0, result.stderr);
    const lock = await readFile(join(project, 'Package.lock'), 'utf8');
    assert.match(lock, new RegExp(`alice@${bHost.replace(/\./g, '\\.')}/left-pad`));
    const installed = result.json<{ packages: Array<{ path: string; version: string }> }>().packages.map((p) => p.path);
    assert.equal(installed.length, 2, installed.join(', '));
    const leftPadPath = installed.find((path) => path.includes('left-pad')) as string;
    assert.equal(await readFile(join(project, leftPadPath, 'index.js'), 'utf8'), leftPadSource);
  });

  const deepSource = 'module.exports = "deep, two hops from A";\n';
  it('mirrors in the background what a version published on A needs from B, and what that needs', async () => {
    await publish(b, bToken, 'bg-deep', '1.0.0', { 'index.js': deepSource });
    await publish(
      b,
      bToken,
      'bg-dep',
      '1.0.0',
      { 'index.js': "module.exports = require('bg-deep');\n" },
      { dependencies: { 'alice/bg-deep': '^1.0.0' } },
    );
    const before = proxy.paths.length;
    await publish(
      a,
      aToken,
      'bg-app',
      '1.0.0',
      { 'index.js': 'module.exports = 1;\n' },
      { dependencies: { [`alice@${bHost}/bg-dep`]: '^1.0.0' } },
    );
    // only the object store is asked: a version read would mirror on demand
    const deepObject = `${a.url}/objects/object/sha512/${hexOf(sha512(deepSource))}`;
    const started = Date.now();
    while ((await fetch(deepObject)).status !== 200) {
      assert.ok(
        Date.now() - started < 60_000,
        `bg-deep was not mirrored in time:\n${a
          .output()
          .split('\n')
          .filter((line) => /job|mirror|federation/.test(line))
          .join('\n')
          .slice(-3000)}`,
      );
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(
      proxy.paths.slice(before).some((path) => path.endsWith('/bg-deep')),
      'the dependency of the dependency came from B',
    );
  });

  it('keeps remote namespaces read-only', async () => {
    const { payload, contentType } = await encodePublishBody({ files: { 'index.js': 'x' } });
    const response = await fetch(`${remote('left-pad')}/versions/2.0.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${aToken}`, 'content-type': contentType },
      body: new Uint8Array(payload),
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { code: string }).code, 'REMOTE_HOST');
  });

  it('refuses a file with a flipped byte, stores nothing of it, and mirrors it once the bytes are right', async () => {
    const source = 'module.exports = "flip me";\n';
    const published = await publish(b, bToken, 'flipped', '1.0.0', { 'index.js': source });
    const fileHex = hexOf(sha512(source));
    proxy.mode = { kind: 'flip', hex: fileHex };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await get(`${remote('flipped')}/versions/1.0.0`);
      assert.equal(refused.status, 502);
      assert.equal(refused.body.code, 'PEER_HASH_MISMATCH');
    }
    assert.equal((await fetch(`${a.url}/objects/object/sha512/${fileHex}`)).status, 404, 'the tampered file is not stored');
    assert.equal((await fetch(`${a.url}/objects/object/sha512/${hexOf(published.integrity)}`)).status, 404, 'nor the version');
    await assertLogged(a, new RegExp(`federation: ${bHost.replace(/\./g, '\\.')} refused \\(PEER_HASH_MISMATCH\\)`));
    proxy.mode = { kind: 'pass' };
    assert.equal((await get(`${remote('flipped')}/versions/1.0.0`)).status, 200);
  });

  it('refuses a package document re-signed with a key B does not have, storing nothing', async () => {
    await publish(b, bToken, 'resigned', '1.0.0', { 'index.js': 'module.exports = 1;\n' });
    proxy.mode = { kind: 'resign' };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await get(remote('resigned'));
      assert.equal(refused.status, 502);
      assert.equal(refused.body.code, 'PEER_BAD_SIGNATURE');
    }
    // nothing was stored: with the origin unreachable there is no local copy to serve
    proxy.mode = { kind: 'pass' };
    await proxy.stop();
    const absent = await get(remote('resigned'));
    assert.equal(absent.body.code, 'PEER_UNREACHABLE', JSON.stringify(absent.body));
    await proxy.start();
    await assertLogged(a, /refused \(PEER_BAD_SIGNATURE\)/);
  });

  it('refuses a different integrity for a version it has seen, and keeps serving the first', async () => {
    proxy.mode = { kind: 'equivocate', version: '1.0.0', integrity: sha512('other bytes') };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await get(remote('left-pad'));
      assert.equal(refused.status, 502);
      assert.equal(refused.body.code, 'PEER_REPLACED_VERSION');
    }
    proxy.mode = { kind: 'pass' };
    const version = await get(`${remote('left-pad')}/versions/1.0.0`);
    assert.equal(version.body.integrity, leftPad.integrity);
    assert.deepEqual((await get(remote('left-pad'))).body.versions, { '1.0.0': leftPad.integrity });
    await assertLogged(a, /refused \(PEER_REPLACED_VERSION\)/);
  });

  it('refuses a peer that stalls, sends garbage, redirects or sends too much, each with its code', async () => {
    const cases: Array<[Mode, string]> = [
      [{ kind: 'stall' }, 'PEER_TIMEOUT'],
      [{ kind: 'garbage' }, 'PEER_BAD_RESPONSE'],
      [{ kind: 'redirect', location: `http://${cHost}` }, 'PEER_BAD_RESPONSE'],
      [{ kind: 'huge' }, 'PEER_TOO_LARGE'],
    ];
    for (const [mode, code] of cases) {
      proxy.mode = mode;
      const refused = await get(remote('never-mirrored'));
      assert.equal(refused.body.code, code, `${mode.kind}: ${JSON.stringify(refused.body)}`);
      await assertLogged(a, new RegExp(`refused \\(${code}\\)`));
    }
    proxy.mode = { kind: 'pass' };
  });

  it('never contacts C, which is not in FEDERATION_HOSTS', async () => {
    const refused = await get(`${a.url}/packages/package/alice@${cHost}/anything`);
    assert.equal(refused.status, 404);
    assert.equal(refused.body.code, 'PEER_NOT_CONFIGURED');
    assert.equal((await get(`${a.url}/packages/package/alice@${cHost}/anything/versions/1.0.0`)).body.code, 'PEER_NOT_CONFIGURED');
    assert.equal(cPublic.connections(), 0, 'no connection reached C');
  });

  it('serves what it mirrored with B stopped', async () => {
    await b.stop();
    const doc = await get(remote('left-pad'));
    assert.equal(doc.status, 200, JSON.stringify(doc.body));
    assert.deepEqual(doc.body.versions, { '1.0.0': leftPad.integrity });
    const version = await get(`${remote('left-pad')}/versions/1.0.0`);
    assert.equal(version.status, 200);
    const object = await fetch(`${a.url}/objects/object/sha512/${hexOf(leftPad.files['./package/index.js'] as string)}`);
    assert.equal(await object.text(), leftPadSource);
    // mirrored in the background, never read through A before B stopped
    const deep = await get(`${remote('bg-deep')}/versions/1.0.0`);
    assert.equal(deep.status, 200, JSON.stringify(deep.body));
    // ds installs the graph again from a clean cache, through A alone
    const { result } = await dsInstall(a);
    assert.equal(result.code, 0, result.stderr);
    // a version never mirrored cannot be served: the origin is down
    assert.equal((await get(remote('never-mirrored'))).body.code, 'PEER_UNREACHABLE');
  });
});
