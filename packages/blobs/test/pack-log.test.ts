import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { createFilePackLog } from '../src/index.ts';
import { packLogContract } from './pack-log-contract.ts';

packLogContract('local file log', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'entropic-pack-log-'));
  return { a: createFilePackLog(dir), b: createFilePackLog(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

it('file log: a line torn by a crash is skipped, and the next append is a line of its own', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'entropic-pack-log-'));
  try {
    const log = createFilePackLog(dir);
    await log.append({ del: ['a'] });
    await appendFile(join(dir, 'index.log'), '{"del":["tor');
    const before = await log.read(0);
    assert.deepEqual(
      before.map((r) => r.line),
      [{ del: ['a'] }],
      'a torn last line is not read (it may still be being written)',
    );
    await log.append({ del: ['b'] });
    const after = await log.read(before.at(-1)?.cursor ?? 0);
    assert.deepEqual(
      after.map((r) => r.line),
      [{ del: ['b'] }],
    );
    assert.match(await readFile(join(dir, 'index.log'), 'utf8'), /\{"del":\["tor\n\{"del":\["b"\]\}\n$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
