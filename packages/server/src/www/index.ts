/**
 * The website's reusable parts, for any page under /www:
 *
 *   app.register(async (www) => {
 *     configureWebsiteScope(www);           // sessions, form bodies, CSRF on POST, HTML errors
 *     www.get('/namespaces/:name', async (request, reply) => {
 *       const user = requireSessionUser(request);  // GET: redirects to /www/login and back
 *       return sendPage(reply, renderPage(request, { title: 'x', body: html`<form method="post">${csrfField(request)}…</form>` }));
 *     });
 *   }, { prefix: '/www' });
 */
export { escapeHtml, type HtmlValue, html, SafeHtml } from './html.ts';
export { csrfField, type PageOptions, renderPage, sendPage } from './layout.ts';
export { registerWebsite } from './register-website.ts';
export {
  ensureSession,
  requireSessionUser,
  type SessionData,
  safeNextPath,
  sessionUser,
  setFlash,
  signIn,
  signOut,
  WebSession,
} from './session.ts';
export { formatTime } from './views/format-time.ts';
export { configureWebsiteScope, sendErrorPage } from './website-scope.ts';
