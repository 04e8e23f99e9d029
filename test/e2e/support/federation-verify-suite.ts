// The suite of test/e2e/federation-verify*.test.ts. Issue 15.1/15.2/15.4/15.5: `ds` checks the host signatures and the hash chain itself. Two
// registries as separate processes: B (the origin) and A (the user's registry, federating with B
// through proxy PB). `ds` talks to A through proxy PA (or, with --origin, to B through PB). Every
// tampering case is refused by `ds` (exit 9) with nothing written to the project; A's signing key
// rotates (given by configuration) and old statements still verify; the scheduled refresh brings
// a yank and a new tag from B without a read.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePublishBody, freePort, REPO_ROOT, type RegistryProcess, startRegistryProcess, TSX_LOADER } from '@entropic/testkit';
import { hostKeyId, type PackageDocument, type PublicHostKey, packageStatement, verifyStatement } from '@entropic/types';
import { runDs, tempDir, writeProject } from '../../../packages/cli/test/support/ds-harness.ts';

const sha512 = (bytes: Uint8Array | string) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
const hexOf = (integrity: string) => encodeURIComponent(integrity.slice('sha512-'.length));
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

type Mode =
  | { kind: 'pass' }
  /** flips one byte of the object with this digest segment */
  | { kind: 'flip'; hex: string }
  /** package documents of `name` signed by a key the host never had (under the host's key id) */
  | { kind: 'resign'; name: string }
  /** package documents of `name` with a version's integrity changed, signatures kept */
  | { kind: 'alter'; name: string; version: string; integrity: string }
  /** package documents of `name` with a version's integrity changed, signed by the attacker's key */
  | { kind: 'equivocate'; name: string; version: string; integrity: string };

/** An HTTP proxy that relays to `target`, or tampers with the answers as `mode` says. */
class TamperProxy {
  mode: Mode = { kind: 'pass' };
  readonly requests: Array<{ path: string; agent: string }> = [];
  readonly attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  readonly attackerId = hostKeyId(this.attacker.publicKey.export({ type: 'spki', format: 'der' }));
  /** the next host document lists the attacker's key among the peer's (or the host's) keys */
  injectKeyFor: string | undefined;
  private server: Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private signed(doc: PackageDocument, key: KeyObject, keyid: string): PackageDocument {
    return { ...doc, hostSignatures: [{ keyid, sig: sign('sha256', Buffer.from(packageStatement(doc)), key).toString('base64') }] };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    this.requests.push({ path, agent: String(req.headers['user-agent'] ?? '') });
    let upstream: Response;
    try {
      upstream = await fetch(`${this.target}${path}`, {
        headers: {
          accept: req.headers.accept ?? '*/*',
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        },
        redirect: 'manual',
      });
    } catch {
      res.socket?.destroy();
      return;
    }
    let body = Buffer.from(await upstream.arrayBuffer());
    const mode = this.mode;
    if (path === '/-/v1/host' && this.injectKeyFor !== undefined) {
      const doc = JSON.parse(body.toString()) as {
        host: string;
        keys: PublicHostKey[];
        peers: Array<{ host: string; keys: PublicHostKey[] }>;
      };
      const spki = this.attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      const keys = doc.host === this.injectKeyFor ? doc.keys : doc.peers.find((p) => p.host === this.injectKeyFor)?.keys;
      keys?.push({ ...(keys[0] as PublicHostKey), keyid: this.attackerId, key: spki, expires: null });
      body = Buffer.from(JSON.stringify(doc));
      this.injectKeyFor = undefined;
    }
    const name = /^\/packages\/package\/[^/]+\/([^/?]+)$/.exec(path)?.[1];
    if (name !== undefined && upstream.status === 200 && 'name' in mode && mode.name === name) {
      let doc = JSON.parse(body.toString()) as PackageDocument;
      if (mode.kind === 'resign') {
        const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
        doc = this.signed(doc, stranger, doc.hostSignatures?.[0]?.keyid as string);
      } else {
        doc = { ...doc, versions: { ...doc.versions, [mode.version]: mode.integrity } };
        if (mode.kind === 'equivocate') doc = this.signed(doc, this.attacker.privateKey, this.attackerId);
      }
      body = Buffer.from(JSON.stringify(doc));
    }
    if (mode.kind === 'flip' && path.startsWith('/objects/') && path.endsWith(mode.hex) && body.length > 0) {
      body = Buffer.from(body);
      body[0] = (body[0] as number) ^ 1;
    }
    // no ETag: every read is answered in full, so a tampered answer always reaches the client
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' }).end(body);
  }
}

