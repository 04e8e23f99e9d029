import { randomUUID } from 'node:crypto';
import type { Federation } from '@entropic/core';
import { NpmTarballBuilder } from '@entropic/npm';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAuditRetention } from './audit-retention.ts';
import { subscribeCaches } from './cache-subscriptions.ts';
import type { ServerDeps } from './deps.ts';
import { registerDownloadCounting } from './download-counting.ts';
import { enqueueSearchBackfill, enqueueTarballBackfill, scheduleFederationRefresh, scheduleRepack } from './job-handlers.ts';
import { PackageNameIndex } from './package-name-index.ts';
import { registerPackageReadAccess } from './package-read-access.ts';
import { registerFederation } from './peer-client.ts';
import { AccessLogController, createAppLogger } from './plugins/access-log.ts';
import { registerApiDescription } from './plugins/api-description.ts';
import { registerAuthentication } from './plugins/authentication.ts';
import { registerErrorHandling, sendClientError, sendFrameworkError, useNpmErrorShape } from './plugins/errors.ts';
import { registerMetrics } from './plugins/metrics.ts';
import { PublicObjectCache } from './public-object-cache.ts';
import { ResponseCache } from './response-cache.ts';
import { registerAuthRoutes } from './routes/auth.ts';
import { registerHostRoutes } from './routes/host.ts';
import { registerMaintainerRoutes } from './routes/maintainers.ts';
import { registerMetaRoutes, SERVER_VERSION } from './routes/meta.ts';
import { registerNamespaceRoutes } from './routes/namespaces.ts';
import { registerNpmRoutes } from './routes/npm.ts';
import { registerObjectRoutes } from './routes/objects.ts';
import { registerPackageRoutes } from './routes/packages.ts';
import { registerPublishRoute } from './routes/publish.ts';
import { registerSecurityRoutes } from './routes/security.ts';
import { registerTeamRoutes } from './routes/teams.ts';
import { registerTrustedPublisherRoutes } from './routes/trusted-publisher-routes.ts';
import { registerUserRoutes } from './routes/users.ts';
import { TokenCache } from './token-cache.ts';
import { registerAccessPages } from './www/access-pages.ts';
import { registerFilePages } from './www/file-pages.ts';
import { registerListingPages } from './www/listing-pages.ts';
import { registerNamespacePages } from './www/namespace-pages.ts';
import { registerPackagePages } from './www/package-pages.ts';
import { registerWebsite } from './www/register-website.ts';
import { registerSearchPages } from './www/search-pages.ts';
import { registerTrustedPublisherPages } from './www/trusted-publisher-pages.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** milliseconds this request waited for the legacy mirror's upstream */
    upstreamMs: number;
  }
  interface FastifyInstance {
    deps: ServerDeps;
    responseCache: ResponseCache;
    tokenCache: TokenCache;
    /** object read verdicts: "a public package references it" remembered until a visibility change */
    publicObjects: PublicObjectCache;
    packageNames: PackageNameIndex;
    /** set by main.ts on SIGTERM: readiness answers 503 and every response closes its connection */
    draining: boolean;
    npmTarballs: NpmTarballBuilder;
    /** remote packages (`ns@otherhost/name`) served from a verified local copy (issue 15.3) */
    federation: Federation;
  }
}

export interface BuildAppOptions {
  logger?: boolean;
  /** main.ts passes its logger so it can flush it at exit */
  loggerInstance?: Logger;
}

