import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type NpmUpstream, startNpmUpstream, type TestApp } from '@entropic/testkit';
import { makeNpmTarball } from '../../packages/server/test/support/npm-tarball.ts';
import { makeNpmHome, npmEnv, run, writeProject } from './support/npm-cli.ts';

type Found = { name: string; version: string; description?: string };

/**
 * The real `npm search` (the npm CLI that came with Node) against a listening registry: a package
 * published with `npm publish` and a `legacy` package the registry mirrored from a local upstream
 * are both listed; the index is written off the request path, so the test waits for it (bounded).
 */
describe('npm search against Entropic', { timeout: 300_000 }, () => {
  let root: string;
  let upstream: NpmUpstream;
  let t: TestApp;
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entropic-npm-search-'));
    upstream = await startNpmUpstream();
    const manifest = { name: 'pangolin-utils', version: '2.0.0', description: 'Mirrored pangolin helpers', keywords: ['pangolin'] };
    const tarball = await makeNpmTarball([{ name: 'package/package.json', content: JSON.stringify(manifest) }]);
    upstream.publish('pangolin-utils', '2.0.0', tarball, manifest);
    t = await createTestApp({ env: { LEGACY_UPSTREAM: upstream.url } });
    const registry = `${await t.listen()}/`;
    const alice = await t.createUser('alice');
    home = await makeNpmHome(root, registry);
    await writeFile(join(home, '.npmrc'), `registry=${registry}\n${registry.replace(/^https?:/, '')}:_authToken=${alice.token}\n`);
    env = npmEnv(home);
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
    await rm(root, { recursive: true, force: true });
  });

  /** `npm search --json <word>` until `accept` is satisfied (the write's search-index job runs after it answered). */
  async function searchUntil(word: string, accept: (found: Found[]) => boolean): Promise<Found[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      await t.runJobs(); // the test app's worker runs when told (a server's runs by itself)
      const found = JSON.parse(await run('npm', ['search', '--json', word], root, env)) as Found[];
      if (accept(found)) return found;
      if (Date.now() > deadline) throw new Error(`npm search ${word} never listed what was expected: ${JSON.stringify(found)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('lists a package published with npm publish, by name, by a typo, and by description', async () => {
    const dir = join(root, 'pkg');
    await writeProject(dir, { name: '@alice/pangolin', version: '1.0.0', description: 'Scaly anteater toolkit', keywords: ['mammal'] });
    await run('npm', ['publish'], dir, env);
    const found = await searchUntil('pangolin', (hits) => hits.some((h) => h.name === '@alice/pangolin'));
    const hit = found.find((h) => h.name === '@alice/pangolin');
    assert.equal(hit?.version, '1.0.0');
    assert.equal(hit?.description, 'Scaly anteater toolkit');
    assert.equal((await searchUntil('pangolni', (hits) => hits.length > 0))[0]?.name, '@alice/pangolin');
    assert.equal((await searchUntil('anteater', (hits) => hits.length > 0))[0]?.name, '@alice/pangolin');
    // the human output lists it as well
    assert.match(await run('npm', ['search', 'anteater'], root, env), /@alice\/pangolin/);
  });

  it('lists a legacy package once the registry has mirrored a version of it (installed through it); nothing for an unknown word', async () => {
    const project = join(root, 'project');
    await writeProject(project, { name: 'project', version: '1.0.0', private: true });
    await run('npm', ['install', 'pangolin-utils@2.0.0'], project, env);
    const found = await searchUntil('pangolin', (hits) => hits.some((h) => h.name === 'pangolin-utils'));
    assert.equal(found.find((h) => h.name === 'pangolin-utils')?.description, 'Mirrored pangolin helpers');
    assert.deepEqual(JSON.parse(await run('npm', ['search', '--json', 'zzqqxxyy'], root, env)), []);
  });
});
