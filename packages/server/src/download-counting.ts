import { DownloadCounter } from '@entropic/core';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** counts downloads in memory; undefined when DOWNLOAD_COUNTS is off */
    downloads: DownloadCounter | undefined;
  }
}

/**
 * Download counts (docs/downloads.md): routes count in memory; this flushes every
 * DOWNLOAD_FLUSH_SECONDS and once more when the app closes (main.ts's SIGTERM/SIGINT shutdown
 * closes the app before the database), so a clean shutdown loses nothing and a crash loses at
 * most one interval of this process's counts. Flushed from the server on a timer rather than
 * through the job queue: a flush is one UPSERT that sums, safe to run in every process at once,
 * and a job would need a durable write per batch to hand over what the UPSERT writes anyway.
 */
export function registerDownloadCounting(app: FastifyInstance): void {
  const { config } = app.deps;
  const counter = config.downloadCounts ? new DownloadCounter(app.deps) : undefined;
  app.decorate('downloads', counter);
  if (!counter) return;
  const flush = () =>
    counter
      .flush()
      .catch((error: unknown) =>
        app.log.warn({ err: error, pending: counter.pending }, 'download counts: flush failed, kept for the next'),
      );
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(flush, config.downloadFlushSeconds * 1000).unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await counter.flush();
  });
}
