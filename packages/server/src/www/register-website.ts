import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { registerCliLoginPages } from './cli-login-pages.ts';
import { registerLoginPages } from './login-pages.ts';
import { registerPasskeyPages, registerWriteApprovalPages } from './passkey-pages.ts';
import { registerSecondFactorSignIn, registerSecurityPages } from './security-pages.ts';
import { createSignInProviders } from './sign-in-providers.ts';
import { registerTokenPages } from './token-pages.ts';
import { configureWebsiteScope, websiteNotFound } from './website-scope.ts';

const JS = 'text/javascript; charset=utf-8';
/** @simplewebauthn/browser's browser bundle (its package exports only the module entry points) */
const require = createRequire(import.meta.url);
const webAuthnBundle = join(dirname(require.resolve('@simplewebauthn/browser')), '../dist/bundle/index.umd.min.js');

/**
 * The website's static files, read once: the one stylesheet, the one small script (progressive
 * enhancement) and, for the pages with a passkey button, the WebAuthn library and our passkey script.
 */
const STATIC_FILES = {
  'style.css': { type: 'text/css; charset=utf-8', bytes: readFileSync(new URL('./style.css', import.meta.url)) },
  'site.js': { type: JS, bytes: readFileSync(new URL('./site.js', import.meta.url)) },
  'passkeys.js': { type: JS, bytes: readFileSync(new URL('./passkeys.js', import.meta.url)) },
  'webauthn.js': { type: JS, bytes: readFileSync(webAuthnBundle) },
} as const;

/**
 * The website under /www: sign-in (password, GitHub, OpenID Connect), sign-up, tokens and the
 * CLI login confirmation. Other /www pages register their own scope with configureWebsiteScope.
 */
export function registerWebsite(app: FastifyInstance): void {
  app.decorateRequest('webSession', undefined);
  const providers = createSignInProviders(app.deps.config);
  // outside the website scope: no session lookup for a static file
  for (const [name, file] of Object.entries(STATIC_FILES)) {
    app.get(`/www/static/${name}`, async (_request, reply) =>
      reply.type(file.type).header('cache-control', 'public, max-age=3600').header('x-content-type-options', 'nosniff').send(file.bytes),
    );
  }
  app.register(
    async (www) => {
      configureWebsiteScope(www);
      www.setNotFoundHandler(websiteNotFound);
      // the registry has catch-all routes of its own; any /www path without a page is ours to answer
      www.get('/*', websiteNotFound);
      registerLoginPages(www, providers);
      registerTokenPages(www);
      registerSecurityPages(www);
      registerSecondFactorSignIn(www);
      registerPasskeyPages(www);
      registerWriteApprovalPages(www);
      registerCliLoginPages(www);
    },
    { prefix: '/www' },
  );
}
