import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RegistryProcess, startRegistryProcess } from '@entropic/testkit';
import { lastLine, runAdmin } from './run-admin.ts';

export interface RegistryWithUser {
  /** the process running now (restart replaces it) */
  readonly registry: RegistryProcess;
  token: string;
  dataDir: string;
  port: number;
  /** the environment admin commands need (the registry's own) */
  env: Record<string, string>;
  /** blob store root (CACHE_DIR) */
  blobDir: string;
  embedded: boolean;
  /** starts the registry again on the same data dir, port and schema */
  restart(): Promise<RegistryProcess>;
  /** stops whatever runs and removes the data dir and schema */
  cleanup(): Promise<void>;
}

/**
 * A real registry process with one user. On the embedded database admin commands cannot run
 * beside the server, so the user is created before it starts; on PostgreSQL, after.
 */
export async function startRegistryWithUser(name: string, options: { env?: Record<string, string> } = {}): Promise<RegistryWithUser> {
  const dataDir = await mkdtemp(join(tmpdir(), 'entropic-fault-'));
  const port = await freePort();
  const envOverrides = options.env ?? {};
  const embedded = !(envOverrides.POSTGRES_URL ?? process.env.POSTGRES_URL);
  let token = '';
  if (embedded) {
    const created = await runAdmin(['user', 'create', name], {
      cwd: dataDir,
      env: {
        ...process.env,
        NODE_ENV: 'testing',
        PORT: String(port),
        EXTERNAL_HOST: `http://127.0.0.1:${port}`,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...envOverrides,
      },
      // starting tsx and migrating a fresh embedded database took over 60 s at load 30
      timeoutMs: 240_000,
    });
    if (created.code !== 0) throw new Error(`admin user create failed (exit ${created.code}): ${created.stderr}${created.stdout}`);
    token = lastLine(created.stdout);
  }
  let registry = await startRegistryProcess({ dataDir, port, env: envOverrides });
  if (!embedded) token = (await registry.createUser(name)).token;
  const env = registry.env;
  return {
    get registry() {
      return registry;
    },
    token,
    dataDir,
    port,
    env,
    blobDir: join(dataDir, 'blobs'),
    embedded,
    async restart() {
      registry = await startRegistryProcess({ dataDir, port, env });
      return registry;
    },
    async cleanup() {
      if (registry.child.exitCode === null && registry.child.signalCode === null) await registry.stop({ keepData: true });
      await registry.stop(); // drops the PostgreSQL schema, if any
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
