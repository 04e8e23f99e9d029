import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobStore } from '@entropic/blobs';
import { createRepositories, createUnitOfWork, type Database } from '@entropic/db';
import { createMemoryKeyValueStore } from '@entropic/kv';
import { hostFromUrl } from '@entropic/types';
import type { Kysely } from 'kysely';
import { createTestDatabase } from '../../../db/test/support/test-database.ts';
import { type CoreDeps, createEventBus, type DomainEvent, systemClock } from '../../src/index.ts';

export interface TestCoreDeps extends CoreDeps {
  /** the database under the repositories, for fixtures and assertions (use cases never see it) */
  db: Kysely<Database>;
  /** every event the use cases emitted, in order */
  emitted: DomainEvent[];
  close(): Promise<void>;
}

/** Use cases on real repositories (PGlite, or PostgreSQL with POSTGRES_URL) without HTTP. */
export async function createTestCoreDeps(): Promise<TestCoreDeps> {
  const database = await createTestDatabase();
  const dir = await mkdtemp(join(tmpdir(), 'entropic-core-'));
  const blobs = createFsBlobStore({ dir });
  const kv = createMemoryKeyValueStore();
  const events = createEventBus();
  const emitted: DomainEvent[] = [];
  events.subscribe((event) => {
    emitted.push(event);
  });
  return {
    db: database.db,
    repos: createRepositories(database.db),
    uow: createUnitOfWork(database.db),
    blobs,
    kv,
    clock: systemClock,
    events,
    host: hostFromUrl('http://registry.test'),
    limits: { maxDependencies: 1000, maxFiles: 10_000, maxFileBytes: 64 * 1024 * 1024, maxVersionBytes: 256 * 1024 * 1024 },
    sealPassword: 'core test seal password',
    emitted,
    async close() {
      await Promise.allSettled([kv.close(), blobs.close()]);
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
