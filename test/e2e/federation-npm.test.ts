// Issue 15.5 (npm side) and 15.7: the real npm, pnpm and yarn install through registry A a local
// package whose graph runs into registry B's packages (separate processes on loopback), again with
// B stopped from a clean cache, and never take a federated name from A's legacy upstream, which
// holds an impostor under exactly that name (a higher version that satisfies the range).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, REPO_ROOT, type RegistryProcess, startVerdaccio, type Verdaccio } from '@entropic/testkit';
import { federatedNpmName } from '@entropic/types';
import { publishAsAlice, redisPrefix, removeDataDirs, startWithAlice } from './support/federated-registries.ts';
import { failing, npmEnv, run } from './support/npm-cli.ts';

const BIN = join(REPO_ROOT, 'node_modules/.bin');
const CLIENTS = ['npm', 'pnpm', 'yarn'] as const;
type Client = (typeof CLIENTS)[number];

/** An HTTP forwarder in front of the legacy upstream that records every path asked of it. */
async function recordingForwarder(target: string): Promise<{ url: string; paths: string[]; server: Server }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '/');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const name of ['accept', 'content-type', 'authorization', 'if-none-match']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      fetch(`${target}${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
        redirect: 'manual',
      })
        .then(async (upstream) => {
          const body = Buffer.from(await upstream.arrayBuffer());
          const type = upstream.headers.get('content-type');
          res.writeHead(upstream.status, type ? { 'content-type': type } : {}).end(body);
        })
        .catch(() => res.socket?.destroy());
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, paths, server };
}

async function writePackage(dir: string, manifest: Record<string, unknown>, files: Record<string, string> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
}

/** A fresh home (empty caches) whose .npmrc and .yarnrc send every name, the federated scope's too, to `registry`. */
async function clientHome(root: string, registry: string, token?: string): Promise<NodeJS.ProcessEnv> {
  const home = await mkdtemp(join(root, 'home-'));
  const lines = [`registry=${registry}`, `@entropic.remote:registry=${registry}`, 'audit=false', 'fund=false'];
  if (token) lines.push(`${registry.replace(/^https?:/, '')}:_authToken=${token}`);
  await writeFile(join(home, '.npmrc'), `${lines.join('\n')}\n`);
  await writeFile(
    join(home, '.yarnrc'),
    `registry "${registry}"\n"@entropic.remote:registry" "${registry}"\ndisable-self-update-check true\n`,
  );
  return { ...npmEnv(home), XDG_DATA_HOME: join(home, '.local/share'), COREPACK_ENABLE_STRICT: '0' };
}

/** Installs the project's dependencies with `client` through `registry`, from the empty caches of `env`'s home. */
async function install(client: Client, project: string, registry: string, env: NodeJS.ProcessEnv): Promise<string> {
  const home = env.HOME as string;
  if (client === 'npm') return run('npm', ['install', '--registry', registry, '--no-audit', '--no-fund'], project, env);
  if (client === 'pnpm') {
    return run(
      join(BIN, 'pnpm'),
      [
        'install',
        '--registry',
        registry,
        '--store-dir',
        join(home, 'pnpm-store'),
        '--cache-dir',
        join(home, 'pnpm-cache'),
        '--config.confirmModulesPurge=false',
        // pnpm holds back versions younger than a day by default; these were published seconds ago
        '--config.minimum-release-age=0',
        '--config.fetch-retries=0',
      ],
      project,
      env,
    );
  }
  return run(
    join(BIN, 'yarn'),
    ['install', '--registry', registry, '--cache-folder', join(home, 'yarn-cache'), '--non-interactive', '--no-progress'],
    project,
    env,
  );
}

function untar(tarball: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tar', ['-xzOf', tarball, path], (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

describe('npm, pnpm and yarn install across registries through A', { timeout: 900_000 }, () => {
  let root: string;
  let verdaccio: Verdaccio;
  let upstream: Awaited<ReturnType<typeof recordingForwarder>>;
  let a: RegistryProcess;
  let b: RegistryProcess;
  let aToken: string;
  let registry: string;
  /** B's `alice/<name>` under the federated scope */
  let fed: (name: string) => string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-fed-npm-'));
    verdaccio = await startVerdaccio(join(root, 'verdaccio'));
    upstream = await recordingForwarder(verdaccio.url);
    const startedB = await startWithAlice({ env: { ...redisPrefix('b') } });
    b = startedB.registry;
    fed = (name) => federatedNpmName({ namespace: 'alice', host: b.host, name });
    const startedA = await startWithAlice({
      env: { FEDERATION_HOSTS: `${b.host}=${b.url}`, FEDERATION_REFRESH_SECONDS: '0', LEGACY_UPSTREAM: upstream.url, ...redisPrefix('a') },
    });
    a = startedA.registry;
    aToken = startedA.token;
    registry = `${a.url}/`;

    // the upstream holds impostors under federated names: B's left-pad (a higher 1.x) and a host A does not list
    const signup = await fetch(`${verdaccio.url}/-/user/org.couchdb.user:mallory`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mallory', password: 'upstream-password' }),
    });
    const { token: upstreamToken } = (await signup.json()) as { token: string };
    const malloryEnv = await clientHome(root, `${verdaccio.url}/`, upstreamToken);
    const impostors = [fed('left-pad'), federatedNpmName({ namespace: 'alice', host: 'evil.example', name: 'x' })];
    for (const name of impostors) {
      const dir = join(root, `impostor-${impostors.indexOf(name)}`);
      await writePackage(dir, { name, version: '1.9.9', main: 'index.js' }, { 'index.js': "module.exports = () => 'IMPOSTOR';\n" });
      await run('npm', ['publish', '--registry', `${verdaccio.url}/`], dir, malloryEnv);
    }

    // B: pad-core through the API, left-pad with npm (its package.json names pad-core as B's npm users do)
    await publishAsAlice(b, startedB.token, 'pad-core', '1.0.0', {
      'index.js': 'module.exports = (s, n) => s.padStart(n);\n',
      'package.json': JSON.stringify({ name: '@alice/pad-core', version: '1.0.0', main: 'index.js' }),
    });
    const leftPad = join(root, 'left-pad');
    await writePackage(
      leftPad,
      { name: '@alice/left-pad', version: '1.0.0', main: 'index.js', dependencies: { '@alice/pad-core': '^1.0.0' } },
      { 'index.js': "module.exports = (s, n) => require('@alice/pad-core')(s, n);\n" },
    );
    await run('npm', ['publish', '--registry', `${b.url}/`], leftPad, await clientHome(root, `${b.url}/`, startedB.token));

    // A: app through the API (dependencies named the Entropic way), npm-app with npm (the alias packuments write)
    await publishAsAlice(
      a,
      aToken,
      'app',
      '1.0.0',
      { 'index.js': "module.exports = require('@alice/left-pad')('app', 6);\n" },
      { dependencies: { [`alice@${b.host}/left-pad`]: '^1.0.0' } },
    );
    const npmApp = join(root, 'npm-app');
    await writePackage(
      npmApp,
      { name: '@alice/npm-app', version: '1.0.0', main: 'index.js', dependencies: { '@alice/left-pad': `npm:${fed('left-pad')}@^1.0.0` } },
      { 'index.js': "module.exports = require('@alice/left-pad')('npm', 6);\n" },
    );
    await run('npm', ['publish', '--registry', registry], npmApp, await clientHome(root, registry, aToken));
  });

  after(async () => {
    await Promise.allSettled([a?.stop(), b?.stop(), verdaccio?.stop()]);
    upstream?.server.close();
    await removeDataDirs();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** a consumer project needing both local packages, installed with `client` from empty caches */
  async function installConsumer(client: Client, label: string): Promise<{ project: string; env: NodeJS.ProcessEnv }> {
    const env = await clientHome(root, registry);
    const project = join(root, `${client}-${label}`);
    await writePackage(project, {
      name: 'consumer',
      version: '1.0.0',
      private: true,
      dependencies: { '@alice/app': '^1.0.0', '@alice/npm-app': '^1.0.0' },
    });
    await install(client, project, registry, env);
    const out = await run(process.execPath, ['-p', "JSON.stringify([require('@alice/app'), require('@alice/npm-app')])"], project, env);
    assert.deepEqual(JSON.parse(out), ['   app', '   npm'], `${client}: the graph A → B → B runs`);
    return { project, env };
  }

  it("serves B's packages under the federated scope, built and signed here, and local dependencies on them as aliases", async () => {
    const app = (await (await fetch(`${registry}@alice/app`)).json()) as { versions: Record<string, { dependencies: object }> };
    assert.deepEqual(app.versions['1.0.0']?.dependencies, { '@alice/left-pad': `npm:${fed('left-pad')}@^1.0.0` });
    const npmApp = (await (await fetch(`${registry}@alice/npm-app`)).json()) as typeof app;
    assert.deepEqual(npmApp.versions['1.0.0']?.dependencies, { '@alice/left-pad': `npm:${fed('left-pad')}@^1.0.0` });

    const response = await fetch(`${registry}${fed('left-pad').replace('/', '%2f')}`);
    assert.equal(response.status, 200, await response.clone().text());
    const packument = (await response.json()) as {
      name: string;
      'dist-tags': Record<string, string>;
      versions: Record<string, { dependencies: object; dist: { tarball: string; signatures: Array<{ keyid: string }> } }>;
    };
    assert.equal(packument.name, fed('left-pad'));
    assert.deepEqual(packument['dist-tags'], { latest: '1.0.0' });
    const version = packument.versions['1.0.0'];
    assert.ok(version);
    assert.deepEqual(version.dependencies, { '@alice/pad-core': `npm:${fed('pad-core')}@^1.0.0` });
    const keys = (await (await fetch(`${registry}-/npm/v1/keys`)).json()) as { keys: Array<{ keyid: string }> };
    assert.ok(
      keys.keys.some((key) => key.keyid === version.dist.signatures[0]?.keyid),
      'signed by A, whose keys npm is given',
    );
    // the tarball's package.json agrees with the packument (npm reads it again on later installs)
    assert.ok(version.dist.tarball.startsWith(registry));
    const tarball = join(root, 'left-pad.tgz');
    await writeFile(tarball, Buffer.from(await (await fetch(version.dist.tarball)).arrayBuffer()));
    const manifest = JSON.parse(await untar(tarball, 'package/package.json')) as { name: string; dependencies: object };
    assert.equal(manifest.name, fed('left-pad'));
    assert.deepEqual(manifest.dependencies, version.dependencies);
  });

  for (const client of CLIENTS) {
    it(`${client} installs through A a package depending on B's package`, async () => {
      const { project, env } = await installConsumer(client, 'b-up');
      // where app's require('@alice/left-pad') lands (pnpm does not hoist it to the top)
      const where = "require.resolve('@alice/left-pad/package.json', { paths: [require.resolve('@alice/app')] })";
      const installed = JSON.parse(await readFile((await run(process.execPath, ['-p', where], project, env)).trim(), 'utf8'));
      assert.equal(installed.name, fed('left-pad'));
      assert.equal(installed.version, '1.0.0', 'B’s version, not the upstream impostor’s 1.9.9');
    });
  }

  it('never asks the legacy upstream for a federated name, nor uses its impostor', async () => {
    const env = await clientHome(root, registry);
    assert.equal((await run('npm', ['view', fed('left-pad'), 'version', '--registry', registry], root, env)).trim(), '1.0.0');
    // a host A does not federate with: not found, although the upstream has that name
    const evil = federatedNpmName({ namespace: 'alice', host: 'evil.example', name: 'x' });
    const refused = await fetch(`${registry}${evil.replace('/', '%2f')}`);
    assert.equal(refused.status, 404);
    assert.equal(((await refused.json()) as { code: string }).code, 'PEER_NOT_CONFIGURED');
    assert.equal((await fetch(`${registry}${evil}/-/x-1.9.9.tgz`)).status, 404);
    // a name under the scope that maps no package
    for (const bad of ['@entropic.remote/left-pad', '@Entropic.Remote/alice.evil.example__x']) {
      const answer = await fetch(`${registry}${bad.replace('/', '%2f')}`);
      assert.equal(answer.status, 400, bad);
      assert.equal(((await answer.json()) as { code: string }).code, 'INVALID_PACKAGE_NAME');
    }
    // remote packages are read-only here, through npm too
    const forged = join(root, 'forged');
    await writePackage(forged, { name: fed('left-pad'), version: '2.0.0' }, { 'index.js': '\n' });
    const publishRefused = await failing('npm', ['publish', '--registry', registry], forged, await clientHome(root, registry, aToken));
    assert.match(publishRefused, /belongs to another host/);
    // the upstream holds those names, yet was never asked for any of them
    const asked = upstream.paths.map((path) => decodeURIComponent(path).toLowerCase());
    assert.deepEqual(
      asked.filter((path) => path.includes('entropic.remote')),
      [],
    );
    // while a legacy name still goes upstream (the forwarder is in the path)
    assert.equal((await fetch(`${registry}some-upstream-name`)).status, 404);
    assert.ok(upstream.paths.some((path) => path.includes('some-upstream-name')));
  });

  for (const client of CLIENTS) {
    it(`${client} installs the same graph with B stopped, from a clean cache`, async () => {
      await b.stop({ keepData: true });
      await installConsumer(client, 'b-down');
    });
  }
});