const redisPrefix = (name: string): Record<string, string> =>
  process.env.REDIS_URL ? { REDIS_KEY_PREFIX: `fedv-${name}-${process.pid}-${Date.now()}:` } : {};
const dataDirs: string[] = [];

/** A registry process with a user `alice` (on the embedded database the admin command runs before the server). */
async function startWithAlice(options: { env: Record<string, string>; dataDir?: string }) {
  if (process.env.POSTGRES_URL) {
    const registry = await startRegistryProcess(options);
    return { registry, token: (await registry.createUser('alice')).token };
  }
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'entropic-fedv-')));
  dataDirs.push(dataDir);
  const out = await new Promise<string>((resolve, reject) => {
    const env = {
      ...process.env,
      ...options.env,
      NODE_ENV: 'testing',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      POSTGRES_URL: '',
      REDIS_URL: '',
    };
    const admin = join(REPO_ROOT, 'packages/server/src/admin.ts');
    const proc = spawn(process.execPath, ['--import', TSX_LOADER, admin, 'user', 'create', 'alice'], { cwd: dataDir, env });
    let text = '';
    proc.stdout.on('data', (d) => {
      text += d;
    });
    proc.stderr.on('data', (d) => {
      text += d;
    });
    proc.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`admin user create: ${text}`))));
  });
  const registry = await startRegistryProcess({ ...options, dataDir });
  return { registry, token: out.trim().split('\n').at(-1) as string };
}

async function call(url: string, method: string, token: string, body?: unknown): Promise<void> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  assert.ok(response.ok, `${method} ${url}: ${response.status} ${await response.text()}`);
}

