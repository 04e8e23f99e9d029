/** Time, as a port: use cases ask `deps.clock.now()`; tests may give a fixed or stepped clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
