import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { registerCliLoginPages } from './cli-login-pages.ts';
import { registerLoginPages } from './login-pages.ts';
import { createSignInProviders } from './sign-in-providers.ts';
import { registerTokenPages } from './token-pages.ts';
import { configureWebsiteScope, websiteNotFound } from './website-scope.ts';

const STYLESHEET = readFileSync(new URL('./style.css', import.meta.url));

/**
 * The website under /www: sign-in (password, GitHub, OpenID Connect), sign-up, tokens and the
 * CLI login confirmation. Other /www pages register their own scope with configureWebsiteScope.
 */
export function registerWebsite(app: FastifyInstance): void {
  app.decorateRequest('webSession', undefined);
  const providers = createSignInProviders(app.deps.config);
  // outside the website scope: no session lookup for a static file
  app.get('/www/static/style.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );
  app.register(
    async (www) => {
      configureWebsiteScope(www);
      www.setNotFoundHandler(websiteNotFound);
      // the registry has catch-all routes of its own; any /www path without a page is ours to answer
      www.get('/*', websiteNotFound);
      registerLoginPages(www, providers);
      registerTokenPages(www);
      registerCliLoginPages(www);
    },
    { prefix: '/www' },
  );
}
