export type ErrorListener = (error: Error, details: { suppressed: number }) => void;

/**
 * Forwards errors to `listener` at most once per `intervalMs`; errors in between are counted and
 * the count is passed with the next forwarded one. Without a listener errors are dropped.
 */
export function createRateLimitedReporter(listener: ErrorListener | undefined, intervalMs: number): (error: unknown) => void {
  let lastReportAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (error) => {
    if (listener === undefined) return;
    const now = Date.now();
    if (now - lastReportAt < intervalMs) {
      suppressed += 1;
      return;
    }
    lastReportAt = now;
    const details = { suppressed };
    suppressed = 0;
    try {
      listener(error instanceof Error ? error : new Error(String(error)), details);
    } catch {
      // a failing logger must not break the store
    }
  };
}