/** Builds the HTTP application from ready dependencies; main.ts owns the process. */
export async function buildApp(deps: ServerDeps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger === false
      ? { logger: false }
      : { loggerInstance: (options.loggerInstance ?? createAppLogger(deps.config.logLevel).logger) as FastifyBaseLogger }),
    logController: new AccessLogController(),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    routerOptions: { maxParamLength: 1024, ignoreTrailingSlash: false },
    frameworkErrors: sendFrameworkError,
    clientErrorHandler: sendClientError,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ...(deps.config.trustProxy.length > 0 ? { trustProxy: deps.config.trustProxy } : {}),
  });
  const { metrics } = deps;
  const responseCache = new ResponseCache(deps.kv, { ttlSeconds: deps.config.cacheTtlSeconds, stats: metrics?.cacheStats('response') });
  const tokenCache = new TokenCache(deps, metrics?.cacheStats('token'), deps.grants);
  const publicObjects = new PublicObjectCache(deps, metrics?.cacheStats('public-object'), metrics?.cacheStats('private-object'));
  const packageNames = new PackageNameIndex(
    deps.repos,
    deps.kv,
    deps.host,
    (error) => app.log.warn({ err: error }, 'package name index: sync failed'),
    metrics?.nameLookup(),
  );
  await Promise.all([responseCache.start(), tokenCache.start(), packageNames.start(), publicObjects.start()]);
  // Built by the npm-tarball job, or by a read that finds it not built yet (single-flight per version).
  const npmTarballs = new NpmTarballBuilder(deps, (error, what) => app.log.error({ err: error }, `npm tarball of ${what} not built`));
  const unsubscribe = subscribeCaches(deps.events, {
    responseCache,
    tokenCache,
    packageNames,
    publicObjects,
  });
  registerFederation(app, deps);
  app.decorate('deps', deps);
  app.decorate('responseCache', responseCache);
  app.decorate('tokenCache', tokenCache);
  app.decorate('publicObjects', publicObjects);
  app.decorate('packageNames', packageNames);
  app.decorate('draining', false);
  app.decorate('npmTarballs', npmTarballs);
  // Versions without an npm tarball (published before the queue, or whose job died) are built by a
  // backfill job; the first request does not wait for it (a read builds what it needs).
  app.addHook('onReady', async () => {
    if (await enqueueTarballBackfill(deps)) app.log.info('npm tarball backfill enqueued: some versions have none');
    if (await enqueueSearchBackfill(deps)) app.log.info('search backfill enqueued: some packages have no or an older search document');
    // the first run one interval after start (a new store has nothing old enough to pack; `admin repack` packs now)
    if (await scheduleRepack(deps, true)) app.log.info('blob packing: repack job enqueued');
    if (await scheduleFederationRefresh(deps, true)) app.log.info('federation: refresh job scheduled');
  });
  app.addHook('onClose', async () => {
    unsubscribe();
    await Promise.allSettled([responseCache.stop(), tokenCache.stop(), packageNames.stop(), publicObjects.stop()]);
  });
  // Callback-style hooks where no await is needed: an async hook costs a promise and a microtask per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // a keep-alive connection ends after this answer, so a load balancer's next request goes to
    // an instance that is not draining
    if (app.draining) reply.header('connection', 'close');
    done();
  });
  // Time a request spent waiting for the legacy mirror's upstream (the mirror adds to it).
  app.decorateRequest('upstreamMs', 0);
  if (deps.config.nodeEnv !== 'production' && deps.config.devLatencyErrorMs > 0) {
    app.addHook('onResponse', async (request, reply) => {
      if (reply.elapsedTime <= deps.config.devLatencyErrorMs) return;
      // Mostly the upstream's time: the mirror already warned once per slow fetch (`upstream fetch slow`).
      if (request.upstreamMs * 2 >= reply.elapsedTime) {
        request.log.debug({ elapsedMs: reply.elapsedTime, upstreamMs: request.upstreamMs }, 'slow response, mostly upstream time');
        return;
      }
      request.log.error({ elapsedMs: reply.elapsedTime, upstreamMs: request.upstreamMs }, 'STALL: slow response');
    });
  }
  // JSON bodies are small; an empty body on a JSON route is `{}`.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      const error = new SyntaxError('invalid JSON') as SyntaxError & { statusCode: number };
      error.statusCode = 400;
      done(error, undefined);
    }
  });
  // Multipart bodies are streamed by the publish route itself (never buffered here).
  app.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null));
  registerErrorHandling(app);
  await registerApiDescription(app, SERVER_VERSION);
  if (metrics) registerMetrics(app, metrics, deps.config.metrics.token);
  registerDownloadCounting(app);
  registerAuditRetention(app);
  registerAuthentication(app, tokenCache);
  registerPackageReadAccess(app);
  registerMetaRoutes(app);
  registerHostRoutes(app);
  registerAuthRoutes(app);
  registerPackageRoutes(app);
  registerPublishRoute(app);
  registerObjectRoutes(app);
  // The npm protocol's routes, in their own scope: their error bodies are shaped for the npm CLI.
  app.register(async (npm) => {
    useNpmErrorShape(npm);
    registerNpmRoutes(npm);
  });
  registerWebsite(app);
  registerNamespacePages(app);
  registerPackagePages(app);
  registerAccessPages(app);
  registerTrustedPublisherPages(app);
  registerSearchPages(app);
  registerFilePages(app);
  registerListingPages(app);
  registerNamespaceRoutes(app);
  registerTeamRoutes(app);
  registerUserRoutes(app);
  registerSecurityRoutes(app);
  registerMaintainerRoutes(app);
  registerTrustedPublisherRoutes(app);
  return app;
}
