import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { runCli } from '../src/run-cli.ts';

async function ds(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await runCli(argv, { stdout, stderr, env: {}, cwd: process.cwd() });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('ds help for command groups (issue 17.2)', () => {
  it('ds tag --help lists the subcommands and exits 0', async () => {
    const r = await ds(['tag', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const sub of ['tag add', 'tag rm', 'tag ls']) assert.match(r.stdout, new RegExp(`^ {2}${sub} `, 'm'));
  });

  it('ds help tag says the same', async () => {
    const help = await ds(['help', 'tag']);
    assert.equal(help.code, 0);
    assert.equal(help.stdout, (await ds(['tag', '--help'])).stdout);
  });

  it('every group answers --help, and ds help <command> shows that command', async () => {
    const groups = new Set([...(await ds(['--help'])).stdout.matchAll(/^ {2}([a-z]+) [a-z]+ {2,}/gm)].map((m) => m[1] as string));
    assert.ok(groups.size > 0);
    for (const group of groups) {
      const r = await ds([group, '--help']);
      assert.equal(r.code, 0, `${group}: ${r.stderr}`);
      assert.match(r.stdout, /Subcommands:/);
    }
    const one = await ds(['help', 'tag', 'add']);
    assert.match(one.stdout, /^Usage:$/m);
    assert.match(one.stdout, /ds tag add/);
  });

  it('a group without (or with an unknown) subcommand is a usage error naming the subcommands', async () => {
    const none = await ds(['tag']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /ds: error USAGE: ds tag needs a subcommand: add, rm, ls\./);
    const unknown = await ds(['tag', 'frob']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /there is no "frob"/);
  });
});
