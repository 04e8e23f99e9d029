import { after, before } from 'node:test';
import { packLogContract } from '../../blobs/test/pack-log-contract.ts';
import { createDatabasePackLog } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
});
after(() => t.close());

packLogContract(process.env.POSTGRES_URL ? 'database log on PostgreSQL' : 'database log on PGlite', async () => {
  await t.db.deleteFrom('pack_index_log').execute();
  await t.db.updateTable('pack_index_head').set({ seq: 0 }).execute();
  await t.db.deleteFrom('pack_leases').execute();
  return { a: createDatabasePackLog(t.db), b: createDatabasePackLog(t.db), cleanup: async () => {} };
});
