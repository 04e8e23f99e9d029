import { requireSignedIn } from '@entropic/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const SERVER_VERSION = '0.1.0';

export function registerMetaRoutes(app: FastifyInstance): void {
  const { config } = app.deps;
  const info = Buffer.from(JSON.stringify({ server: 'entropic', version: SERVER_VERSION, host: config.host }));
  app.get('/ping', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('pong'));
  // A browser opening the registry's root gets the website; programs (npm, ds, curl) get the JSON.
  app.get('/', async (request, reply) => {
    reply.header('vary', 'Accept');
    if (wantsHtml(request.headers.accept)) return reply.redirect('/www/', 302);
    return reply.type('application/json; charset=utf-8').send(info);
  });
  const whoami = async (request: FastifyRequest) => ({ username: requireSignedIn(request.principal).username });
  app.get('/auth/whoami', whoami);
  app.get('/-/whoami', whoami);

  // Readiness for load balancers and orchestrators: every backing service answers, each within a
  // bound, or 503 naming what is down (never hangs on a service that does not answer). A draining
  // process (SIGTERM received) answers 503 at once, so the balancer stops sending it new requests.
  app.get('/-/ready', async (_request, reply) => {
    if (app.draining) {
      reply.code(503).header('retry-after', '2');
      return { ready: false, draining: true };
    }
    const { pingDatabase, kv, blobs } = app.deps;
    const checks = await Promise.all([
      probe('database', pingDatabase),
      probe('keyValueStore', () => kv.ping()),
      probe('blobStore', () => blobs.check()),
    ]);
    const services = Object.fromEntries(checks);
    const ready = checks.every(([, state]) => state === 'up');
    if (!ready) reply.code(503).header('retry-after', '2');
    return { ready, services };
  });
}

// A browser navigation asks for text/html; programs (curl, fetch, npm) send any-type or JSON only.
export function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept);
}

const PROBE_TIMEOUT_MS = 2000;

async function probe(name: string, check: () => Promise<unknown>): Promise<[string, 'up' | 'down']> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return [name, 'up'];
  } catch {
    return [name, 'down'];
  } finally {
    clearTimeout(timer);
  }
}
