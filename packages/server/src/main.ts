// The only file (with admin.ts) that reads process.env: it owns the process.
import { buildApp } from './app.ts';
import { loadConfigOrExit } from './config.ts';
import { createDeps } from './deps.ts';
import { createJobWorker } from './job-handlers.ts';
import { acquireLock } from './lock-file.ts';
import { createAppLogger } from './plugins/access-log.ts';
import { trackRequestActivity } from './request-activity.ts';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const release = config.postgresUrl ? () => {} : acquireLock(config.dataDir);
  const deps = await createDeps(config);
  const log = createAppLogger(config.logLevel);
  const app = await buildApp(deps, { loggerInstance: log.logger });
  // The job queue's worker runs here unless separate `npm run worker` processes do the work
  // (JOBS_IN_SERVER=0); it yields to this process's requests.
  const worker = config.jobs.inServer ? createJobWorker(deps, app.npmTarballs, app.log, trackRequestActivity(app.server)) : undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    // Drain: readiness answers 503 at once; the load balancer's checks see it within the drain
    // period and stop sending new requests; then the listener closes and in-flight requests finish.
    app.draining = true;
    app.log.info({ signal, drainMs: config.shutdownDrainMs }, 'draining: readiness answers 503');
    const timer = setTimeout(() => process.exit(1), config.shutdownDrainMs + config.shutdownTimeoutMs).unref();
    if (config.shutdownDrainMs > 0) await new Promise((done) => setTimeout(done, config.shutdownDrainMs));
    app.log.info('closing the listener; requests in flight finish');
    // app.close() closes the connections idle at that moment; a keep-alive connection whose
    // request is still in flight would otherwise idle on after its answer until its timeout.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100).unref();
    try {
      // Running jobs finish within the grace or go back to the queue; then the database closes.
      await Promise.all([app.close(), worker?.stop(config.jobs.stopGraceSeconds * 1000)]);
      // app.close flushed the download counts; a request that finished during the close counted after it
      await app.downloads?.flush().catch((error: unknown) => app.log.error({ err: error }, 'download counts: last flush failed'));
      await deps.close();
    } finally {
      release();
      log.flush();
      clearInterval(sweep);
      clearTimeout(timer);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const address = await app.listen({ port: config.port, host: config.listenAddress });
  worker?.start();
  app.log.info(
    { url: address, externalUrl: config.externalUrl, database: deps.database.kind, kv: config.redisUrl ? 'redis' : 'memory' },
    'listening',
  );
  // A machine-readable line for scripts and tests that start the registry on PORT=0.
  if (process.env.ENTROPIC_PRINT_ADDRESS === '1') process.stdout.write(`ENTROPIC_LISTENING ${address}\n`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
