import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@entropic/testkit';

export interface PrivatePostgres {
  url: string;
  port: number;
  readonly running: boolean;
  /** `pg_ctl stop -m immediate`: the server vanishes as in a crash */
  crash(): void;
  start(): void;
  /** stops it (if running) and removes its files */
  cleanup(): void;
}

/** The directory of initdb/pg_ctl, or undefined when PostgreSQL is not installed. */
export function findPostgresBin(): string | undefined {
  const candidates = ['/usr/local/bin'];
  try {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {}
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

/**
 * A throwaway PostgreSQL cluster on a free loopback port (trust auth, no fsync), so a test can
 * stop and start it without touching the machine's own server. As root, runs as `postgres`.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found');
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), 'entropic-pg-'));
  const dataDir = join(root, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(root, uid, gid);
    chmodSync(root, 0o700);
  }
  const run = (tool: string, args: string[]) => {
    const command = asRoot ? 'runuser' : join(bin, tool);
    const fullArgs = asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args;
    execFileSync(command, fullArgs, { stdio: 'pipe', timeout: 60_000, cwd: root });
  };
  run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions']);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  let running = false;
  const pgCtl = (...args: string[]) => run('pg_ctl', ['-D', dataDir, ...args]);
  const instance: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    get running() {
      return running;
    },
    start() {
      pgCtl('-o', options, '-l', join(root, 'log'), '-w', '-t', '30', 'start');
      running = true;
    },
    crash() {
      pgCtl('-m', 'immediate', '-w', 'stop');
      running = false;
    },
    cleanup() {
      try {
        if (running) pgCtl('-m', 'immediate', '-w', 'stop');
      } catch {}
      running = false;
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    instance.start();
  } catch (error) {
    instance.cleanup();
    throw error;
  }
  return instance;
}
