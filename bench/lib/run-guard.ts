/**
 * Keeps a benchmark run bounded and tidy: everything started is tracked and stopped at the end,
 * on Ctrl-C, or when the run exceeds its hard limit (then the process exits non-zero).
 */
export interface RunGuard {
  /** registers something to undo at the end (a temp dir, a database) */
  cleanups: Set<() => Promise<void>>;
  /** wraps `stop` so it runs once, and registers it */
  track<T extends { stop(): Promise<void> }>(thing: T): T;
  /** runs every registered cleanup, bounded to 20 s */
  runCleanups(): Promise<void>;
  /** stops the hard-limit watchdog (the run finished) */
  disarm(): void;
}

export function createRunGuard(hardLimitMs: number, log: (message: string) => void): RunGuard {
  const cleanups = new Set<() => Promise<void>>();
  const runCleanups = async (): Promise<void> => {
    const pending = [...cleanups];
    cleanups.clear();
    await Promise.race([Promise.allSettled(pending.map((f) => f())), new Promise((r) => setTimeout(r, 20_000))]);
  };
  const watchdog = setTimeout(() => {
    log(`the run exceeded ${hardLimitMs / 60_000} minutes; stopping`);
    void runCleanups().finally(() => process.exit(1));
  }, hardLimitMs);
  watchdog.unref();
  process.on('SIGINT', () => {
    log('interrupted; stopping children');
    void runCleanups().finally(() => process.exit(130));
  });
  const track = <T extends { stop(): Promise<void> }>(thing: T): T => {
    const stop = thing.stop.bind(thing);
    const once = async () => {
      cleanups.delete(once);
      await stop();
    };
    thing.stop = once;
    cleanups.add(once);
    return thing;
  };
  return { cleanups, track, runCleanups, disarm: () => clearTimeout(watchdog) };
}
