/**
 * Runs at most `concurrency` tasks at once; the rest wait in order. `urgent` tasks (metadata on
 * the resolution's critical path) go before every waiting ordinary task (file downloads), so a
 * deep graph does not resolve one level per queue of downloads.
 */
export function createLimiter(concurrency: number) {
  let active = 0;
  const urgent: Array<() => void> = [];
  const waiting: Array<() => void> = [];
  // A finished task hands its slot straight to the next waiter: the count never overshoots.
  const release = () => {
    const next = urgent.shift() ?? waiting.shift();
    if (next) next();
    else active--;
  };
  return async function limit<T>(task: () => Promise<T>, options?: { urgent?: boolean }): Promise<T> {
    if (active >= concurrency) await new Promise<void>((resolve) => (options?.urgent ? urgent : waiting).push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
