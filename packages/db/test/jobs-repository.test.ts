import { after, before } from 'node:test';
import { createRepositories, createUnitOfWork } from '../src/index.ts';
import { type JobQueueUnderTest, jobQueueContract, SteppedClock } from './job-queue-contract.ts';
import { createTestDatabase, type TestDatabase } from './support/test-database.ts';

let t: TestDatabase;
let queue: JobQueueUnderTest;
before(async () => {
  t = await createTestDatabase();
  const clock = new SteppedClock();
  let signals = 0;
  const options = { clock, onJobsEnqueued: () => (signals += 1) };
  queue = {
    repos: createRepositories(t.db, options),
    uow: createUnitOfWork(t.db, options),
    clock,
    enqueuedSignals: () => signals,
    clear: async () => void (await t.db.deleteFrom('jobs').execute()),
  };
});
after(() => t.close());

jobQueueContract(process.env.POSTGRES_URL ? 'jobs table on PostgreSQL' : 'jobs table on PGlite', () => queue);
