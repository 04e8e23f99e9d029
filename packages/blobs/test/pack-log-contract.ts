import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAppError } from '@entropic/types';
import type { LogLine, PackLog } from '../src/index.ts';

export interface PackLogsUnderTest {
  /** two handles on the same log, as two processes sharing it would have */
  a: PackLog;
  b: PackLog;
  cleanup(): Promise<void>;
}

async function readAll(log: PackLog, from = 0): Promise<{ lines: LogLine[]; cursor: number }> {
  const read = await log.read(from);
  return { lines: read.map((r) => r.line), cursor: read.at(-1)?.cursor ?? from };
}

async function rejectsWithConflict(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isAppError(error) && error.code === 'CONFLICT');
}

/** The contract every PackLog implementation passes (the file log, the database's). */
export function packLogContract(name: string, open: () => Promise<PackLogsUnderTest>): void {
  describe(`PackLog contract: ${name}`, () => {
    it('reads what either handle appended, in one order, from any cursor, without repeats', async () => {
      const { a, b, cleanup } = await open();
      try {
        assert.deepEqual(await a.read(0), []);
        await a.append({ del: ['one'] });
        const first = await readAll(b);
        assert.deepEqual(first.lines, [{ del: ['one'] }]);
        // appends racing from both handles: every line once, the same order for both readers
        await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).append({ drop: `segment-${i}` })));
        const fromA = await readAll(a, first.cursor);
        const fromB = await readAll(b, first.cursor);
        assert.equal(fromA.lines.length, 12);
        assert.deepEqual(fromA, fromB);
        assert.deepEqual(new Set(fromA.lines.map((line) => (line as { drop: string }).drop)).size, 12);
        assert.deepEqual(await a.read(fromA.cursor), [], 'nothing after the last cursor');
        await b.append({ live: ['x', 'y'] });
        assert.deepEqual((await readAll(a, fromA.cursor)).lines, [{ live: ['x', 'y'] }]);
        const whole = await readAll(a);
        assert.equal(whole.lines.length, 14);
      } finally {
        await cleanup();
      }
    });

    it('gives a lease to one holder at a time; its holder renews and releases it', async () => {
      const { a, b, cleanup } = await open();
      try {
        const leaseA = { name: 'pack', holder: 'node-a' };
        const leaseB = { name: 'pack', holder: 'node-b' };
        const [gotA, gotB] = await Promise.all([a.acquire(leaseA, 60_000), b.acquire(leaseB, 60_000)]);
        assert.equal(Number(gotA) + Number(gotB), 1, 'exactly one of two racing holders');
        const [holder, other, otherLog] = gotA ? [leaseA, leaseB, b] : [leaseB, leaseA, a];
        const holderLog = otherLog === a ? b : a;
        assert.equal(await otherLog.acquire(other, 60_000), false);
        assert.equal(await holderLog.acquire(holder, 60_000), true, 'renewed');
        assert.equal(await otherLog.acquire({ name: 'other-set', holder: other.holder }, 60_000), true, 'another name is free');
        await otherLog.release(holder); // not the holder's handle, but names the holder: releases
        assert.equal(await otherLog.acquire(other, 60_000), true);
        await otherLog.release({ name: 'pack', holder: 'nobody' }); // not held by that name: nothing
        assert.equal(await holderLog.acquire(holder, 60_000), false);
      } finally {
        await cleanup();
      }
    });

    it('fences appends by a lease: a holder whose lease expired and was taken over appends nothing', async () => {
      const { a, b, cleanup } = await open();
      try {
        const leaseA = { name: 'pack', holder: 'node-a' };
        const leaseB = { name: 'pack', holder: 'node-b' };
        await rejectsWithConflict(a.append({ del: ['never'] }, leaseA)); // not held at all
        assert.equal(await a.acquire(leaseA, 60_000), true);
        await a.append({ del: ['fenced'] }, leaseA);
        await rejectsWithConflict(b.append({ del: ['not-mine'] }, leaseB));
        // A stalls past a short lease (a dead holder stops renewing): B takes over
        assert.equal(await a.acquire(leaseA, 1), true);
        await sleep(50);
        assert.equal(await b.acquire(leaseB, 60_000), true, 'an expired lease is taken over');
        await rejectsWithConflict(a.append({ del: ['stale'] }, leaseA));
        await b.append({ del: ['b'] }, leaseB);
        assert.deepEqual((await readAll(a)).lines, [{ del: ['fenced'] }, { del: ['b'] }]);
      } finally {
        await cleanup();
      }
    });
  });
}
