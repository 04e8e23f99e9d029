import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdleQueue } from '../src/idle-queue.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IdleQueue (the mirror stores first-fetched tarballs when requests leave room)', () => {
  it('waits while the caller is busy; a task someone waits for runs at once; flush runs the rest, one at a time, in order', async () => {
    const queue = new IdleQueue({ quietMs: 60_000, maxDelayMs: 60_000, maxQueuedBytes: 1024 });
    queue.touch();
    const ran: string[] = [];
    let running = 0;
    let overlapped = false;
    const task = (name: string) => async () => {
      running++;
      overlapped ||= running > 1;
      await tick(5);
      ran.push(name);
      running--;
    };
    const a = queue.add('a', 10, task('a'));
    const b = queue.add('b', 10, task('b'));
    const c = queue.add('c', 10, task('c'));
    await tick(50);
    assert.deepEqual(ran, [], 'nothing runs while the caller is busy');
    queue.expedite('b');
    await b;
    assert.deepEqual(ran, ['b']);
    queue.flush();
    await Promise.all([a, c]);
    assert.deepEqual(ran, ['b', 'a', 'c']);
    assert.equal(overlapped, false, 'one task at a time');
  });

  it('runs at once when quiet, when a task is urgent, or when the queued bytes pass the bound; a failure reaches its caller only', async () => {
    const quiet = new IdleQueue({ quietMs: 0, maxDelayMs: 60_000, maxQueuedBytes: 1024 });
    let done = false;
    await quiet.add('x', 1, async () => {
      done = true;
    });
    assert.equal(done, true);

    const busy = new IdleQueue({ quietMs: 60_000, maxDelayMs: 60_000, maxQueuedBytes: 100 });
    busy.touch();
    await busy.add('urgent', 1, async () => {}, true);
    await busy.add('big', 500, async () => {});
    await assert.rejects(
      busy.add('bad', 500, async () => {
        throw new Error('store failed');
      }),
      /store failed/,
    );
    await busy.add('after', 500, async () => {});
  });
});
