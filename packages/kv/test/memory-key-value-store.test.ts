import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryKeyValueBackend } from '../src/memory-key-value-backend.ts';
import { createMemoryKeyValueStore } from '../src/memory-key-value-store.ts';

describe('createMemoryKeyValueStore', () => {
  it('keeps stores with separate backends apart', async () => {
    const a = createMemoryKeyValueStore();
    const b = createMemoryKeyValueStore();
    await a.set('k', 'a');
    assert.equal(await b.get('k'), undefined);
    await Promise.all([a.close(), b.close()]);
  });

  it('sweeps expired entries without them being read', async () => {
    const backend = createMemoryKeyValueBackend({ sweepIntervalMs: 20 });
    const store = createMemoryKeyValueStore({ backend });
    await store.set('short', 'x', { ttlSeconds: 0.05 });
    await store.set('long', 'y', { ttlSeconds: 60 });
    assert.equal(backend.sweep(), 0);
    await sleep(150);
    assert.equal(backend.sweep(), 0, 'the periodic sweep already dropped it');
    assert.equal(await store.get('long'), 'y');
    await store.close();
  });

  it('drops the subscriptions of a closed store only', async () => {
    const backend = createMemoryKeyValueBackend();
    const closing = createMemoryKeyValueStore({ backend });
    const staying = createMemoryKeyValueStore({ backend });
    const received: string[] = [];
    await closing.subscribe('c', () => assert.fail('delivered to a closed store'));
    await staying.subscribe('c', (message) => received.push(message));
    await closing.close();
    await staying.publish('c', 'm');
    await sleep(10);
    assert.deepEqual(received, ['m']);
    await staying.close();
  });

  it('reports handler errors through onError', async () => {
    const errors: Error[] = [];
    const store = createMemoryKeyValueStore({ onError: (error) => errors.push(error) });
    await store.subscribe('c', () => {
      throw new Error('handler bug');
    });
    await store.publish('c', 'm');
    await sleep(10);
    assert.deepEqual(
      errors.map((error) => error.message),
      ['handler bug'],
    );
    await store.close();
  });
});
