import { createHash, timingSafeEqual } from 'node:crypto';
import { appError } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../metrics.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the route checks its own bearer token (not an API token): authentication leaves the header alone */
    ownBearerToken?: boolean;
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Times every request by route pattern, method and status class, and serves `GET /metrics`
 * (Prometheus text format) for this process. With `METRICS_TOKEN` set a scrape must send
 * `Authorization: Bearer <token>`: missing → 401 UNAUTHENTICATED, wrong → 401 INVALID_TOKEN.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  // Callback style: no promise per request. A request no route matched has no routeOptions.url.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime);
    done();
  });
  const expected = token === undefined ? undefined : digest(token);
  app.get('/metrics', { config: { ownBearerToken: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    if (expected) {
      const header = request.headers.authorization;
      if (header === undefined) throw appError('UNAUTHENTICATED', 'The metrics need the bearer token set in METRICS_TOKEN.');
      const match = /^Bearer +(\S+) *$/i.exec(header);
      // Compared as digests: equal lengths, constant time.
      if (!match || !timingSafeEqual(digest(match[1] as string), expected)) {
        throw appError('INVALID_TOKEN', 'That is not the metrics token (METRICS_TOKEN).');
      }
    }
    const { contentType, body } = await metrics.exposition();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}
