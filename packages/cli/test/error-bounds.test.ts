import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { MAX_ERROR_TEXT, runCli } from '../src/run-cli.ts';

/** What ds may quote of a 10,000-character argument: the message and hint lines stay short. */
const MAX_LINE = 300;

describe('ds quotes what the user typed only cut short (issue 17.1)', () => {
  let project: string;
  before(async () => {
    project = await mkdtemp(join(tmpdir(), 'ds-error-bounds-'));
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', dependencies: {} }));
  });
  after(() => rm(project, { recursive: true, force: true }));

  async function ds(argv: string[]): Promise<{ code: number; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stdout.resume();
    stderr.on('data', (c: Buffer) => err.push(c));
    // a registry nobody listens on: nothing here may need one
    const env = { HOME: project, ENTROPIC_REGISTRY: 'http://127.0.0.1:9', ENTROPIC_TOKEN: 'ent_v1_x', CI: '1' };
    const code = await runCli(argv, { stdout, stderr, env, cwd: project });
    return { code, stderr: Buffer.concat(err).toString() };
  }

  const long = 'a'.repeat(10_000);
  const cases = [
    [['install', long], 'INVALID_SPEC'],
    [['install', `${long}@^1`], 'INVALID_SPEC'],
    [['install', `lodash@${long}`], 'INVALID_SPEC'],
    [['install', `${long}/x`], 'INVALID_SPEC'],
    [['install', `alice@${long}/x`], 'INVALID_SPEC'],
    [['download', long], 'INVALID_SPEC'],
    [['tag', 'add', long, 'beta'], 'INVALID_SPEC'],
    [['members', long], 'USAGE'],
    [[long], 'UNKNOWN_COMMAND'],
  ] as const;
  for (const [argv, code] of cases) {
    it(`ds ${argv.map((a) => (a.length > 20 ? `${a.slice(0, 12)}…(${a.length})` : a)).join(' ')} → ${code}`, async () => {
      const r = await ds([...argv]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`^ds: error ${code}: `, 'm'), r.stderr.slice(0, 300));
      for (const line of r.stderr.split('\n'))
        assert.ok(line.length <= MAX_LINE, `a line of ${line.length} characters: ${line.slice(0, 100)}…`);
    });
  }

  it('the one exit bounds a message and hint whatever their source', async () => {
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', dependencies: { [long]: long } }));
    const r = await ds(['install']);
    assert.match(r.stderr, /^ds: error INVALID_MANIFEST: /m, r.stderr.slice(0, 300));
    for (const line of r.stderr.split('\n')) assert.ok(line.length <= MAX_ERROR_TEXT + 20, `a line of ${line.length} characters`);
  });
});
