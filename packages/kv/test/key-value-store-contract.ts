import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyValueStore } from '../src/key-value-store.ts';

/** One backend (a Redis key prefix, a memory backend); every client it opens sees the same data. */
export interface KeyValueStoreHarness {
  open(): KeyValueStore | Promise<KeyValueStore>;
  /** Drops the backend's data; called after each test once its clients are closed. */
  dispose?(): Promise<void>;
}

/** Called once per test, so each test gets a fresh backend. */
export type KeyValueStoreHarnessFactory = () => KeyValueStoreHarness | Promise<KeyValueStoreHarness>;

async function waitFor(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The behaviour every KeyValueStore implementation must have. */
export function keyValueStoreContract(label: string, factory: KeyValueStoreHarnessFactory): void {
  describe(`KeyValueStore contract: ${label}`, () => {
    let harness: KeyValueStoreHarness;
    let opened: KeyValueStore[];
    let kv: KeyValueStore;
    const open = async () => {
      const store = await harness.open();
      opened.push(store);
      return store;
    };

    beforeEach(async () => {
      harness = await factory();
      opened = [];
      kv = await open();
    });
    afterEach(async () => {
      await Promise.all(opened.map((store) => store.close()));
      await harness.dispose?.();
    });

    it('gets what was set, undefined when missing, and overwrites', async () => {
      assert.equal(await kv.get('missing'), undefined);
      await kv.set('k', 'v1');
      assert.equal(await kv.get('k'), 'v1');
      await kv.set('k', 'v2 — ünïcødé');
      assert.equal(await kv.get('k'), 'v2 — ünïcødé');
      await kv.set('empty', '');
      assert.equal(await kv.get('empty'), '');
    });

    it('expires keys after their TTL; a plain set removes the TTL', async () => {
      await kv.set('short', 'a', { ttlSeconds: 1 });
      await kv.set('kept', 'b', { ttlSeconds: 1 });
      await kv.set('kept', 'c');
      assert.equal(await kv.setIfAbsent('nx', 'd', { ttlSeconds: 1 }), true);
      await kv.set('long', 'e', { ttlSeconds: 60 });
      assert.equal(await kv.get('short'), 'a');
      await sleep(1200);
      assert.equal(await kv.get('short'), undefined);
      assert.equal(await kv.get('kept'), 'c');
      assert.equal(await kv.get('long'), 'e');
      assert.equal(await kv.take('short'), undefined);
      assert.equal(await kv.setIfAbsent('nx', 'f'), true, 'an expired key is absent');
      assert.equal(await kv.get('nx'), 'f');
    });

    it('rejects non-positive TTLs', async () => {
      await assert.rejects(kv.set('k', 'v', { ttlSeconds: 0 }), RangeError);
      await assert.rejects(kv.setIfAbsent('k', 'v', { ttlSeconds: -1 }), RangeError);
      await assert.rejects(kv.increment('k', Number.NaN), RangeError);
    });

    it('setIfAbsent sets only when absent', async () => {
      assert.equal(await kv.setIfAbsent('k', 'first'), true);
      assert.equal(await kv.setIfAbsent('k', 'second'), false);
      assert.equal(await kv.get('k'), 'first');
      await kv.delete('k');
      assert.equal(await kv.setIfAbsent('k', 'third', { ttlSeconds: 30 }), true);
      assert.equal(await kv.get('k'), 'third');
    });

    it('setIfAbsent lets exactly one of many concurrent callers win', async () => {
      const other = await open();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? kv : other).setIfAbsent('lock', `owner-${i}`)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await kv.get('lock'), `owner-${results.indexOf(true)}`);
    });

    it('delete reports whether the key existed', async () => {
      await kv.set('k', 'v');
      assert.equal(await kv.delete('k'), true);
      assert.equal(await kv.get('k'), undefined);
      assert.equal(await kv.delete('k'), false);
      assert.equal(await kv.delete('never'), false);
    });

    it('take returns a value once and deletes it', async () => {
      assert.equal(await kv.take('missing'), undefined);
      await kv.set('k', 'v');
      assert.equal(await kv.take('k'), 'v');
      assert.equal(await kv.take('k'), undefined);
      assert.equal(await kv.get('k'), undefined);
      await kv.set('empty', '');
      assert.equal(await kv.take('empty'), '');
    });

    it('take delivers a value to exactly one of 20 concurrent takers', async () => {
      const other = await open();
      for (let round = 0; round < 3; round += 1) {
        await kv.set('ticket', `value-${round}`);
        const taken = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? kv : other).take('ticket')));
        assert.deepEqual(
          taken.filter((value) => value !== undefined),
          [`value-${round}`],
        );
      }
    });

    it('increment counts from 1 and is atomic under concurrency', async () => {
      assert.equal(await kv.increment('n', 60), 1);
      assert.equal(await kv.increment('n', 60), 2);
      const other = await open();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? kv : other).increment('c', 60)));
      assert.deepEqual(
        results.sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.equal(await kv.get('c'), '50');
    });

    it('increment starts a fixed window when the counter is created', async () => {
      assert.equal(await kv.increment('window', 1), 1);
      await sleep(600);
      assert.equal(await kv.increment('window', 1), 2, 'a later increment does not extend the window');
      await sleep(600);
      assert.equal(await kv.get('window'), undefined);
      assert.equal(await kv.increment('window', 1), 1);
    });

    it('increment gives a counter without TTL a window', async () => {
      await kv.set('plain', '41');
      assert.equal(await kv.increment('plain', 1), 42);
      await sleep(1200);
      assert.equal(await kv.get('plain'), undefined);
    });

    it('delivers published messages asynchronously to subscribers of the channel', async () => {
      const received: string[] = [];
      const elsewhere: string[] = [];
      await kv.subscribe('news', (message) => received.push(message));
      await kv.subscribe('other', (message) => elsewhere.push(message));
      const publishing = kv.publish('news', 'hello');
      assert.deepEqual(received, [], 'not delivered synchronously');
      await publishing;
      await kv.publish('news', 'world');
      await waitFor(() => received.length === 2, 'two messages');
      assert.deepEqual(received, ['hello', 'world']);
      assert.deepEqual(elsewhere, []);
    });

    it('delivers messages across clients of the same backend', async () => {
      const publisher = await open();
      const subscriber = await open();
      const received: string[] = [];
      const alsoReceived: string[] = [];
      await subscriber.subscribe('events', (message) => received.push(message));
      await kv.subscribe('events', (message) => alsoReceived.push(message));
      await publisher.publish('events', 'm1');
      await waitFor(() => received.length === 1 && alsoReceived.length === 1, 'delivery to both subscribers');
      assert.deepEqual(received, ['m1']);
      assert.deepEqual(alsoReceived, ['m1']);
    });

    it('publishing without subscribers is fine', async () => {
      await kv.publish('nobody-listens', 'x');
    });

    it('stops delivering after unsubscribe; other subscriptions keep working', async () => {
      const publisher = await open();
      const first: string[] = [];
      const second: string[] = [];
      const gone: string[] = [];
      const marker: string[] = [];
      const unsubscribeFirst = await kv.subscribe('shared', (message) => first.push(message));
      await kv.subscribe('shared', (message) => second.push(message));
      const unsubscribeGone = await kv.subscribe('gone', (message) => gone.push(message));
      await kv.subscribe('marker', (message) => marker.push(message));

      await unsubscribeFirst();
      await unsubscribeFirst(); // idempotent
      await unsubscribeGone();
      await publisher.publish('shared', 's1');
      await publisher.publish('gone', 'g1');
      await publisher.publish('marker', 'done');
      await waitFor(() => second.length === 1 && marker.length === 1, 'delivery on the remaining subscriptions');
      assert.deepEqual(first, []);
      assert.deepEqual(gone, []);

      const resubscribed: string[] = [];
      await kv.subscribe('gone', (message) => resubscribed.push(message));
      await publisher.publish('gone', 'g2');
      await waitFor(() => resubscribed.length === 1, 'delivery after subscribing again');
      assert.deepEqual(gone, []);
    });

    it('delivers to every subscription, even when a handler throws', async () => {
      const received: string[] = [];
      await kv.subscribe('c', () => {
        throw new Error('handler bug');
      });
      await kv.subscribe('c', (message) => received.push(message));
      await kv.publish('c', 'x');
      await waitFor(() => received.length === 1, 'delivery past a throwing handler');
    });

    it('ping resolves while usable; calls fail after close, which is idempotent', async () => {
      await kv.ping();
      const store = await open();
      await store.close();
      await store.close();
      await assert.rejects(store.get('k'), /closed/);
      await assert.rejects(store.ping(), /closed/);
    });
  });
}
