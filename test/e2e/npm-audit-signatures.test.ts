import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rotateHostKey } from '@entropic/core';
import { createTestApp, publishVersion, REPO_ROOT, startVerdaccio, type TestApp, type Verdaccio } from '@entropic/testkit';
import { makeNpmHome, npmEnv, run, writeProject } from './support/npm-cli.ts';

const PRELOAD = join(REPO_ROOT, 'test/e2e/support/offline-sigstore-tuf.cjs');

/** `npm audit signatures` with its one Sigstore TUF lookup answered offline (see the preload). */
function auditSignatures(cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const withPreload = { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --require ${PRELOAD}`.trim() };
  return new Promise((resolve) => {
    execFile('npm', ['audit', 'signatures'], { cwd, env: withPreload, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

/**
 * A proxy in front of the registry that re-signs every `dist.signatures` entry with a key of its
 * own (same key id, so npm finds "the" key and checks the signature).
 */
function startResigningProxy(target: string): Promise<{ url: string; server: Server }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = createServer((req, res) => {
    const headers = { ...req.headers, host: new URL(target).host };
    delete headers['accept-encoding'];
    const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        let body = Buffer.concat(chunks);
        const type = String(answer.headers['content-type'] ?? '');
        if (type.includes('json') && body.includes('"signatures"')) {
          const doc = JSON.parse(body.toString()) as { versions?: Record<string, { dist?: { signatures?: Array<{ sig: string }> } }> };
          for (const [version, view] of Object.entries(doc.versions ?? {})) {
            for (const signature of view.dist?.signatures ?? []) {
              signature.sig = sign('sha256', Buffer.from(`forged ${version}`), privateKey).toString('base64');
            }
          }
          body = Buffer.from(JSON.stringify(doc));
        }
        const out = { ...answer.headers, 'content-length': String(body.length) };
        delete out.etag;
        res.writeHead(answer.statusCode ?? 502, out).end(body);
      });
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })),
  );
}

describe('npm audit signatures against Entropic, local and legacy packages (issue 15.1)', { timeout: 600_000 }, () => {
  let root: string;
  let t: TestApp;
  let registry: string;
  let verdaccio: Verdaccio;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-audit-sig-'));
    // a legacy package on an upstream (Verdaccio) that the registry mirrors: it is signed here too
    verdaccio = await startVerdaccio(await mkdtemp(join(root, 'verdaccio-')));
    const signup = await fetch(`${verdaccio.url}/-/user/org.couchdb.user:up`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'up', password: 'upstream-password' }),
    });
    const { token: upstreamToken } = (await signup.json()) as { token: string };
    const upHome = await makeNpmHome(root, `${verdaccio.url}/`);
    await writeFile(
      join(upHome, '.npmrc'),
      `registry=${verdaccio.url}/\n${verdaccio.url.replace(/^https?:/, '')}/:_authToken=${upstreamToken}\n`,
    );
    const legacyDir = join(root, 'legacy-dep');
    await mkdir(legacyDir, { recursive: true });
    await writeFile(join(legacyDir, 'package.json'), JSON.stringify({ name: 'legacy-dep', version: '1.2.0', main: 'index.js' }));
    await writeFile(join(legacyDir, 'index.js'), "module.exports = 'legacy';\n");
    await run('npm', ['publish', '--registry', `${verdaccio.url}/`], legacyDir, npmEnv(upHome));
    t = await createTestApp({ env: { LEGACY_UPSTREAM: verdaccio.url } });
    registry = `${await t.listen()}/`;
    const alice = await t.createUser('alice');
    await publishVersion(t.app, 'alice/lib', '1.0.0', { token: alice.token });
    await publishVersion(t.app, 'alice/app', '1.0.0', {
      token: alice.token,
      fields: { dependencies: JSON.stringify({ 'alice/lib': '^1.0.0', 'legacy-dep': '^1.2.0' }) },
    });
  });
  after(async () => {
    await t?.close();
    await verdaccio?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('serves the host keys in npm shape and on /-/v1/host, and signs every version in packuments', async () => {
    const keys = (await (await fetch(`${registry}-/npm/v1/keys`)).json()) as { keys: Array<Record<string, unknown>> };
    assert.equal(keys.keys.length, 1);
    assert.deepEqual(Object.keys(keys.keys[0] as object).sort(), ['expires', 'key', 'keyid', 'keytype', 'scheme']);
    assert.equal(keys.keys[0]?.keytype, 'ecdsa-sha2-nistp256');
    assert.match(String(keys.keys[0]?.keyid), /^SHA256:[A-Za-z0-9+/]{43}$/);
    const host = (await (await fetch(`${registry}-/v1/host`)).json()) as { host: string; keys: Array<{ keyid: string }>; signing: string };
    assert.equal(host.host, t.host);
    assert.equal(host.signing, keys.keys[0]?.keyid);
    const packument = (await (await fetch(`${registry}@alice%2flib`)).json()) as {
      versions: Record<string, { dist: { signatures: Array<{ keyid: string; sig: string }> } }>;
    };
    assert.equal(packument.versions['1.0.0']?.dist.signatures[0]?.keyid, host.signing);
  });

  it('npm installs a graph from Entropic and `npm audit signatures` verifies every package; still after a key rotation', async () => {
    const home = await makeNpmHome(root, registry);
    const env = npmEnv(home);
    const project = join(root, 'project');
    await writeProject(project, { name: 'consumer', version: '1.0.0', private: true, dependencies: { '@alice/app': '^1.0.0' } });
    await run('npm', ['install', '--registry', registry], project, env);
    const audit = await auditSignatures(project, env);
    assert.equal(audit.code, 0, audit.out);
    assert.match(audit.out, /audited 3 packages/);
    assert.match(audit.out, /3 packages have verified registry signatures/);

    // Rotation: the old key stops signing, a new one starts; what was signed before stays valid,
    // and a version published after the rotation is signed with the new key.
    const bob = await t.createUser('bob');
    await rotateHostKey(t.deps, t.deps.config.oauthPassword, 0);
    await t.deps.reloadKeyring();
    await publishVersion(t.app, 'bob/extra', '1.0.0', { token: bob.token });
    const keys = (await (await fetch(`${registry}-/npm/v1/keys`)).json()) as { keys: Array<{ keyid: string; expires: string | null }> };
    assert.equal(keys.keys.length, 2);
    assert.notEqual(keys.keys[0]?.expires, null);
    assert.equal(keys.keys[1]?.expires, null);
    const manifest = JSON.parse(await run('npm', ['view', '@bob/extra', '--json', '--registry', registry], project, env)) as {
      dist: { signatures: Array<{ keyid: string }> };
    };
    assert.equal(manifest.dist.signatures[0]?.keyid, keys.keys[1]?.keyid);
    await run('npm', ['install', '@bob/extra', '--registry', registry], project, env);
    const again = await auditSignatures(project, npmEnv(await makeNpmHome(root, registry)));
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /4 packages have verified registry signatures/);
  });

  it('a signature made with another key is reported invalid by npm', async () => {
    const proxy = await startResigningProxy(registry.replace(/\/$/, ''));
    try {
      const proxied = `${proxy.url}/`;
      const env = npmEnv(await makeNpmHome(root, proxied));
      const project = join(root, 'tampered');
      await writeProject(project, { name: 'tampered', version: '1.0.0', private: true, dependencies: { '@alice/lib': '^1.0.0' } });
      await run('npm', ['install', '--registry', proxied], project, env);
      const audit = await auditSignatures(project, env);
      assert.equal(audit.code, 1, audit.out);
      assert.match(audit.out, /1 package has an invalid registry signature/);
    } finally {
      proxy.server.close();
    }
  });
});
