import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './create-test-app.ts';
import { waitForStart } from './wait-for-start.ts';

export interface RedisServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGKILL (nothing is persisted) and wait for the exit */
  kill(): Promise<void>;
  /** starts it again on the same port (empty: it keeps nothing on disk) */
  restart(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

/**
 * A redis-server of its own on a loopback port, without persistence: for runs that restart or
 * kill Redis (the soak), never the machine's shared one.
 */
export async function startRedisServer(options: { port?: number; dir: string }): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  let output = '';
  const launch = async () => {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', options.dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    await waitForStart({
      what: `redis-server to accept connections on port ${port}`,
      child,
      output: () => output,
      probe: async () => output.includes('Ready to accept connections'),
    });
    return child;
  };
  let child = await launch();
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get child() {
      return child;
    },
    kill,
    async restart() {
      await kill();
      output = '';
      child = await launch();
    },
    stop: kill,
    output: () => output,
  };
}
