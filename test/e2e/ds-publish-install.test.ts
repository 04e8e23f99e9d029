import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type DsUser, type DsWorld, startDsWorld, tempDir, writeProject } from '../../packages/cli/test/support/ds-harness.ts';

const exec = promisify(execFile);
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function listFiles(dir: string): Promise<string[]> {
  if (!(await exists(dir))) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Flips the first byte of every object in a `POST /objects/batch` answer (`<integrity> <size>\n<bytes>` records), framing intact. */
function flipFirstBytes(body: Buffer): void {
  for (let offset = 0; offset < body.length; ) {
    const newline = body.indexOf(10, offset);
    const size = body.subarray(offset, newline).toString('latin1').split(' ')[1] as string;
    offset = newline + 1;
    if (size === '-') continue;
    if (Number(size) > 0) body[offset] = (body[offset] as number) ^ 0xff;
    offset += Number(size);
  }
}

/** A proxy in front of the registry that flips one byte of every object it serves (single or batched). */
async function startTamperingProxy(target: string): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const forward = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          if (req.url === '/objects/batch') flipFirstBytes(body);
          else if (req.url?.startsWith('/objects/') && body.length > 0) body[0] = (body[0] as number) ^ 0xff;
          const headers = { ...answer.headers };
          delete headers.etag;
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, server };
}

