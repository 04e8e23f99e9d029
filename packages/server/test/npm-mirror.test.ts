import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type NpmUpstream, publishVersion, startNpmUpstream, type TestApp } from '@entropic/testkit';
import pino, { type Logger } from 'pino';
import { countFiles } from './support/count-files.ts';
import { makeNpmTarball } from './support/npm-tarball.ts';
import { waitFor } from './support/wait-for.ts';

/** The files of a mirrored version, as Entropic stores them (a first fetch stores after its response: issue 17.9). */
async function storedFiles(t: TestApp, name: string, version: string): Promise<string[]> {
  const url = `/packages/package/legacy/${encodeURIComponent(name)}/versions/${version}`;
  await waitFor(
    `${name}@${version} to be stored`,
    async () => ((await t.app.inject({ url })).statusCode === 200 ? true : undefined),
    30_000,
    50,
  );
  const res = await t.app.inject({ url });
  assert.equal(res.statusCode, 200, res.body);
  return Object.keys(res.json().files as Record<string, string>).sort();
}

describe('the legacy mirror accepts the old tarballs and manifests npm installs (issue 17.10)', () => {
  let upstream: NpmUpstream;
  let t: TestApp;

  before(async () => {
    upstream = await startNpmUpstream();
    t = await createTestApp({ env: { LEGACY_UPSTREAM: upstream.url } });
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
  });

  it('mirrors a version whose tarball has symlinks and hard links (as express@1.0.0 and mime@1.0.0): links are skipped, the upstream bytes served', async () => {
    const tarball = await makeNpmTarball([
      { name: 'package/', type: 'directory' },
      { name: 'package/package.json', content: '{"name":"oldlinks","version":"1.0.0","main":"index.js"}' },
      { name: 'package/index.js', content: 'module.exports = 1;\n' },
      { name: 'package/support/current', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'package/lib/alias.js', type: 'link', linkname: 'package/index.js' },
      { name: 'package//lib/./real.js', content: 'module.exports = 2;\n' },
    ]);
    upstream.publish('oldlinks', '1.0.0', tarball, { main: 'index.js' });
    const res = await t.app.inject({ url: '/oldlinks/-/oldlinks-1.0.0.tgz' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.rawPayload, tarball, 'the verified upstream bytes, links and all: npm skips the links itself');
    assert.deepEqual(await storedFiles(t, 'oldlinks', '1.0.0'), ['./package/index.js', './package/lib/real.js', './package/package.json']);
  });

  it('mirrors devices, FIFOs and contiguous files as npm does: the special files skipped, a contiguous file kept', async () => {
    const tarball = await makeNpmTarball([
      { name: 'package/package.json', content: '{"name":"oldspecial","version":"0.1.0"}' },
      { name: 'package/dev', type: 'character-device' },
      { name: 'package/pipe', type: 'fifo' },
      { name: 'package/data.txt', type: 'contiguous-file', content: 'contiguous\n' },
    ]);
    upstream.publish('oldspecial', '0.1.0', tarball);
    const res = await t.app.inject({ url: '/oldspecial/-/oldspecial-0.1.0.tgz' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(await storedFiles(t, 'oldspecial', '0.1.0'), ['./package/data.txt', './package/package.json']);
  });

  it('mirrors legacy manifest shapes (as underscore@1.0.3): array and string dependencies, string bin, array engines, string directories', async () => {
    const tarball = await makeNpmTarball([
      { name: 'package/package.json', content: '{"name":"oldshapes","version":"1.0.3","dependencies":[]}' },
      { name: 'package/underscore.js', content: '// old\n' },
    ]);
    upstream.publish('oldshapes', '1.0.3', tarball, {
      dependencies: [],
      devDependencies: 'oldlinks@1.0.0 oldspecial',
      bin: 'underscore.js',
      engines: ['node >= 0.4'],
      directories: 'lib',
      man: './man/underscore.1',
    });
    const arrays = await makeNpmTarball([{ name: 'package/package.json', content: '{"name":"oldarray","version":"0.2.0"}' }]);
    upstream.publish('oldarray', '0.2.0', arrays, { dependencies: ['oldshapes@1.0.3', 'oldlinks >=1.0.0', 'oldspecial'] });

    const res = await t.app.inject({ url: '/oldshapes/-/oldshapes-1.0.3.tgz' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.rawPayload, tarball);
    await storedFiles(t, 'oldshapes', '1.0.3');
    const version = await t.app.inject({ url: '/packages/package/legacy/oldshapes/versions/1.0.3' });
    assert.deepEqual(version.json().dependencies, {});
    assert.deepEqual(version.json().devDependencies, { [`legacy@${t.host}/oldlinks`]: '1.0.0', [`legacy@${t.host}/oldspecial`]: '*' });

    assert.equal((await t.app.inject({ url: '/oldarray/-/oldarray-0.2.0.tgz' })).statusCode, 200);
    await storedFiles(t, 'oldarray', '0.2.0');
    const arrayVersion = await t.app.inject({ url: '/packages/package/legacy/oldarray/versions/0.2.0' });
    assert.deepEqual(arrayVersion.json().dependencies, {
      [`legacy@${t.host}/oldshapes`]: '1.0.3',
      [`legacy@${t.host}/oldlinks`]: '>=1.0.0',
      [`legacy@${t.host}/oldspecial`]: '*',
    });
  });

  it('keeps every safety rule for what is stored: a mirrored tarball with a ".." or absolute path is not stored, and refused from then on', async () => {
    const make = (name: string, entry: string) =>
      makeNpmTarball([
        { name: 'package/package.json', content: `{"name":"${name}","version":"1.0.0"}` },
        { name: entry, content: 'root:x:0:0\n' },
      ]);
    const blobsBefore = await countFiles(t.deps.config.cacheDir);
    // a first GET is answered with the verified upstream bytes (npm's own extraction drops such
    // entries, as it would from the upstream); the files are checked by the store, after the response
    const escaping = await make('oldescape', 'package/../../etc/passwd');
    upstream.publish('oldescape', '1.0.0', escaping);
    const first = await t.app.inject({ url: '/oldescape/-/oldescape-1.0.0.tgz' });
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(first.rawPayload, escaping);
    // polled less often than the mirror's quiet time (1 s), which each read restarts
    const refusal = await waitFor(
      'the store to refuse oldescape@1.0.0',
      async () => {
        const res = await t.app.inject({ url: '/oldescape/-/oldescape-1.0.0.tgz' });
        return res.statusCode === 400 ? res : undefined;
      },
      30_000,
      1500,
    );
    assert.equal(refusal.json().code, 'INVALID_PATH');
    assert.equal(upstream.requests('/oldescape/-/oldescape-1.0.0.tgz'), 1, 'the refusal is remembered: the upstream is not asked again');
    // HEAD (how ds asks for a version to be mirrored) waits for the store, so it gets the refusal itself
    upstream.publish('oldabsolute', '1.0.0', await make('oldabsolute', '/etc/passwd'));
    const head = await t.app.inject({ method: 'HEAD', url: '/oldabsolute/-/oldabsolute-1.0.0.tgz' });
    assert.equal(head.statusCode, 400);
    const again = await t.app.inject({ url: '/oldabsolute/-/oldabsolute-1.0.0.tgz' });
    assert.equal(again.statusCode, 400, again.body);
    assert.equal(again.json().code, 'INVALID_PATH');
    for (const name of ['oldescape', 'oldabsolute']) {
      assert.equal((await t.app.inject({ url: `/packages/package/legacy/${name}/versions/1.0.0` })).statusCode, 404);
    }
    assert.equal(await countFiles(t.deps.config.cacheDir), blobsBefore, 'no blob was written');
  });
});

type LogLine = { level: number; msg: string; [field: string]: unknown };

/** A pino logger whose lines a test can read. */
function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds (the mirror revalidates in the background). */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
}

describe('the legacy mirror and the upstream: misses, removals, slow fetches', () => {
  const TTL_SECONDS = 3;
  let upstream: NpmUpstream;
  let t: TestApp;
  let lines: LogLine[];
  const storedHere = async (name: string, version: string) =>
    (await t.app.inject({ url: `/packages/package/legacy/${name}/versions/${version}` })).statusCode === 200;
  const versionsOf = async (name: string) => {
    const res = await t.app.inject({ url: `/${name}` });
    return res.statusCode === 200 ? Object.keys(res.json().versions as Record<string, unknown>) : res.statusCode;
  };

  before(async () => {
    upstream = await startNpmUpstream();
    const captured = capturingLogger();
    lines = captured.lines;
    t = await createTestApp({
      logger: captured.logger,
      env: {
        LEGACY_UPSTREAM: upstream.url,
        LEGACY_TTL_SECONDS: String(TTL_SECONDS),
        CACHE_TTL_SECONDS: '1',
        LEGACY_NEGATIVE_TTL_SECONDS: '2',
        LEGACY_SLOW_FETCH_MS: '300',
        DEV_LATENCY_ERROR_MS: '400',
      },
    });
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
  });

  it('asks the upstream once for a missing name while its 404 is remembered, then again (issue 17.6)', async () => {
    for (let i = 0; i < 2; i++) {
      // what an install asks: the abbreviated packument, then (a lockfile) the tarball
      const res = await t.app.inject({ url: '/no-such-pkg', headers: { accept: 'application/vnd.npm.install-v1+json' } });
      assert.equal(res.statusCode, 404, res.body);
      assert.equal((await t.app.inject({ url: '/no-such-pkg/-/no-such-pkg-1.0.0.tgz' })).statusCode, 404);
    }
    assert.equal(upstream.requests('/no-such-pkg'), 1, upstream.log.join('\n'));
    upstream.publish('no-such-pkg', '1.0.0', await makeNpmTarball([{ name: 'package/package.json', content: '{}' }]));
    await sleep(2100);
    assert.equal((await t.app.inject({ url: '/no-such-pkg' })).statusCode, 200);
    assert.equal(upstream.requests('/no-such-pkg'), 2);
  });

  it('never answers a local name from a remembered upstream 404 (issue 17.6)', async () => {
    assert.equal((await t.app.inject({ url: '/@later%2fpkg' })).statusCode, 404);
    assert.equal(upstream.requests('/@later/pkg'), 1);
    const later = await t.createUser('later');
    await publishVersion(t.app, 'later/pkg', '1.0.0', { token: later.token });
    const res = await t.app.inject({ url: '/@later%2fpkg' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(Object.keys(res.json().versions), ['1.0.0']);
    assert.equal(upstream.requests('/@later/pkg'), 1);
  });

  it('counts a 304 to revalidation as success: the cached packument is fresh again (issue 17.7)', async () => {
    upstream.publish('stable', '1.0.0', await makeNpmTarball([{ name: 'package/package.json', content: '{}' }]));
    assert.deepEqual(await versionsOf('stable'), ['1.0.0']);
    await sleep(TTL_SECONDS * 1000 + 100);
    assert.deepEqual(await versionsOf('stable'), ['1.0.0'], 'served stale while it revalidates');
    await eventually('the upstream answered 304', async () => upstream.log.includes('304 /stable'));
    await sleep(1200); // the response cache forgot it; the mirror's copy is fresh for TTL_SECONDS again
    const asked = upstream.requests('/stable');
    assert.deepEqual(await versionsOf('stable'), ['1.0.0']);
    await sleep(200);
    assert.equal(upstream.requests('/stable'), asked, 'no revalidation right after a 304');
    assert.ok(!lines.some((l) => l.msg.includes('revalidation failed')), 'a 304 is not a failure');
  });

  it('counts an unchanged 200 (an upstream ignoring If-None-Match, as Verdaccio 6.8.0) as a 304: nothing rewritten, no change announced (issue 17.7)', async () => {
    let changes = 0;
    const unsubscribe = t.deps.events.subscribe((event) => {
      if (event.type === 'package-changed' && event.ref.namespace === 'legacy' && event.ref.name === 'steady') changes += 1;
    });
    try {
      upstream.publish('steady', '1.0.0', await makeNpmTarball([{ name: 'package/package.json', content: '{}' }]));
      assert.deepEqual(await versionsOf('steady'), ['1.0.0']);
      // a first fetch answers before it stores (issue 17.9), and of a name with nothing stored here
      // it announces no change (no view cached before it can be stale)
      await eventually('the first fetch was stored', async () => (await t.deps.repos.mirror.findUpstreamPackument('steady')) !== undefined);
      assert.equal(changes, 0, 'a first fetch of a name stored nowhere here announces nothing');
      upstream.ignoreIfNoneMatch = true;
      await sleep(TTL_SECONDS * 1000 + 100);
      const asked = upstream.requests('/steady');
      assert.deepEqual(await versionsOf('steady'), ['1.0.0']);
      await eventually('the mirror revalidated', async () => upstream.requests('/steady') > asked);
      await sleep(300);
      assert.equal(changes, 0, 'an unchanged packument announces no change');
      await sleep(1200); // the mirror's copy counts as fresh again: no second revalidation
      const after = upstream.requests('/steady');
      assert.deepEqual(await versionsOf('steady'), ['1.0.0']);
      await sleep(200);
      assert.equal(upstream.requests('/steady'), after);
    } finally {
      upstream.ignoreIfNoneMatch = false;
      unsubscribe();
    }
  });

  it('follows the upstream removing a version, then the whole package (issue 17.7)', async () => {
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
      upstream.publish('gone', version, await makeNpmTarball([{ name: 'package/index.js', content: `// ${version}\n` }]));
    }
    assert.deepEqual(await versionsOf('gone'), ['1.0.0', '1.1.0', '2.0.0']);
    for (const version of ['1.0.0', '1.1.0']) {
      assert.equal((await t.app.inject({ url: `/gone/-/gone-${version}.tgz` })).statusCode, 200, 'mirrored here');
      await eventually(`gone@${version} is stored`, async () => storedHere('gone', version));
    }

    upstream.removeVersion('gone', '1.1.0');
    upstream.removeVersion('gone', '2.0.0');
    await sleep(TTL_SECONDS * 1000 + 100);
    await eventually('1.1.0 and 2.0.0 are no longer offered', async () => JSON.stringify(await versionsOf('gone')) === '["1.0.0"]');
    const packument = (await t.app.inject({ url: '/gone' })).json();
    assert.deepEqual(packument['dist-tags'], { latest: '1.0.0' });
    const removed = await t.app.inject({ url: '/gone/-/gone-1.1.0.tgz' });
    assert.equal(removed.statusCode, 404, 'a removed version is not served (LEGACY_KEEP_REMOVED is off)');
    assert.equal(removed.json().code, 'VERSION_NOT_FOUND');
    assert.match(removed.json().hint, /upstream registry removed it/);
    assert.equal((await t.app.inject({ url: '/gone/-/gone-2.0.0.tgz' })).statusCode, 404);
    assert.equal((await t.app.inject({ url: '/gone/-/gone-1.0.0.tgz' })).statusCode, 200);
    const logged = lines.find((l) => l.msg === 'legacy mirror: the upstream removed versions');
    assert.ok(logged, 'the removal is logged');
    assert.equal(logged.level, 40);
    assert.deepEqual(logged.versions, ['1.1.0']);

    upstream.removePackage('gone');
    await sleep(TTL_SECONDS * 1000 + 100);
    await eventually('the package is no longer offered', async () => (await versionsOf('gone')) === 404);
    assert.equal((await t.app.inject({ url: '/gone/-/gone-1.0.0.tgz' })).statusCode, 404);
    assert.ok(lines.some((l) => l.msg === 'legacy mirror: the upstream removed the package' && l.name === 'gone'));
  });

  it('logs a slow upstream as one warning per fetch with its share of the time, never as an error STALL (issue 17.15)', async () => {
    upstream.publish('slowpkg', '1.0.0', await makeNpmTarball([{ name: 'package/index.js', content: '// slow\n' }]));
    // over 1 MiB (incompressible): relayed to the client as it arrives on its first fetch
    const big = await makeNpmTarball([{ name: 'package/blob.bin', content: randomBytes(1536 * 1024) }]);
    assert.ok(big.length > 1024 * 1024);
    upstream.publish('slowbig', '1.0.0', big);
    const from = lines.length;
    upstream.delayMs = 600;
    try {
      assert.equal((await t.app.inject({ url: '/slowpkg' })).statusCode, 200);
      // two installs at once want the same first-time tarball: one upstream fetch
      const both = await Promise.all([1, 2].map(() => t.app.inject({ url: '/slowpkg/-/slowpkg-1.0.0.tgz' })));
      for (const res of both) assert.equal(res.statusCode, 200, res.body);
      const relayed = await t.app.inject({ url: '/slowbig/-/slowbig-1.0.0.tgz' });
      assert.equal(relayed.statusCode, 200);
      assert.deepEqual(relayed.rawPayload, big);
    } finally {
      upstream.delayMs = 0;
    }
    assert.equal(upstream.requests('/slowpkg/-/slowpkg-1.0.0.tgz'), 1);
    // the tarball's fetch is reported once its work is done (stored after the response)
    await eventually(
      'every slow fetch is reported',
      async () => lines.slice(from).filter((l) => l.msg === 'upstream fetch slow').length >= 4,
    );
    const logged = lines.slice(from);
    const slow = logged.filter((l) => l.msg === 'upstream fetch slow');
    const host = new URL(upstream.url).host;
    // (in the order each piece of work ended: a first-fetched tarball's once it is stored, in a quiet moment)
    assert.deepEqual(slow.map((l) => l.url).sort(), [
      `${host}/slowbig`,
      `${host}/slowbig/-/slowbig-1.0.0.tgz`,
      `${host}/slowpkg`,
      `${host}/slowpkg/-/slowpkg-1.0.0.tgz`,
    ]);
    for (const line of slow) {
      assert.equal(line.level, 40, 'a warning');
      assert.ok((line.upstreamMs as number) >= 550 && (line.totalMs as number) >= (line.upstreamMs as number), JSON.stringify(line));
    }
    const errors = logged.filter((l) => l.level >= 50);
    assert.deepEqual(errors, [], 'nothing at error level: the time was the upstream');
  });
});

describe('LEGACY_KEEP_REMOVED keeps a removed version for exact installs only (issue 17.7)', () => {
  let upstream: NpmUpstream;
  let t: TestApp;
  const storedHere = async (name: string, version: string) =>
    (await t.app.inject({ url: `/packages/package/legacy/${name}/versions/${version}` })).statusCode === 200;

  before(async () => {
    upstream = await startNpmUpstream();
    t = await createTestApp({
      env: { LEGACY_UPSTREAM: upstream.url, LEGACY_TTL_SECONDS: '1', CACHE_TTL_SECONDS: '1', LEGACY_KEEP_REMOVED: 'true' },
    });
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
  });

  it('stops offering the version but still serves its bytes by exact tarball URL', async () => {
    const tarball = await makeNpmTarball([{ name: 'package/index.js', content: '// kept\n' }]);
    upstream.publish('kept', '1.0.0', tarball);
    upstream.publish('kept', '1.1.0', await makeNpmTarball([{ name: 'package/index.js', content: '// newer\n' }]));
    assert.equal((await t.app.inject({ url: '/kept/-/kept-1.0.0.tgz' })).statusCode, 200);
    await eventually('kept@1.0.0 is stored', async () => storedHere('kept', '1.0.0'));
    upstream.removeVersion('kept', '1.0.0');
    await sleep(1100);
    await eventually('1.0.0 is no longer offered', async () => {
      const res = await t.app.inject({ url: '/kept' });
      return JSON.stringify(Object.keys(res.json().versions)) === '["1.1.0"]';
    });
    const res = await t.app.inject({ url: '/kept/-/kept-1.0.0.tgz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.rawPayload, tarball);
  });
});
