import { pruneAuditLog } from '@entropic/core';
import type { FastifyInstance } from 'fastify';

const PRUNE_INTERVAL_MS = 6 * 3600 * 1000;

/**
 * AUDIT_RETENTION_DAYS: entries older than that are deleted when the server is ready and every six
 * hours after (several instances may prune at once: a DELETE by age is idempotent). The only
 * way an entry leaves the audit log.
 */
export function registerAuditRetention(app: FastifyInstance): void {
  const days = app.deps.config.security.auditRetentionDays;
  if (days <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  const prune = () =>
    pruneAuditLog(app.deps, { days })
      .then((removed) => {
        if (removed > 0) app.log.info({ removed, days }, 'audit log: pruned old entries');
      })
      .catch((error: unknown) => app.log.warn({ err: error }, 'audit log: pruning failed; will try again'));
  app.addHook('onReady', async () => {
    void prune();
    timer = setInterval(prune, PRUNE_INTERVAL_MS).unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));
}
