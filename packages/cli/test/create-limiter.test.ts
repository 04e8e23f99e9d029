import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createLimiter } from '../src/create-limiter.ts';

it('never runs more than the limit at once, and runs everything', async () => {
  const limit = createLimiter(3);
  let active = 0;
  let peak = 0;
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      limit(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 2));
        active--;
        return i;
      }),
    ),
  );
  assert.equal(peak, 3);
  assert.deepEqual(
    results,
    Array.from({ length: 20 }, (_, i) => i),
  );
});

it('runs urgent tasks before waiting ordinary ones, and never exceeds the limit while handing over', async () => {
  const limit = createLimiter(2);
  const order: string[] = [];
  let active = 0;
  let peak = 0;
  const task = (name: string) => async () => {
    active++;
    peak = Math.max(peak, active);
    order.push(name);
    await new Promise((r) => setTimeout(r, 2));
    active--;
  };
  const all = [limit(task('a')), limit(task('b')), limit(task('c')), limit(task('d'))];
  all.push(limit(task('meta'), { urgent: true }));
  // a task that arrives while slots are handed over does not overtake the queue
  all.push(limit(task('late')));
  await Promise.all(all);
  assert.equal(peak, 2);
  assert.deepEqual(order.slice(0, 3), ['a', 'b', 'meta']);
  assert.deepEqual(order.slice(3), ['c', 'd', 'late']);
});
