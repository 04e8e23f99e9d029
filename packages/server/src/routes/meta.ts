import { requireSignedIn } from '@entropic/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const VERSION = '0.1.0';

export function registerMetaRoutes(app: FastifyInstance): void {
  const { config } = app.deps;
  const info = Buffer.from(JSON.stringify({ server: 'entropic', version: VERSION, host: config.host }));
  app.get('/ping', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('pong'));
  app.get('/', async (_request, reply) => reply.type('application/json; charset=utf-8').send(info));
  const whoami = async (request: FastifyRequest) => ({ username: requireSignedIn(request.principal).username });
  app.get('/auth/whoami', whoami);
  app.get('/-/whoami', whoami);
}
