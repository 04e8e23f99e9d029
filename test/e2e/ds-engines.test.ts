import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type NpmUpstream, startNpmUpstream, type TestApp } from '@entropic/testkit';
import { runCli } from '../../packages/cli/src/run-cli.ts';
import { makeNpmTarball } from '../../packages/server/test/support/npm-tarball.ts';

/** A Node that no version of this run can satisfy, and one every version does. */
const FUTURE = '>=999';

describe('ds install honours engines.node as npm does (issue 17.14)', { timeout: 300_000 }, () => {
  let root: string;
  let upstream: NpmUpstream;
  let t: TestApp;

  async function publish(name: string, version: string, engines?: Record<string, string>): Promise<void> {
    const manifest = { name, version, main: 'index.js', ...(engines ? { engines } : {}) };
    const tarball = await makeNpmTarball([
      { name: 'package/package.json', content: JSON.stringify(manifest) },
      { name: 'package/index.js', content: `module.exports = ${JSON.stringify(version)};\n` },
    ]);
    upstream.publish(name, version, tarball, { main: 'index.js', ...(engines ? { engines } : {}) });
  }

  async function ds(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => err.push(c));
    const env = { HOME: cwd, XDG_CACHE_HOME: join(cwd, '.cache'), ENTROPIC_REGISTRY: t.url, CI: '1' };
    const code = await runCli(argv, { stdout, stderr, env, cwd });
    return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  }

  async function project(): Promise<string> {
    const dir = await mkdtemp(join(root, 'project-'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', dependencies: {} }));
    return dir;
  }

  const installed = async (dir: string, name: string) =>
    (JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ds-engines-'));
    upstream = await startNpmUpstream();
    // like chalk: 5.x runs on this Node, the latest 6.x needs a newer one
    await publish('chalkish', '5.5.0', { node: '>=12' });
    await publish('chalkish', '5.6.2', { node: '>=12' });
    await publish('chalkish', '6.0.0', { node: FUTURE });
    await publish('chalkish', '6.1.0', { node: FUTURE });
    t = await createTestApp({ env: { LEGACY_UPSTREAM: upstream.url } });
    await t.listen();
  });
  after(async () => {
    await t?.close();
    await upstream?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('`ds install chalkish` installs the highest version whose engines fit (latest needs a newer Node)', async () => {
    const dir = await project();
    const r = await ds(['install', 'chalkish'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await installed(dir, 'chalkish'), '5.6.2');
    assert.doesNotMatch(r.stderr, /UNSUPPORTED_ENGINE/);
  });

  it('a range nothing fits installs anyway with a warning naming the package, range and Node', async () => {
    const dir = await project();
    const r = await ds(['install', 'chalkish@^6'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await installed(dir, 'chalkish'), '6.1.0');
    assert.match(r.stderr, /^ds: warning UNSUPPORTED_ENGINE: No version of chalkish matching "\^6" supports Node \d+\.\d+\.\d+/m);
    assert.match(r.stderr, /chalkish@6\.1\.0 needs node ">=999"/);
    const json = await ds(['install', 'chalkish@^6', '--json'], dir);
    const data = JSON.parse(json.stdout) as { warnings: Array<{ code: string; message: string }> };
    assert.deepEqual(
      data.warnings.map((w) => w.code),
      ['UNSUPPORTED_ENGINE'],
    );
    assert.doesNotMatch(json.stderr, /warning/, '--json keeps stderr quiet; the warning is in the result');
  });

  it('with --engine-strict it refuses with UNSUPPORTED_ENGINE and installs nothing', async () => {
    const dir = await project();
    const r = await ds(['install', 'chalkish@^6', '--engine-strict'], dir);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /^ds: error UNSUPPORTED_ENGINE: No version of chalkish matching "\^6" supports Node /m);
    assert.match(r.stderr, /^hint: .*chalkish@<range>/m);
    await assert.rejects(readFile(join(dir, 'node_modules', 'chalkish', 'package.json')));
  });
});
