import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type NpmUpstream, startNpmUpstream, type TestApp } from '@entropic/testkit';
import { runDs } from '../../packages/cli/test/support/ds-harness.ts';
import { makeNpmTarball } from '../../packages/server/test/support/npm-tarball.ts';
import { npmUserEnv, run, writeProject } from './support/npm-cli.ts';

const HOUR = 3_600_000;

async function tarball(name: string, version: string): Promise<Buffer> {
  return makeNpmTarball([
    { name: 'package/package.json', content: JSON.stringify({ name, version, main: 'index.js' }) },
    { name: 'package/index.js', content: `module.exports = '${version}';\n` },
  ]);
}

async function installedVersion(project: string, name: string): Promise<string> {
  return JSON.parse(await readFile(join(project, 'node_modules', name, 'package.json'), 'utf8')).version;
}

describe('release-age quarantine with the real npm CLI and ds (issue 10.5)', { timeout: 600_000 }, () => {
  let root: string;
  let upstream: NpmUpstream;
  let t: TestApp;
  let registry: string;
  // the only fake: the clock of the upstream's `time` and of this registry (publish times, the quarantine)
  let offsetMs = -72 * HOUR;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-release-age-'));
    upstream = await startNpmUpstream({ clock });
    t = await createTestApp({
      env: { LEGACY_UPSTREAM: upstream.url, LEGACY_MIN_RELEASE_AGE_HOURS: '24', MIN_RELEASE_AGE_HOURS: '24', CACHE_TTL_SECONDS: '1' },
      clock,
    });
    registry = `${await t.listen()}/`;
    // young-dep 1.0.0 three days ago, 1.1.0 now
    upstream.publish('young-dep', '1.0.0', await tarball('young-dep', '1.0.0'));
    offsetMs = 0;
    upstream.publish('young-dep', '1.1.0', await tarball('young-dep', '1.1.0'));
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('a mirrored version younger than LEGACY_MIN_RELEASE_AGE_HOURS is skipped by ranges and latest, installed when pinned', async () => {
    const abbreviated = await fetch(`${registry}young-dep`, { headers: { accept: 'application/vnd.npm.install-v1+json' } });
    const doc = (await abbreviated.json()) as { 'dist-tags': Record<string, string>; versions: Record<string, { deprecated?: string }> };
    assert.deepEqual(doc['dist-tags'], { latest: '1.0.0' });
    assert.ok(doc.versions['1.1.0']?.deprecated?.startsWith('Quarantined by the registry until '), JSON.stringify(doc.versions['1.1.0']));
    assert.equal(doc.versions['1.0.0']?.deprecated, undefined);
    // the full packument keeps `time` truthful (pnpm's minimumReleaseAge reads it)
    const full = (await (await fetch(`${registry}young-dep`)).json()) as { time: Record<string, string> };
    const upstreamTime = (await (await fetch(`${upstream.url}/young-dep`)).json()) as { time: Record<string, string> };
    assert.equal(full.time['1.1.0'], upstreamTime.time['1.1.0']);

    const ranged = join(root, 'ranged');
    await writeProject(ranged, { name: 'ranged', version: '1.0.0', dependencies: { 'young-dep': '^1.0.0' } });
    await run('npm', ['install'], ranged, await npmUserEnv(root, registry, 'ranged'));
    assert.equal(await installedVersion(ranged, 'young-dep'), '1.0.0');

    const latest = join(root, 'latest');
    await writeProject(latest, { name: 'latest', version: '1.0.0' });
    await run('npm', ['install', 'young-dep'], latest, await npmUserEnv(root, registry, 'latest'));
    assert.equal(await installedVersion(latest, 'young-dep'), '1.0.0');

    const pinned = join(root, 'pinned');
    await writeProject(pinned, { name: 'pinned', version: '1.0.0', dependencies: { 'young-dep': '1.1.0' } });
    const out = await run('npm', ['install'], pinned, await npmUserEnv(root, registry, 'pinned'));
    assert.equal(await installedVersion(pinned, 'young-dep'), '1.1.0');
    assert.match(out, /deprecated young-dep@1\.1\.0: Quarantined by the registry until/);

    // ds: the same choices
    const dsEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: await mkdtemp(join(root, 'ds-home-')), ENTROPIC_REGISTRY: t.url };
    const dsRanged = join(root, 'ds-ranged');
    await writeProject(dsRanged, { name: 'ds-ranged', private: true });
    const dsOut = await runDs(['install', 'young-dep@^1.0.0'], dsRanged, dsEnv);
    assert.equal(dsOut.code, 0, dsOut.stderr);
    assert.equal(await installedVersion(dsRanged, 'young-dep'), '1.0.0');
    const dsPinned = join(root, 'ds-pinned');
    await writeProject(dsPinned, { name: 'ds-pinned', private: true });
    const dsPin = await runDs(['install', 'young-dep@1.1.0'], dsPinned, dsEnv);
    assert.equal(dsPin.code, 0, dsPin.stderr);
    assert.equal(await installedVersion(dsPinned, 'young-dep'), '1.1.0');
  });

  it('a local version younger than MIN_RELEASE_AGE_HOURS is skipped by ranges, and offered once old enough', async () => {
    const alice = await t.createUser('alice');
    const publisher = await npmUserEnv(root, registry, 'alice', alice.token);
    for (const [version, offset] of [
      ['1.0.0', -48 * HOUR],
      ['1.1.0', 0],
    ] as const) {
      offsetMs = offset;
      const dir = join(root, `lib-${version}`);
      await writeProject(dir, { name: '@alice/lib', version, main: 'index.js' });
      await run('npm', ['publish'], dir, publisher);
    }
    offsetMs = 0;
    await t.runJobs();
    const project = join(root, 'local-ranged');
    await writeProject(project, { name: 'local-ranged', version: '1.0.0', dependencies: { '@alice/lib': '^1.0.0' } });
    await run('npm', ['install'], project, await npmUserEnv(root, registry, 'local-ranged'));
    assert.equal(await installedVersion(project, '@alice/lib'), '1.0.0');

    // a day later both are old enough: the range takes 1.1.0 (the cached view expires within CACHE_TTL_SECONDS)
    offsetMs = 25 * HOUR;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = join(root, 'local-later');
    await writeProject(later, { name: 'local-later', version: '1.0.0', dependencies: { '@alice/lib': '^1.0.0' } });
    await run('npm', ['install'], later, await npmUserEnv(root, registry, 'local-later'));
    assert.equal(await installedVersion(later, '@alice/lib'), '1.1.0');
    const doc = (await (await fetch(`${registry}@alice/lib`)).json()) as { 'dist-tags': Record<string, string> };
    assert.equal(doc['dist-tags'].latest, '1.1.0');

    // the namespace's own policy, set with ds, is stricter: 100 hours keeps both (73 and 25 hours old) from latest
    const dsEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: await mkdtemp(join(root, 'ds-alice-')),
      ENTROPIC_REGISTRY: t.url,
      ENTROPIC_TOKEN: alice.token,
    };
    const set = await runDs(['release-age', 'set', 'alice', '100'], root, dsEnv);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^alice@127\.0\.0\.1:\d+: versions published in it are kept from ranges and latest until 100 hours old/);
    const strict = (await (await fetch(`${registry}@alice/lib`)).json()) as { 'dist-tags': Record<string, string> };
    assert.deepEqual(strict['dist-tags'], {});
    const off = await runDs(['release-age', 'set', 'alice', 'off'], root, dsEnv);
    assert.equal(off.code, 0, off.stderr);
    const got = await runDs(['release-age', 'get', 'alice', '--json'], root, dsEnv);
    assert.deepEqual(got.json(), { namespace: `alice@${new URL(t.url).host}`, hours: null });
    const back = (await (await fetch(`${registry}@alice/lib`)).json()) as { 'dist-tags': Record<string, string> };
    assert.equal(back['dist-tags'].latest, '1.1.0');
  });
});
