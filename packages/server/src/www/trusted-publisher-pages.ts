import {
  addTrustedPublisher,
  type CoreDeps,
  listTrustedPublishers,
  type PackageRef,
  removeTrustedPublisher,
  requireWebsiteSession,
} from '@entropic/core';
import { formatPackageName, isAppError } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerDeps } from '../deps.ts';
import { type PackageParams, parsePackageRef } from '../routes/refs.ts';
import { html } from './html.ts';
import { renderPage, sendPage } from './layout.ts';
import { withPackageNotFoundPage } from './package-pages.ts';
import { csrfToken, setFlash } from './session.ts';
import { packagePath } from './views/package-links.ts';
import { displayName } from './views/package-page.ts';
import { configureWebsiteScope } from './website-scope.ts';

/** `name=value` lines → claims (blank lines skipped); a line without `=` is kept as a claim named by it, which the use case refuses. */
function parseClaimLines(text: string): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) claims[trimmed.slice(0, 64)] = '';
    else claims[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return claims;
}

/**
 * /www/packages/:namespace/:name/trusted-publishers — a package's trusted publishers (issue 10.2,
 * docs/security.md): its maintainers list, add and remove the CI identities allowed to publish it.
 * The forms call the API's use cases, so the same authorization applies (a maintainer, a fresh
 * second factor where one is required).
 */
export function registerTrustedPublisherPages(app: FastifyInstance): void {
  app.register(
    async (www) => {
      configureWebsiteScope(www);
      const deps: ServerDeps = www.deps;
      const core: CoreDeps = deps;
      const path = '/packages/:namespace/:name/trusted-publishers';
      const issuers = deps.config.security.trustedPublishingIssuers;

      const render = async (request: FastifyRequest, reply: FastifyReply, ref: PackageRef, error?: string, status = 200) => {
        requireWebsiteSession(request.principal);
        const name = formatPackageName(ref);
        const publishers = await withPackageNotFoundPage(ref, deps.host, async () => {
          await www.packageReads.assert(request, ref);
          return listTrustedPublishers(core, { principal: request.principal, ref });
        });
        const base = `${packagePath(name)}/trusted-publishers`;
        const list =
          publishers.length === 0
            ? html`<p data-testid="no-publishers">No trusted publishers: only maintainers' tokens publish this package.</p>`
            : html`<ul data-testid="publishers">${publishers.map(
                (p) => html`<li><code class="anywhere">${p.issuer}</code>
                  ${Object.entries(p.claims).map(([claim, value]) => html` <code class="anywhere">${claim}=${value}</code>`)}
                  <span class="muted">added by ${p.createdBy}</span>
                  <form method="post" action="${base}/${p.id}/remove" class="inline">
                    <input type="hidden" name="_csrf" value="${csrfToken(request)}">
                    <button type="submit" class="danger">Remove</button>
                  </form></li>`,
              )}</ul>`;
        return sendPage(
          reply,
          renderPage(request, {
            title: `Trusted publishers of ${displayName(name)}`,
            ...(error ? { error } : {}),
            body: html`<p class="breadcrumbs"><a href="${packagePath(name)}">${displayName(name)}</a> · trusted publishers</p>
              <p>CI workflows named here publish without a stored token: npm 11.5+ exchanges the CI's OpenID
                Connect id token for a short-lived token that publishes only this package.</p>
              ${list}
              <h2>Add a trusted publisher</h2>
              <form method="post" action="${base}">
                <input type="hidden" name="_csrf" value="${csrfToken(request)}">
                <label for="issuer">Issuer</label>
                <select id="issuer" name="issuer">${issuers.map((issuer) => html`<option value="${issuer}">${issuer}</option>`)}</select>
                <label for="claims">Claims the id token must carry, one <code>name=value</code> a line</label>
                <textarea id="claims" name="claims" rows="3" placeholder="repository=owner/repo&#10;workflow_ref=owner/repo/.github/workflows/release.yml@refs/heads/main"></textarea>
                <button type="submit">Add</button>
              </form>`,
          }),
          status,
        );
      };

      /** A refusal re-renders the page with its reason; a package someone may not read is not found. */
      const act = async (request: FastifyRequest, reply: FastifyReply, ref: PackageRef, work: () => Promise<string>) => {
        try {
          requireWebsiteSession(request.principal);
          await www.packageReads.assert(request, ref);
          setFlash(request, await work());
          return reply.redirect(`${packagePath(formatPackageName(ref))}/trusted-publishers`, 303);
        } catch (error) {
          if (!isAppError(error) || error.status >= 500 || error.code === 'PACKAGE_NOT_FOUND' || error.code === 'UNAUTHENTICATED')
            throw error;
          return render(request, reply, ref, error.message, error.status);
        }
      };

      www.get<{ Params: PackageParams }>(path, (request, reply) => render(request, reply, parsePackageRef(request.params, deps.host)));

      www.post<{ Params: PackageParams }>(path, (request, reply) => {
        const ref = parsePackageRef(request.params, deps.host);
        const form = (request.body ?? {}) as Record<string, string | undefined>;
        return act(request, reply, ref, async () => {
          await addTrustedPublisher(core, {
            principal: request.principal,
            ref,
            issuer: form.issuer,
            claims: parseClaimLines(String(form.claims ?? '')),
            allowedIssuers: issuers,
          });
          return 'Trusted publisher added.';
        });
      });

      www.post<{ Params: PackageParams & { id: string } }>(`${path}/:id/remove`, (request, reply) => {
        const ref = parsePackageRef(request.params, deps.host);
        return act(request, reply, ref, async () => {
          await removeTrustedPublisher(core, { principal: request.principal, ref, id: request.params.id });
          return 'Trusted publisher removed; the tokens exchanged for it no longer work.';
        });
      });
    },
    { prefix: '/www' },
  );
}
