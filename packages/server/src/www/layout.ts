import type { FastifyReply, FastifyRequest } from 'fastify';
import { type HtmlValue, html, type SafeHtml } from './html.ts';
import { csrfToken, sessionUser, takeFlash } from './session.ts';
import { csrfInput } from './views/csrf-input.ts';

export interface PageOptions {
  title: string;
  body: HtmlValue;
  /** a message shown above the content (e.g. an error from the form just sent) */
  error?: string;
  notice?: string;
}

/** The hidden CSRF input that every POST form on the website must contain. */
export function csrfField(request: FastifyRequest): SafeHtml {
  return csrfInput(csrfToken(request));
}

/**
 * The one layout: header with the signed-in user and a sign-out button, the page, a footer.
 * Shows (and clears) the session's one-shot flash message.
 */
export function renderPage(request: FastifyRequest, options: PageOptions): SafeHtml {
  const { host } = request.server.deps.config;
  const user = sessionUser(request);
  const flash = takeFlash(request);
  const nav = user
    ? html`<nav>
        <a href="/www/tokens">Tokens</a>
        <span class="muted">${user.name}</span>
        <form method="post" action="/www/logout">${csrfField(request)}<button class="link" type="submit">Sign out</button></form>
      </nav>`
    : html`<nav><a href="/www/login">Sign in</a></nav>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${options.title} · ${host}</title>
<link rel="stylesheet" href="/www/static/style.css">
</head>
<body>
<header class="site"><a class="brand" href="/www">entropic · ${host}</a>${nav}</header>
<main>
<h1>${options.title}</h1>
${flash ? html`<p class="notice" role="status">${flash}</p>` : ''}
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
${options.body}
</main>
<footer>Entropic package registry</footer>
</body>
</html>
`;
}

/** Sends a rendered page (HTML, never cached: pages carry CSRF tokens and sometimes a new token). */
export function sendPage(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page.value);
}
