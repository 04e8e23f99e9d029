import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@entropic/types';
import { createRedisKeyValueStore } from '../src/redis-key-value-store.ts';

const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 5000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      assert.fail(`redis-server did not start on port ${port}`);
    }
    await sleep(20);
  }
  return child;
}

async function stopRedis(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

function isUnavailable(error: unknown): boolean {
  return error instanceof AppError && error.code === 'SERVICE_UNAVAILABLE' && error.retryAfterSeconds === 1;
}

async function failsFast(call: () => Promise<unknown>, what: string): Promise<void> {
  const started = performance.now();
  await assert.rejects(call(), isUnavailable, what);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 1000, `${what} took ${Math.round(elapsed)} ms to fail`);
}

/** Bounded polling: retries `attempt` until it succeeds or `timeoutMs` passes. */
async function eventually<T>(attempt: () => Promise<T>, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) assert.fail(`${what} did not recover within ${timeoutMs} ms: ${error}`);
      await sleep(100);
    }
  }
}

describe('Redis key-value store resilience', { skip: hasRedisServer ? false : 'redis-server is not installed' }, () => {
  let child: ChildProcess | undefined;
  after(() => stopRedis(child));

  it('fails fast while Redis is down at startup', async () => {
    const port = await freePort();
    const errors: Error[] = [];
    const store = createRedisKeyValueStore({ url: `redis://127.0.0.1:${port}`, onError: (error) => errors.push(error) });
    try {
      await failsFast(() => store.get('k'), 'get');
      await failsFast(() => store.ping(), 'ping');
      await failsFast(() => store.subscribe('c', () => {}), 'subscribe');
    } finally {
      await store.close();
    }
    assert.equal(errors.length, 1, 'connection errors are reported, rate-limited');
  });

  it('fails fast while Redis is down and recovers by itself when it is back', async () => {
    const port = await freePort();
    child = await startRedis(port);
    const errors: Error[] = [];
    const store = createRedisKeyValueStore({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: 'resilience:',
      onError: (error) => errors.push(error),
    });
    try {
      await store.set('before', '1');
      const received: string[] = [];
      await store.subscribe('events', (message) => received.push(message));

      await stopRedis(child);
      await failsFast(() => store.get('before'), 'get');
      await failsFast(() => store.set('k', 'v'), 'set');
      await failsFast(() => store.increment('n', 60), 'increment');
      await failsFast(() => store.take('k'), 'take');
      await failsFast(() => store.publish('events', 'lost'), 'publish');
      await failsFast(() => store.ping(), 'ping');
      await failsFast(() => store.subscribe('other', () => {}), 'subscribe');
      // a longer outage: reconnect attempts keep failing, calls keep failing fast
      await sleep(1500);
      await failsFast(() => store.get('before'), 'get after 1.5 s down');

      child = await startRedis(port);
      await eventually(() => store.ping(), 'ping');
      await store.set('after', '2');
      assert.equal(await store.get('after'), '2');
      assert.equal(await store.increment('n', 60), 1);
      // the subscription made before the outage is restored by the subscriber connection
      await eventually(async () => {
        await store.publish('events', 'back');
        await sleep(50);
        assert.ok(received.includes('back'));
      }, 'subscription');
      assert.equal(errors.length, 1, 'connection errors of both connections are reported, rate-limited');
    } finally {
      await store.close();
      await stopRedis(child);
    }
  });

  it('times out calls to a Redis that stopped answering, and recovers when it answers again', async () => {
    const port = await freePort();
    child = await startRedis(port);
    const store = createRedisKeyValueStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'frozen:' });
    try {
      await store.set('k', 'v');
      child.kill('SIGSTOP'); // the socket stays open, no reply ever comes
      try {
        await failsFast(() => store.get('k'), 'get on a frozen server');
        await failsFast(() => store.increment('n', 60), 'increment on a frozen server');
      } finally {
        child.kill('SIGCONT');
      }
      assert.equal(await eventually(() => store.get('k'), 'get'), 'v');
    } finally {
      await store.close();
      await stopRedis(child);
    }
  });
});
