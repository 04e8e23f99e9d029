import type { Redis } from 'ioredis';

/**
 * Returns a wait that resolves once the client's first connection attempt has settled (ready,
 * refused or timed out, at most `timeoutMs`). Commands issued before that would fail only because
 * the socket is still opening (the offline queue is disabled); afterwards the wait is free, so an
 * outage fails calls immediately.
 */
export function firstConnectionAttempt(client: Redis, timeoutMs: number): () => Promise<void> {
  let settled = client.status === 'ready' || client.status === 'end';
  const attempt = new Promise<void>((resolve) => {
    if (settled) return resolve();
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      for (const event of events) client.off(event, finish);
      resolve();
    };
    const events = ['ready', 'close', 'end'] as const;
    const timer = setTimeout(finish, timeoutMs);
    timer.unref();
    for (const event of events) client.on(event, finish);
  });
  return () => (settled ? Promise.resolve() : attempt);
}
