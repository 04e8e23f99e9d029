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
  app.register(
    async (www) => {
      www.get('/static/style.css', async (_request, reply) =>
        reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
      );
    },
    { prefix: '/www' },
  );
  app.register(
    async (www) => {
      configureWebsiteScope(www);
      www.setNotFoundHandler(websiteNotFound);
      registerLoginPages(www, providers);
      registerTokenPages(www);
      registerCliLoginPages(www);
    },
    { prefix: '/www' },
  );
}
