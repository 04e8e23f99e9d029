import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Integrity, integrityToHex, sha512Integrity } from '@entropic/types';
import { createFsBlobStore } from '../src/index.ts';

const SRC = new URL('../src/index.ts', import.meta.url).href;
const TSX = import.meta.resolve('tsx');

function objectPath(dir: string, integrity: Integrity): string {
  const hex = integrityToHex(integrity);
  return join(dir, 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex);
}

const journalFiles = async (dir: string) => readdir(join(dir, 'journal')).catch(() => [] as string[]);

/** Waits (bounded) until `check` holds; fails saying what it waited for. */
async function waitUntil(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A writer in another process: puts `contents` with deferSync, syncs them (journaled; its
 * checkpoint is an hour away), says so on stdout, then waits to be killed.
 */
function crashingWriter(dir: string, contents: string[]): Promise<{ kill(): Promise<void> }> {
  const script = `
    const { createFsBlobStore } = await import(${JSON.stringify(SRC)});
    const store = createFsBlobStore({ dir: ${JSON.stringify(dir)}, checkpointDelayMs: 3_600_000 });
    const put = await Promise.all(${JSON.stringify(contents)}.map((c) => store.putBytes(c, { deferSync: true })));
    await store.sync(put.map((p) => p.integrity));
    process.stdout.write('synced\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`the writer did not sync within 60 s: ${err}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => {
      if (!d.toString().includes('synced')) return;
      clearTimeout(timer);
      resolve({ kill });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the writer exited (${code}) before it synced: ${err}`));
    });
  });
}

describe('sync journal of the filesystem blob store', () => {
  const dirs: string[] = [];
  const fresh = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entropic-journal-'));
    dirs.push(dir);
    return dir;
  };
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('a sync of small deferSync puts writes one journal file, which the checkpoint removes after fsyncing the objects', async () => {
    const dir = await fresh();
    const store = createFsBlobStore({ dir, checkpointDelayMs: 50 });
    const put = await Promise.all(['a', 'b', 'c'].map((c) => store.putBytes(c, { deferSync: true })));
    await store.sync(put.map((p) => p.integrity));
    assert.equal((await journalFiles(dir)).length, 1, 'one journal for the three objects');
    await waitUntil('the checkpoint to remove the journal', async () => (await journalFiles(dir)).length === 0);
    await store.sync(put.map((p) => p.integrity)); // durable already: no new journal
    assert.equal((await journalFiles(dir)).length, 0);
    await store.close();
  });

  it('objects larger than journalObjectBytes are fsynced directly, not journaled', async () => {
    const dir = await fresh();
    const store = createFsBlobStore({ dir, journalObjectBytes: 4, checkpointDelayMs: 3_600_000 });
    const big = await store.putBytes('more than four bytes', { deferSync: true });
    await store.sync([big.integrity]);
    assert.deepEqual(await journalFiles(dir), []);
    await store.close();
  });

  it('after a writer is killed (-9) and the machine loses what was not fsynced, the next open restores every journaled object', async () => {
    const dir = await fresh();
    const contents = ['first object', 'second object', 'third object'];
    const writer = await crashingWriter(dir, contents);
    await writer.kill();
    const integrities = contents.map((c) => sha512Integrity(c));
    assert.equal((await journalFiles(dir)).length, 1, 'the killed writer left its journal');
    // what a power loss may do to files that were never fsynced: gone, empty, cut short
    await unlink(objectPath(dir, integrities[0] as Integrity));
    await truncate(objectPath(dir, integrities[1] as Integrity), 0);
    await truncate(objectPath(dir, integrities[2] as Integrity), 5);
    const store = createFsBlobStore({ dir });
    for (const [i, integrity] of integrities.entries()) {
      assert.equal((await store.getBytes(integrity))?.toString(), contents[i]);
      assert.equal(await store.verify(integrity), true);
    }
    assert.deepEqual(await journalFiles(dir), [], 'the replayed journal is removed');
    await store.close();
  });

  it('a journal cut short by a crash while it was written restores the whole records and skips the rest', async () => {
    const dir = await fresh();
    const writer = await crashingWriter(dir, ['kept record', 'torn record']);
    await writer.kill();
    const [name] = await journalFiles(dir);
    const path = join(dir, 'journal', name as string);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 3));
    const kept = sha512Integrity('kept record');
    const torn = sha512Integrity('torn record');
    await unlink(objectPath(dir, kept));
    await unlink(objectPath(dir, torn));
    const store = createFsBlobStore({ dir });
    assert.equal((await store.getBytes(kept))?.toString(), 'kept record');
    assert.equal(await store.stat(torn), undefined, 'a torn record restores nothing (no commit could depend on it)');
    assert.deepEqual(await journalFiles(dir), []);
    await store.close();
  });

  it('leaves the journal of a live writer alone', async () => {
    const dir = await fresh();
    const writer = await crashingWriter(dir, ['still being written']);
    try {
      const store = createFsBlobStore({ dir });
      await store.check();
      assert.equal((await journalFiles(dir)).length, 1, 'its writer checkpoints it');
      await store.close();
    } finally {
      await writer.kill();
    }
  });
});
