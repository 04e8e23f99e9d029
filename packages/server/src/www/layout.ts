import type { FastifyReply, FastifyRequest } from 'fastify';
import { type HtmlValue, html, type SafeHtml } from './html.ts';
import { csrfToken, sessionUser, takeFlash } from './session.ts';
import { csrfInput } from './views/csrf-input.ts';

export interface PageOptions {
  /** the document title (and the h1, unless `heading` replaces it) */
  title: string;
  /** the h1's content when it is more than the title (a package name with its version, say) */
  heading?: HtmlValue;
  body: HtmlValue;
  /** a wide page (package pages, the file browser, diffs); forms and lists stay narrow */
  wide?: boolean;
  /** the search box's text (the search page passes its query) */
  query?: string;
  /** a message shown above the content (e.g. an error from the form just sent) */
  error?: string;
  notice?: string;
}

/** The hidden CSRF input that every POST form on the website must contain. */
export function csrfField(request: FastifyRequest): SafeHtml {
  return csrfInput(csrfToken(request));
}

/**
 * The one layout of every /www page: a skip link, the header (home link, the search box, the
 * navigation with the signed-in user and a sign-out button), the page, a footer. Shows (and
 * clears) the session's one-shot flash message. docs/website.md says how a page uses it.
 */
export function renderPage(request: FastifyRequest, options: PageOptions): SafeHtml {
  const { host } = request.server.deps.config;
  const user = sessionUser(request);
  const flash = takeFlash(request);
  const nav = user
    ? html`<nav aria-label="Account">
        <a href="/www/tokens">Tokens</a>
        <a href="/www/account/security">Security</a>
        <a href="/www/namespaces/${encodeURIComponent(user.name)}">${user.name}</a>
        <form method="post" action="/www/logout">${csrfField(request)}<button class="link" type="submit">Sign out</button></form>
      </nav>`
    : html`<nav aria-label="Account"><a href="/www/login">Sign in</a></nav>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="color-scheme" content="light dark">
<title>${options.title} · ${host}</title>
<link rel="stylesheet" href="/www/static/style.css">
<script src="/www/static/site.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<a class="brand" href="/www">entropic · ${host}</a>
<form class="site-search" role="search" method="get" action="/www/search">
<label for="site-search-q" class="visually-hidden">Search packages</label>
<input id="site-search-q" type="search" name="q" maxlength="200" placeholder="Search packages" value="${options.query ?? ''}">
<button type="submit">Search</button>
</form>
${nav}
</header>
<main id="main"${options.wide ? html` class="wide"` : ''}>
<h1>${options.heading ?? options.title}</h1>
${flash ? html`<p class="notice" role="status">${flash}</p>` : ''}
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
${options.body}
</main>
<footer><a href="/www">Home</a> · <a href="/www/search">Search</a> · Entropic package registry</footer>
</body>
</html>
`;
}

/** Sends a rendered page (HTML, never cached: pages carry CSRF tokens and sometimes a new token). */
export function sendPage(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page.value);
}