async function publish(
  registry: RegistryProcess,
  token: string,
  name: string,
  version: string,
  files: Record<string, string>,
  fields = {},
) {
  const { payload, contentType } = await encodePublishBody({ files, fields });
  const response = await fetch(`${registry.url}/packages/package/alice/${name}/versions/${version}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: new Uint8Array(payload),
  });
  const text = await response.text();
  assert.equal(response.status, 201, `publish ${name}@${version}: ${text}`);
  return JSON.parse(text) as { integrity: string; files: Record<string, string> };
}

const pem = (key: KeyObject, type: 'pkcs8' | 'spki') => key.export({ type, format: 'pem' }).toString();

export type FederationVerifyCase = 'install' | 'unmirrored' | 'tamper' | 'replaced' | 'origin' | 'refresh' | 'rotation';

/**
 * The suite, split over two test files (each must finish within the runner's 5 minutes on a busy
 * machine): each starts its own B, A and proxies and runs the cases it names, in this order.
 */
export function federationVerifySuite(title: string, cases: readonly FederationVerifyCase[]): void {
  describe(title, { timeout: 600_000 }, () => {
    const test = (which: FederationVerifyCase, name: string, fn: () => Promise<void>) => {
      if (cases.includes(which)) it(name, fn);
    };
    let a: RegistryProcess;
    let b: RegistryProcess;
    let pa: TamperProxy;
    let pb: TamperProxy;
    let aToken: string;
    let bToken: string;
    let keysFile: string;
    const keyA1 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyA2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const source100 = 'module.exports = "left-pad 1.0.0";\n';
    const source110 = 'module.exports = "left-pad 1.1.0";\n';
    let v100: { integrity: string };
    let v110: { integrity: string };

    /** `ds install` of a project needing `alice/app`, in `home` (a fresh one by default: an empty cache, no pinned key) */
    async function dsInstall(registry: string, options: { home?: string; args?: string[] } = {}) {
      const home = options.home ?? (await tempDir('fedv-home-'));
      const project = await writeProject(await tempDir('fedv-project-'), { 'Package.toml': '[dependencies]\n"alice/app" = "^1.0.0"\n' });
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        XDG_CACHE_HOME: join(home, '.cache'),
        NO_COLOR: '1',
        ENTROPIC_REGISTRY: registry,
      };
      const result = await runDs(['install', '--json', ...(options.args ?? [])], project, env);
      return { result, project, home, cache: join(home, '.cache', 'entropic') };
    }

    /** nothing of a refused install in the project, and the file not in the cache */
    async function assertNothingStored(project: string, cache: string, fileIntegrity?: string) {
      assert.equal(await exists(join(project, 'Package.lock')), false, 'no Package.lock');
      assert.equal(await exists(join(project, 'node_modules', '@alice', 'left-pad')), false, 'no left-pad in node_modules');
      if (fileIntegrity) {
        const hex = Buffer.from(fileIntegrity.slice(7), 'base64').toString('hex');
        assert.equal(await exists(join(cache, 'content', 'sha512', hex.slice(0, 2), hex.slice(2))), false, 'the file is not in the cache');
      }
    }

    before(async () => {
      let started = await startWithAlice({ env: redisPrefix('b') });
      b = started.registry;
      bToken = started.token;
      pb = new TamperProxy(b.url);
      await pb.start();
      keysFile = join(await mkdtemp(join(tmpdir(), 'fedv-keys-')), 'keys.json');
      dataDirs.push(join(keysFile, '..'));
      await writeFile(
        keysFile,
        JSON.stringify({ keys: [{ privateKey: pem(keyA1.privateKey, 'pkcs8'), notBefore: '2020-01-01T00:00:00Z' }] }),
      );
      started = await startWithAlice({
        env: {
          FEDERATION_HOSTS: `${b.host}=${pb.url}`,
          // reads reuse the mirrored document for an hour: only the scheduled job asks B again
          FEDERATION_REFRESH_SECONDS: '3600',
          FEDERATION_REFRESH_INTERVAL_SECONDS: '1',
          HOST_SIGNING_KEYS_FILE: keysFile,
          ...redisPrefix('a'),
        },
      });
      a = started.registry;
      aToken = started.token;
      pa = new TamperProxy(a.url);
      await pa.start();
      v100 = await publish(b, bToken, 'left-pad', '1.0.0', { 'index.js': source100 });
      v110 = await publish(b, bToken, 'left-pad', '1.1.0', { 'index.js': source110 });
      await publish(
        a,
        aToken,
        'app',
        '1.0.0',
        { 'index.js': "module.exports = require('left-pad');\n" },
        {
          dependencies: { [`alice@${b.host}/left-pad`]: '^1.0.0' },
        },
      );
    });

    after(async () => {
      await Promise.allSettled([a?.stop(), b?.stop(), pa?.stop(), pb?.stop()]);
      await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    });

    test('install', 'installs through A, checking A’s and B’s signatures with keys learned through A and pinned in the cache', async () => {
      const { result, project, cache } = await dsInstall(pa.url);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await readFile(join(project, 'node_modules', '@alice', 'left-pad', 'index.js'), 'utf8'), source110);
      assert.equal((await readdir(join(cache, 'keys'))).length, 2, 'the keys of A and of B are pinned');
      const host = (await (await fetch(`${a.url}/-/v1/host`)).json()) as {
        peers: Array<{ host: string; url: string; keys: PublicHostKey[] }>;
      };
      assert.equal(host.peers[0]?.host, b.host);
      assert.equal(host.peers[0]?.url, pb.url);
      assert.ok((host.peers[0]?.keys.length ?? 0) >= 1, 'A lists the keys it pinned for B');
    });

    test('unmirrored', 'installs a version of B that A has not mirrored yet: reading it through A mirrors it', async () => {
      const source = 'module.exports = "never read through A";\n';
      await publish(b, bToken, 'solo', '1.0.0', { 'index.js': source });
      const home = await tempDir('fedv-home-');
      const project = await writeProject(await tempDir('fedv-project-'), { 'Package.toml': '[dependencies]\n' });
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        XDG_CACHE_HOME: join(home, '.cache'),
        NO_COLOR: '1',
        ENTROPIC_REGISTRY: a.url,
      };
      const result = await runDs(['install', '--json', `alice@${b.host}/solo`], project, env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await readFile(join(project, 'node_modules', '@alice', 'solo', 'index.js'), 'utf8'), source);
    });

    test('tamper', 'refuses a re-signed document, an altered integrity and a flipped byte, with exit 9 and nothing stored', async () => {
      const cases: Array<[Mode, string, string?]> = [
        [{ kind: 'resign', name: 'left-pad' }, 'BAD_HOST_SIGNATURE'],
        [{ kind: 'alter', name: 'left-pad', version: '1.1.0', integrity: v100.integrity }, 'BAD_HOST_SIGNATURE'],
        [{ kind: 'resign', name: 'app' }, 'BAD_HOST_SIGNATURE'],
        [{ kind: 'flip', hex: hexOf(sha512(source110)) }, 'INTEGRITY_MISMATCH', sha512(source110)],
      ];
      for (const [mode, code, file] of cases) {
        pa.mode = mode;
        const { result, project, cache } = await dsInstall(pa.url);
        pa.mode = { kind: 'pass' };
        assert.equal(result.code, 9, `${mode.kind}: ${result.stderr}`);
        assert.match(result.stdout + result.stderr, new RegExp(code), mode.kind);
        await assertNothingStored(project, cache, file);
      }
    });

    test('replaced', 'refuses a version whose integrity changed since the cache first saw it, even under a key it trusts', async () => {
      // the attacker's key reaches the pinned keys at first contact (trust on first use) ...
      pa.injectKeyFor = b.host;
      const first = await dsInstall(pa.url);
      assert.equal(first.result.code, 0, first.result.stderr);
      // ... and then signs another integrity for a version this cache has seen
      pa.mode = { kind: 'equivocate', name: 'left-pad', version: '1.1.0', integrity: sha512('other bytes') };
      const { result, project, cache } = await dsInstall(pa.url, { home: first.home });
      pa.mode = { kind: 'pass' };
      assert.equal(result.code, 9, result.stderr);
      assert.match(result.stdout + result.stderr, /REPLACED_VERSION/);
      await assertNothingStored(project, cache);
    });

    test('origin', '--origin fetches B’s packages from B itself, checked the same way', async () => {
      const before = pb.requests.length;
      const { result, project } = await dsInstall(a.url, { args: ['--origin'] });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await readFile(join(project, 'node_modules', '@alice', 'left-pad', 'index.js'), 'utf8'), source110);
      const fromDs = pb.requests.slice(before).filter((r) => r.agent.startsWith('ds/'));
      assert.ok(
        fromDs.some((r) => /^\/packages\/package\/alice[^/]*\/left-pad$/.test(r.path)),
        'the package document came from B',
      );
      assert.ok(
        fromDs.some((r) => r.path.endsWith(hexOf(sha512(source110)))),
        'the file came from B',
      );
      pb.mode = { kind: 'resign', name: 'left-pad' };
      const refused = await dsInstall(a.url, { args: ['--origin'] });
      pb.mode = { kind: 'pass' };
      assert.equal(refused.result.code, 9, refused.result.stderr);
      assert.match(refused.result.stdout + refused.result.stderr, /BAD_HOST_SIGNATURE/);
      await assertNothingStored(refused.project, refused.cache);
    });

    test('refresh', 'the scheduled refresh brings a yank and a new tag from B to A without a read', async () => {
      await call(`${b.url}/packages/package/alice/left-pad/versions/1.1.0`, 'DELETE', bToken);
      await call(`${b.url}/packages/package/alice/left-pad/dist-tags/beta`, 'PUT', bToken, { version: '1.0.0' });
      const started = Date.now();
      for (;;) {
        const doc = (await (await fetch(`${a.url}/packages/package/alice@${b.host}/left-pad`)).json()) as PackageDocument;
        if (doc.tags.beta === '1.0.0' && !('1.1.0' in doc.versions)) break;
        assert.ok(Date.now() - started < 60_000, `not refreshed: ${JSON.stringify(doc)}\n${a.output().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const yanked = (await (await fetch(`${a.url}/packages/package/alice@${b.host}/left-pad/versions/1.1.0`)).json()) as {
        yanked: boolean;
      };
      assert.equal(yanked.yanked, true, 'the local copy of the version yanked at B is yanked');
      // ds now installs 1.0.0 (1.1.0 is yanked)
      const { result, project } = await dsInstall(pa.url);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await readFile(join(project, 'node_modules', '@alice', 'left-pad', 'index.js'), 'utf8'), source100);
      if (process.env.POSTGRES_URL) {
        // on demand: the admin command enqueues a run on the shared queue
        assert.match(await a.admin(['federation', 'refresh', '--host', b.host]), /Enqueued federation-refresh job \d+/);
      }
      assert.ok(v110.integrity);
    });

    test('rotation', 'rotation: A signs with its new key, ds learns it, and what the old key signed still verifies', async () => {
      const home = await tempDir('fedv-home-');
      const before = await dsInstall(pa.url, { home });
      assert.equal(before.result.code, 0, before.result.stderr);
      const oldDoc = (await (await fetch(`${a.url}/packages/package/alice/app`)).json()) as PackageDocument;
      assert.equal(oldDoc.hostSignatures?.[0]?.keyid, hostKeyId(keyA1.publicKey.export({ type: 'spki', format: 'der' })));
      const rotatedAt = new Date().toISOString();
      await writeFile(
        keysFile,
        JSON.stringify({
          keys: [
            { publicKey: pem(keyA1.publicKey, 'spki'), notBefore: '2020-01-01T00:00:00Z', expires: rotatedAt },
            { privateKey: pem(keyA2.privateKey, 'pkcs8'), notBefore: rotatedAt },
          ],
        }),
      );
      await a.stop({ keepData: true });
      a = await startRegistryProcess({ env: a.env, dataDir: a.dataDir, port: a.port });
      await publish(
        a,
        aToken,
        'app',
        '1.0.1',
        { 'index.js': "module.exports = require('left-pad');\n" },
        {
          dependencies: { [`alice@${b.host}/left-pad`]: '^1.0.0' },
        },
      );
      const host = (await (await fetch(`${a.url}/-/v1/host`)).json()) as { keys: PublicHostKey[]; signing: string };
      assert.equal(host.signing, hostKeyId(keyA2.publicKey.export({ type: 'spki', format: 'der' })));
      assert.ok(
        verifyStatement(packageStatement(oldDoc), oldDoc.hostSignatures, host.keys, new Date(oldDoc.modified)),
        'the old statement verifies',
      );
      const newDoc = (await (await fetch(`${a.url}/packages/package/alice/app`)).json()) as PackageDocument;
      assert.equal(newDoc.hostSignatures?.[0]?.keyid, host.signing);
      // the same cache (A's first key pinned) learns the new key through A's host document
      const after = await dsInstall(pa.url, { home });
      assert.equal(after.result.code, 0, after.result.stderr);
      assert.equal(
        after.result.json<{ packages: Array<{ name: string; version: string }> }>().packages.find((p) => p.name.endsWith('/app'))?.version,
        '1.0.1',
      );
    });
  });
}
