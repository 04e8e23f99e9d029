import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, createToken, createUser } from '@entropic/core';
import { buildApp } from '@entropic/server/app';
import { loadConfig } from '@entropic/server/config';
import { createDeps, type ServerDeps } from '@entropic/server/deps';
import { createJobWorker } from '@entropic/server/job-handlers';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';

export interface TestUser {
  id: number;
  name: string;
  /** a publish-scoped token */
  token: string;
}

export interface TestApp {
  app: FastifyInstance;
  deps: ServerDeps;
  /** `http://127.0.0.1:<port>` once `listen()` was called */
  url: string;
  host: string;
  dataDir: string;
  backend: 'pglite' | 'postgres';
  listen(): Promise<string>;
  createUser(name: string, options?: { email?: string; passwordHash?: string }): Promise<TestUser>;
  /** Runs every job that is due (README rendering, npm tarballs…) to the end, as the server's worker would; answers how many ran. */
  runJobs(): Promise<number>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** port the app will listen on (EXTERNAL_HOST is derived from it); default: a free port */
  port?: number;
  /** a pino logger the app logs to (a test reads what was logged); default: per LOG_LEVEL / TEST_LOG_LEVEL */
  logger?: Logger;
  /** the use cases' clock (publish times, the release-age quarantine); default: the system clock */
  clock?: Clock;
}

/**
 * A registry on real backends, isolated per test: in-memory PGlite (or, when POSTGRES_URL is
 * set, a fresh schema in that database), a temp blob dir, memory KV (or Redis with a unique
 * key prefix when REDIS_URL is set).
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'entropic-test-'));
  const port = options.port ?? (await freePort());
  const suffix = randomBytes(6).toString('hex');
  const config = loadConfig(
    {
      NODE_ENV: 'testing',
      PORT: String(port),
      EXTERNAL_HOST: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...(process.env.POSTGRES_URL ? { POSTGRES_URL: process.env.POSTGRES_URL } : {}),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      ...options.env,
    },
    { cwd: dataDir },
  );
  const schema = config.postgresUrl ? `test_${suffix}` : undefined;
  const deps = await createDeps(config, {
    memoryDatabase: !config.postgresUrl,
    ...(schema ? { schema } : {}),
    keyPrefix: `entropic-test:${suffix}:`,
  });
  if (options.clock) deps.clock = options.clock;
  const app = await buildApp(deps, options.logger ? { loggerInstance: options.logger } : { logger: config.logLevel !== 'silent' });
  // No worker runs by itself in a test app: a test sees a version before and after its jobs (`runJobs`).
  const worker = createJobWorker(deps, app.npmTarballs, app.log);
  const testApp: TestApp = {
    app,
    deps,
    url: '',
    host: config.host,
    dataDir,
    backend: deps.database.kind,
    async listen() {
      const address = await app.listen({ port, host: '127.0.0.1' });
      testApp.url = address;
      return address;
    },
    async createUser(name, userOptions = {}) {
      const user = await createUser(deps, { name, email: userOptions.email ?? null, passwordHash: userOptions.passwordHash ?? null });
      const { token } = await createToken(deps, { userId: user.id, description: 'test', scope: 'publish' });
      return { id: user.id, name: user.name, token };
    },
    async runJobs() {
      let ran = 0;
      for (let round = 0; round < 1000; round += 1) {
        const n = await worker.runDue();
        if (n === 0) return ran;
        ran += n;
      }
      throw new Error('runJobs: jobs kept coming for 1000 rounds');
    },
    async close() {
      await app.close();
      if (schema) await sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).execute(deps.db);
      await deps.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return testApp;
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