describe('ds publish → ds install, end to end', () => {
  let world: DsWorld;
  let alice: DsUser;
  let consumer: DsUser;

  before(async () => {
    // downloads are flushed every second, so the install's report is readable soon after it
    world = await startDsWorld(['alice'], { env: { DOWNLOAD_FLUSH_SECONDS: '1' } });
    alice = await world.user({ as: 'alice' });
    consumer = await world.user();
  });
  after(async () => {
    await world?.stop();
  });

  it('publishes Package.toml and package.json packages with dependencies', async () => {
    const dep1 = await writeProject(await tempDir(), {
      'Package.toml': 'name = "alice/dep"\nversion = "1.0.0"\ndescription = "dep"\nlicense = "MIT"\nmain = "index.js"\n',
      'index.js': 'module.exports = "dep1";\n',
      'README.md': '# dep\n',
      'node_modules/junk/index.js': 'nope',
    });
    const dry = await alice.ds(['publish', '--dry-run', '--json'], { cwd: dep1 });
    assert.equal(dry.code, 0, dry.stderr);
    const plan = dry.json<{ dryRun: boolean; files: Array<{ path: string }> }>();
    assert.equal(plan.dryRun, true);
    assert.deepEqual(plan.files.map((f) => f.path).sort(), ['Package.toml', 'README.md', 'index.js', 'package.json']);
    const human = await alice.ds(['publish', '--dry-run'], { cwd: dep1 });
    assert.match(human.stdout, /4 files, .* \(dry run: nothing published\)/);

    const published = await alice.ds(['publish'], { cwd: dep1 });
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, /^\+ alice@127\.0\.0\.1:\d+\/dep@1\.0\.0: 4 files/);

    await writeFile(join(dep1, 'Package.toml'), 'name = "alice/dep"\nversion = "2.0.0"\nmain = "index.js"\n');
    await writeFile(join(dep1, 'index.js'), 'module.exports = "dep2";\n');
    const v2 = await alice.ds(['publish', '--json'], { cwd: dep1 });
    assert.equal(v2.code, 0, v2.stderr);
    assert.match(v2.json<{ integrity: string }>().integrity, /^sha512-/);

    const again = await alice.ds(['publish'], { cwd: dep1 });
    assert.equal(again.code, 7, 'republishing a version is a conflict');
    assert.match(again.stderr, /^ds: error VERSION_EXISTS: /);

    const util = await writeProject(await tempDir(), {
      'Package.toml': 'name = "alice/util"\nversion = "1.0.0"\nmain = "index.js"\n[dependencies]\n"alice/dep" = "^1.0.0"\n',
      'index.js': 'module.exports = "util+" + require("@alice/dep");\n',
    });
    assert.equal((await alice.ds(['publish'], { cwd: util })).code, 0);

    const app = await writeProject(await tempDir(), {
      'package.json': JSON.stringify({
        name: '@alice/app',
        version: '1.0.0',
        main: 'lib/index.js',
        bin: { 'app-hello': 'bin/hello.js' },
        dependencies: { 'alice/dep': '^2.0.0', 'alice/util': '^1.0.0' },
      }),
      'lib/index.js': 'module.exports = require("@alice/dep") + "," + require("@alice/util");\n',
      'bin/hello.js': '#!/usr/bin/env node\nconsole.log("hello from " + require("../lib/index.js"));\n',
    });
    assert.equal((await alice.ds(['publish'], { cwd: app })).code, 0);
  });

  let project: string;

  it('installs the graph in another directory: hoisted node_modules, bins, lockfile', async () => {
    project = await tempDir('ds-e2e-project-');
    const result = await consumer.ds(['install', 'alice/app'], { cwd: project });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\+ alice@127\.0\.0\.1:\d+\/app@1\.0\.0/);
    assert.match(result.stdout, /Installed 4 packages/);

    const { stdout } = await exec(process.execPath, ['-e', 'console.log(require("@alice/app"))'], { cwd: project });
    assert.equal(stdout.trim(), 'dep2,util+dep1');
    assert.equal(
      await exists(join(project, 'node_modules/@alice/util/node_modules/@alice/dep/index.js')),
      true,
      'the conflicting dep@1 nests under util',
    );
    const bin = await exec(join(project, 'node_modules/.bin/app-hello'), [], { cwd: project });
    assert.equal(bin.stdout.trim(), 'hello from dep2,util+dep1');

    const manifest = await readFile(join(project, 'Package.toml'), 'utf8');
    assert.match(manifest, /"alice\/app" = "\^1\.0\.0"/);
    const lock = await readFile(join(project, 'Package.lock'), 'utf8');
    assert.match(
      lock,
      /\[packages\."node_modules\/@alice\/util\/node_modules\/@alice\/dep"\]\nname = "alice@127\.0\.0\.1:\d+\/dep"\nversion = "1\.0\.0"/,
    );
  });

  it('counts the versions the install fetched as downloads (ds reports them: it fetches documents by integrity)', async () => {
    const counted = async (name: string): Promise<number> => {
      const res = await fetch(`${world.registry.url}/-/downloads/point/last-day/${name.replace('/', '%2f')}`);
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { downloads: number }).downloads;
    };
    const deadline = Date.now() + 60_000;
    while ((await counted('@alice/app')) < 1) {
      assert.ok(Date.now() < deadline, 'waited 60 s for the install of @alice/app to be counted (flushed every second)');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await counted('@alice/app'), 1);
    assert.equal(await counted('@alice/util'), 1);
    assert.equal(await counted('@alice/dep'), 2, 'dep@2.0.0 at the top and dep@1.0.0 under util');
  });

  it('reuses an unchanged lockfile, honours --frozen-lockfile, and works --offline', async () => {
    const again = await consumer.ds(['install', '--json'], { cwd: project });
    assert.equal(again.code, 0, again.stderr);
    const data = again.json<{ lockfile: string; upToDate: boolean; downloaded: number }>();
    assert.deepEqual([data.lockfile, data.upToDate, data.downloaded], ['reused', true, 0]);

    await rm(join(project, 'node_modules'), { recursive: true });
    const frozen = await consumer.ds(['install', '--frozen-lockfile'], { cwd: project });
    assert.equal(frozen.code, 0, frozen.stderr);
    assert.match(frozen.stdout, /Package\.lock reused/);

    await rm(join(project, 'node_modules'), { recursive: true });
    const offline = await consumer.ds(['install', '--offline', '--registry', 'http://127.0.0.1:9'], { cwd: project });
    assert.equal(offline.code, 0, offline.stderr);
    const { stdout } = await exec(process.execPath, ['-e', 'console.log(require("@alice/app"))'], { cwd: project });
    assert.equal(stdout.trim(), 'dep2,util+dep1');

    const manifest = await readFile(join(project, 'Package.toml'), 'utf8');
    await writeFile(join(project, 'Package.toml'), `${manifest.trimEnd()}\n"alice/util" = "^1.0.0"\n`);
    const changed = await consumer.ds(['install', '--frozen-lockfile'], { cwd: project });
    assert.equal(changed.code, 10);
    assert.match(changed.stderr, /LOCKFILE_OUTDATED/);
    const lockBefore = await readFile(join(project, 'Package.lock'), 'utf8');
    assert.doesNotMatch(lockBefore, /"alice@[^"]+\/util" = "\^1\.0\.0"/, 'the frozen run left the lockfile alone');
  });

  it('resolves the highest non-yanked version, and tags', async () => {
    const dep = await writeProject(await tempDir(), {
      'Package.toml': 'name = "alice/dep"\nversion = "2.1.0"\nmain = "index.js"\n',
      'index.js': 'module.exports = "dep2.1";\n',
    });
    assert.equal((await alice.ds(['publish', '--tag', 'beta'], { cwd: dep })).code, 0);
    const fresh = await tempDir('ds-e2e-project-');
    const viaTag = await consumer.ds(['install', 'alice/dep@beta', '--json'], { cwd: fresh });
    assert.equal(viaTag.code, 0, viaTag.stderr);
    assert.equal(viaTag.json<{ added: Array<{ version: string }> }>().added[0]?.version, '2.1.0');

    assert.equal((await alice.ds(['yank', 'alice/dep@2.1.0'])).code, 0);
    const other = await tempDir('ds-e2e-project-');
    const range = await consumer.ds(['install', 'alice/dep@^2', '--json'], { cwd: other });
    assert.equal(range.code, 0, range.stderr);
    assert.equal(range.json<{ added: Array<{ version: string }> }>().added[0]?.version, '2.0.0');
    const none = await consumer.ds(['install', 'alice/dep@^9'], { cwd: other });
    assert.equal(none.code, 6);
    assert.match(none.stderr, /NO_MATCHING_VERSION: No version of alice@[^ ]+\/dep satisfies "\^9"/);
  });

  it('installs a deprecated version as before (ranges and tags still reach it) and warns with the message', async () => {
    const dep = await writeProject(await tempDir(), {
      'Package.toml': 'name = "alice/old"\nversion = "1.0.0"\nmain = "index.js"\n',
      'index.js': 'module.exports = "old";\n',
    });
    assert.equal((await alice.ds(['publish'], { cwd: dep })).code, 0);
    // npm deprecate @alice/old@1.0.0 "…" (the npm protocol: the packument sent back with `deprecated`)
    const url = `${world.registry.url}/@alice%2fold`;
    const packument = (await (await fetch(url)).json()) as { versions: Record<string, { deprecated?: string }> };
    (packument.versions['1.0.0'] as { deprecated?: string }).deprecated = 'use alice/new\u001b[31m instead';
    const put = await fetch(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${world.tokens.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify(packument),
    });
    assert.equal(put.status, 200, await put.text());
    const project = await tempDir('ds-e2e-project-');
    const installed = await consumer.ds(['install', 'alice/old@^1', '--json'], { cwd: project });
    assert.equal(installed.code, 0, installed.stderr);
    const result = installed.json<{
      added: Array<{ version: string }>;
      deprecated: Array<{ name: string; version: string; message: string }>;
    }>();
    assert.equal(result.added[0]?.version, '1.0.0');
    assert.deepEqual(result.deprecated, [
      { name: `alice@${world.registry.host}/old`, version: '1.0.0', message: 'use alice/new\u001b[31m instead' },
    ]);
    const again = await consumer.ds(['install', 'alice/old@latest'], { cwd: await tempDir('ds-e2e-project-') });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /warning: alice@[^ ]+\/old@1\.0\.0 is deprecated: use alice\/new \[31m instead/);
  });

  it('refuses content that fails its integrity check, leaving nothing in the cache or node_modules', async () => {
    const proxy = await startTamperingProxy(world.registry.url);
    try {
      const victim = await world.user({ registry: proxy.url });
      const cacheDir = join(victim.home, '.cache', 'entropic', 'content');
      const download = await victim.ds(['download', 'alice/dep@1.0.0']);
      assert.equal(download.code, 9, download.stderr);
      assert.match(download.stderr, /^ds: error INTEGRITY_MISMATCH: Integrity check failed/m);
      assert.deepEqual(await listFiles(cacheDir), []);

      const dir = await tempDir('ds-e2e-project-');
      const install = await victim.ds(['install', 'alice/app'], { cwd: dir });
      assert.equal(install.code, 9, install.stderr);
      assert.equal(await exists(join(dir, 'node_modules')), false);
      assert.deepEqual(await listFiles(cacheDir), []);
      assert.deepEqual(
        (await readdir(dir)).filter((f) => f.startsWith('.ds-')),
        [],
        'no staging directory is left behind',
      );
    } finally {
      proxy.server.close();
    }
  });

  it('downloads into the cache only', async () => {
    const user = await world.user();
    const result = await user.ds(['download', 'alice/dep@1', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const data = result.json<{ version: string; files: number; cache: string }>();
    assert.equal(data.version, '1.0.0');
    assert.equal((await listFiles(join(data.cache, 'content'))).length, data.files + 1, 'the files and the version document');
    const human = await user.ds(['download', 'alice/dep@1']);
    assert.match(human.stdout, /alice@[^ ]+\/dep@1\.0\.0 \(4 files, 0 downloaded\) is in /);
  });
});
