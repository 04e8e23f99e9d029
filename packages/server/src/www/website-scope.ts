import { appError, isAppError } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { retryAfterOf, toAppError } from '../plugins/errors.ts';
import { html } from './html.ts';
import { renderPage, sendPage } from './layout.ts';
import { loadSession, safeNextPath, saveSession, verifyCsrf } from './session.ts';

const FORM_BODY_LIMIT = 64 * 1024;

/**
 * Makes a Fastify scope a website scope: form bodies, sessions, CSRF checks on every POST,
 * security headers and HTML error pages. Call it first inside an encapsulated plugin that
 * registers /www pages:
 *
 *   app.register(async (www) => { configureWebsiteScope(www); www.get('/www/…', …) });
 */
export function configureWebsiteScope(scope: FastifyInstance): void {
  scope.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => {
      const fields: Record<string, string> = {};
      // the first value of a repeated field wins
      for (const [name, value] of new URLSearchParams(body as string)) if (!(name in fields)) fields[name] = value;
      done(null, fields);
    },
  );
  scope.addHook('onRequest', loadSession);
  scope.addHook('preHandler', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') verifyCsrf(request);
  });
  scope.addHook('onSend', async (request, reply, payload) => {
    await saveSession(request, reply);
    reply.header('cache-control', request.privateRead ? 'private, no-store' : 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    reply.header(
      'content-security-policy',
      "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    return payload;
  });
  scope.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => sendErrorPage(request, reply, error));
}

/** Maps any failure on a website route to an HTML page (or, when sign-in is missing on a GET, a redirect to it). */
export function sendErrorPage(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const mapped = isAppError(error) ? error : toAppError(error);
  if (mapped.status >= 500) request.log.error({ err: error, code: mapped.code }, 'website request failed');
  else request.log.info({ code: mapped.code }, mapped.message);
  if (mapped.code === 'UNAUTHENTICATED' && request.method === 'GET') {
    const next = safeNextPath(request.url);
    return reply.redirect(next ? `/www/login?next=${encodeURIComponent(next)}` : '/www/login', 303);
  }
  const retryAfter = retryAfterOf(mapped);
  if (retryAfter) reply.header('Retry-After', retryAfter);
  const message =
    mapped.status >= 500 && mapped.code === 'INTERNAL' ? 'Something went wrong on our side. Please try again.' : mapped.message;
  const page = renderPage(request, {
    title: titleFor(mapped.status),
    error: message,
    body: html`<p><a href="/www">Back to the start</a></p>`,
  });
  return sendPage(reply, page, mapped.status);
}

function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 429) return 'Slow down';
  if (status === 401 || status === 403) return 'Not allowed';
  if (status >= 500) return 'Something went wrong';
  return 'That did not work';
}

/** A 404 for any /www path without a page. */
export function websiteNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendErrorPage(request, reply, appError('NOT_FOUND', 'There is no page here.'));
}
