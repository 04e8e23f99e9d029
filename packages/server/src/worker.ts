// `npm run worker`: a job queue worker without the HTTP server (reads process.env like main.ts).
// Several may run beside the registry processes on one PostgreSQL; on the embedded database the
// worker runs inside `npm start` instead (PGlite belongs to one process).
import { NpmTarballBuilder } from '@entropic/npm';
import { loadConfigOrExit } from './config.ts';
import { createDeps } from './deps.ts';
import { createJobWorker } from './job-handlers.ts';
import { acquireLock } from './lock-file.ts';
import { createAppLogger } from './plugins/access-log.ts';
import { ResponseCache } from './response-cache.ts';
import { packageGroup } from './routes/refs.ts';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const release = config.postgresUrl ? () => {} : acquireLock(config.dataDir);
  const deps = await createDeps(config);
  const log = createAppLogger(config.logLevel);
  const { logger } = log;
  const tarballs = new NpmTarballBuilder(deps, (error, what) => logger.error({ err: error }, `npm tarball of ${what} not built`));
  const worker = createJobWorker(deps, tarballs, logger);
  // What a job announces (a rendered README: package-changed) reaches the registry processes'
  // caches through the key-value store's broadcast (search follows through its own jobs).
  const broadcast = new ResponseCache(deps.kv, { ttlSeconds: config.cacheTtlSeconds });
  const unsubscribe = deps.events.subscribe(async (event) => {
    if (event.type === 'package-changed' || event.type === 'version-published') await broadcast.invalidate(packageGroup(event.ref));
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, worker: worker.workerId }, 'job worker stopping');
    const timer = setTimeout(() => process.exit(1), config.jobs.stopGraceSeconds * 1000 + 10_000).unref();
    try {
      await worker.stop(config.jobs.stopGraceSeconds * 1000);
      unsubscribe();
      await deps.close();
    } finally {
      release();
      log.flush();
      clearTimeout(timer);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  worker.start();
  logger.info({ worker: worker.workerId, database: deps.database.kind, concurrency: config.jobs.concurrency }, 'job worker started');
  // A machine-readable line for scripts and tests that start workers.
  if (process.env.ENTROPIC_PRINT_ADDRESS === '1') process.stdout.write(`ENTROPIC_WORKER_STARTED ${worker.workerId}\n`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
