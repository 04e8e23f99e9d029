// Issue 11.4: what `ds install` asks the registry for. Files come in `POST /objects/batch`
// requests, not one GET each; a package document is reused while its Cache-Control max-age lasts
// (the registry runs with DOCUMENT_MAX_AGE_SECONDS=3600 here, so no clock matters), and a fresh
// one that lacks what the manifest asks for, or a package named on the command line, is asked for
// again.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type DsUser, type DsWorld, startDsWorld, tempDir, writeProject } from '../../packages/cli/test/support/ds-harness.ts';

const exec = promisify(execFile);

/** A registry from before `POST /objects/batch`: a proxy that answers that route as an unknown one. */
async function startOldRegistry(target: string): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/objects/batch') {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'No route for POST /objects/batch.', code: 'NOT_FOUND' }));
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

interface InstallJson {
  packages: Array<{ path: string; name: string; version: string }>;
}

describe('ds install: batched objects and fresh package documents', { timeout: 180_000 }, () => {
  let world: DsWorld;
  let alice: DsUser;

  async function publish(name: string, version: string, deps: Record<string, string> = {}): Promise<void> {
    const files: Record<string, string> = {
      'Package.toml': [
        `name = "alice/${name}"`,
        `version = "${version}"`,
        'main = "index.js"',
        '[dependencies]',
        ...Object.entries(deps).map(([k, v]) => `"${k}" = "${v}"`),
        '',
      ].join('\n'),
      'index.js': `module.exports = ${JSON.stringify(`${name}@${version}`)};\n`,
    };
    for (let i = 0; i < 6; i++) files[`lib/part-${i}.js`] = `// ${name}@${version} part ${i}\n`;
    const out = await alice.ds(['publish'], { cwd: await writeProject(await tempDir(), files) });
    assert.equal(out.code, 0, out.stderr);
  }

  /** The requests of a --verbose run, as `METHOD path`. */
  const requests = (stderr: string) => [...stderr.matchAll(/(GET|HEAD|POST) https?:\/\/[^/]+(\/\S*) →/g)].map((m) => `${m[1]} ${m[2]}`);
  const table = (result: InstallJson) => Object.fromEntries(result.packages.map((p) => [p.path, p.version]));

  before(async () => {
    world = await startDsWorld(['alice'], { env: { DOCUMENT_MAX_AGE_SECONDS: '3600' } });
    alice = await world.user({ as: 'alice' });
    await publish('leaf', '1.0.0');
    await publish('dep', '1.0.0', { 'alice/leaf': '^1.0.0' });
    await publish('app', '1.0.0', { 'alice/dep': '^1.0.0' });
  });
  after(async () => {
    await world?.stop();
  });

  it('fetches files and version documents in batches, and reuses fresh package documents unasked', async () => {
    const user = await world.user();
    const project = await writeProject(await tempDir(), { 'Package.toml': '[dependencies]\n"alice/app" = "^1.0.0"\n' });
    const cold = await user.ds(['install', '--json', '--verbose'], { cwd: project });
    assert.equal(cold.code, 0, cold.stderr);
    const coldRequests = requests(cold.stderr);
    assert.deepEqual(
      coldRequests.filter((r) => r.includes('/objects/object/')),
      [],
      'no object is fetched on its own',
    );
    const batches = coldRequests.filter((r) => r === 'POST /objects/batch');
    // 3 version documents and 3 × 8 files (one shared by none): far fewer requests than objects
    assert.ok(batches.length >= 1 && batches.length <= 6, coldRequests.join('\n'));
    assert.equal(coldRequests.filter((r) => r.startsWith('GET /packages/package/')).length, 3);
    assert.equal((await exec(process.execPath, ['-p', "require('@alice/app')"], { cwd: project })).stdout.trim(), 'app@1.0.0');

    // warm: caches full, no node_modules, no lockfile: nothing to ask while the documents are fresh
    await rm(join(project, 'node_modules'), { recursive: true });
    await rm(join(project, 'Package.lock'));
    const warm = await user.ds(['install', '--json', '--verbose'], { cwd: project });
    assert.equal(warm.code, 0, warm.stderr);
    assert.deepEqual(requests(warm.stderr), ['GET /'], "the warm install asks only for the registry's host");
    assert.equal((await exec(process.execPath, ['-p', "require('@alice/leaf')"], { cwd: project })).stdout.trim(), 'leaf@1.0.0');
  });

  it('asks again for a fresh package document that lacks the version asked for, and for packages named on the command line', async () => {
    const user = await world.user();
    const project = await writeProject(await tempDir(), { 'Package.toml': '[dependencies]\n"alice/leaf" = "^1.0.0"\n' });
    assert.equal((await user.ds(['install'], { cwd: project })).code, 0);
    await publish('leaf', '1.1.0');
    // the cached document (fresh for an hour) has no 1.1.0: the registry is asked before that counts
    await writeFile(join(project, 'Package.toml'), '[dependencies]\n"alice/leaf" = "^1.1.0"\n');
    const raised = await user.ds(['install', '--json', '--verbose'], { cwd: project });
    assert.equal(raised.code, 0, raised.stderr);
    assert.deepEqual(table(raised.json<InstallJson>()), { 'node_modules/@alice/leaf': '1.1.0' });
    assert.equal(requests(raised.stderr).filter((r) => r.startsWith('GET /packages/package/')).length, 1);

    // named on the command line: the registry's newest, although the cached document is fresh
    await publish('leaf', '1.2.0');
    const named = await user.ds(['install', 'alice/leaf', '--json'], { cwd: project });
    assert.equal(named.code, 0, named.stderr);
    assert.deepEqual(table(named.json<InstallJson>()), { 'node_modules/@alice/leaf': '1.2.0' });
  });

  it('installs from a registry without the batch route, one GET per object', async () => {
    const old = await startOldRegistry(world.registry.url);
    try {
      const user = await world.user({ registry: old.url });
      const project = await writeProject(await tempDir(), { 'Package.toml': '[dependencies]\n"alice/app" = "^1.0.0"\n' });
      const install = await user.ds(['install', '--json', '--verbose'], { cwd: project });
      assert.equal(install.code, 0, install.stderr);
      const asked = requests(install.stderr);
      const batches = asked.filter((r) => r === 'POST /objects/batch').length;
      assert.ok(batches >= 1 && batches <= 2, `asked ${batches} times: once, and no more after the 404`);
      assert.ok(asked.filter((r) => r.startsWith('GET /objects/object/')).length >= 3 * 8, asked.join('\n'));
      assert.equal((await exec(process.execPath, ['-p', "require('@alice/app')"], { cwd: project })).stdout.trim(), 'app@1.0.0');
    } finally {
      old.server.close();
    }
  });
});
