import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { API_SCHEMAS } from '../api-schemas.ts';

/** Where the page that renders the document is served (its assets under `/-/api/static/`). */
const API_PAGE_PREFIX = '/-/api';

const describeOnly = () => () => true;
const serializeAsUsual = () => (data: unknown) => JSON.stringify(data);

/**
 * `GET /-/openapi.json`, the OpenAPI 3.1 document of the registry API built by @fastify/swagger
 * from the route schemas, and `GET /-/api/`, Swagger UI rendering it (its assets come from the
 * package, nothing from a CDN). Call before any route is registered: the schemas of `API_SCHEMAS`
 * are attached as routes are added. They only describe: the route keeps no request validator and
 * serialises as a route without schemas does, so every answer and error code stays the handler's.
 */
export async function registerApiDescription(app: FastifyInstance, version: string): Promise<void> {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const method = methods.includes('GET') ? 'GET' : methods[0];
    const schema = API_SCHEMAS[`${method} ${route.url}`];
    if (!schema || route.schema) return;
    route.schema = schema;
    route.validatorCompiler = describeOnly;
    route.serializerCompiler = serializeAsUsual;
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Entropic registry API',
        version,
        description:
          'A content-addressed package registry. The contract is `../shared/spec/API.md`; error codes are in docs/errors.md; ' +
          'the npm protocol (docs/npm.md) is not described here.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'ent_v1_<uuid> (see /www/tokens)' } } },
    },
    // Only the routes of API_SCHEMAS (they carry tags): not the website, nor the npm protocol's routes.
    hideUntagged: true,
  });
  app.get('/-/openapi.json', async (_request, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()));
  await app.register(fastifySwaggerUi, { routePrefix: API_PAGE_PREFIX, uiConfig: { deepLinking: true }, staticCSP: true });
}
