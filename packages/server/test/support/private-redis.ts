import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { freePort } from '@entropic/testkit';
import { waitFor } from './wait-for.ts';

export interface PrivateRedis {
  url: string;
  /** SIGKILL: the server vanishes as in a crash */
  kill(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** A throwaway redis-server on a free loopback port (no persistence). */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const ping = async () => {
    const { createConnection } = await import('node:net');
    return new Promise<boolean | undefined>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
      socket.setTimeout(500, () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.on('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG') ? true : undefined);
      });
      socket.on('error', () => resolve(undefined));
    });
  };
  const instance: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return; // running
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      await waitFor('redis-server to answer PING', ping, 10_000, 50);
    },
    async kill() {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise((r) => current.once('exit', r));
      current.kill('SIGKILL');
      await exited;
    },
    async cleanup() {
      await instance.kill();
    },
  };
  await instance.start();
  return instance;
}
