import type { Server } from 'node:http';

/** How long the process has answered no request: what background work waits for (the in-server job worker). */
export interface RequestActivity {
  /** ms since the last request ended; 0 while one is in flight */
  idleForMs(): number;
}

/**
 * Counts the server's requests in flight (each from its arrival to its response's `close`, which
 * fires when it finished and when the client went away) and when the last one ended.
 */
export function trackRequestActivity(server: Server): RequestActivity {
  let inFlight = 0;
  let lastEnded = performance.now();
  server.on('request', (_request, response) => {
    inFlight += 1;
    response.once('close', () => {
      inFlight -= 1;
      lastEnded = performance.now();
    });
  });
  return {
    idleForMs: () => (inFlight > 0 ? 0 : performance.now() - lastEnded),
  };
}
