import { type CoreDeps, getPackageVisibility, listCollaborators, type PackageRef, setPackageVisibility } from '@entropic/core';
import { formatPackageName, isAppError } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type PackageParams, parsePackageRef } from '../routes/refs.ts';
import { html } from './html.ts';
import { renderPage, sendPage } from './layout.ts';
import { withPackageNotFoundPage } from './package-pages.ts';
import { csrfToken, sessionUser, setFlash } from './session.ts';
import { packagePath } from './views/package-links.ts';
import { displayName } from './views/package-page.ts';
import { configureWebsiteScope } from './website-scope.ts';

/**
 * /www/packages/:namespace/:name/access — a package's visibility (docs/private-packages.md), and
 * for its maintainers a button that makes it private or public. Someone who may not read a private
 * package gets the page of a package that does not exist; the form calls the same use case as the
 * API (`PUT …/access`), so the API's authorization applies unchanged.
 */
export function registerAccessPages(app: FastifyInstance): void {
  app.register(
    async (www) => {
      configureWebsiteScope(www);
      const deps: CoreDeps = www.deps;
      const path = '/packages/:namespace/:name/access';

      const render = async (request: FastifyRequest, reply: FastifyReply, ref: PackageRef, error?: string, status = 200) => {
        const name = formatPackageName(ref);
        const { visibility, maintainer } = await withPackageNotFoundPage(ref, deps.host, async () => {
          await www.packageReads.assert(request, ref);
          const viewer = sessionUser(request);
          const [visibility, collaborators] = await Promise.all([
            getPackageVisibility(deps, { ref }),
            viewer ? listCollaborators(deps, { principal: request.principal, ref }) : {},
          ]);
          return { visibility, maintainer: viewer !== undefined && (collaborators as Record<string, string>)[viewer.name] === 'write' };
        });
        const state = visibility.private
          ? visibility.namespace_private
            ? html`<p data-testid="visibility"><strong>Private</strong>: its namespace is private, so only people with read access see it.</p>`
            : html`<p data-testid="visibility"><strong>Private</strong>: only members of its maintainer namespaces, teams granted it and tokens that cover it see it; to everyone else it does not exist.</p>`
          : html`<p data-testid="visibility"><strong>Public</strong>: everyone can read and install it.</p>`;
        const form = maintainer
          ? html`<form method="post" action="${packagePath(name)}/access">
              <input type="hidden" name="_csrf" value="${csrfToken(request)}">
              <input type="hidden" name="private" value="${visibility.package_private ? 'off' : 'on'}">
              <button type="submit" class="${visibility.package_private ? 'secondary' : 'danger'}">${
                visibility.package_private ? 'Make it public' : 'Make it private'
              }</button>
            </form>`
          : html`<p class="muted">Only its maintainers can change this.</p>`;
        return sendPage(
          reply,
          renderPage(request, {
            title: `Access to ${displayName(name)}`,
            ...(error ? { error } : {}),
            body: html`<p class="breadcrumbs"><a href="${packagePath(name)}">${displayName(name)}</a> · access</p>
              <h2>Visibility</h2>
              ${state}
              ${form}`,
          }),
          status,
        );
      };

      www.get<{ Params: PackageParams }>(path, (request, reply) => render(request, reply, parsePackageRef(request.params, deps.host)));

      www.post<{ Params: PackageParams }>(path, async (request, reply) => {
        const ref = parsePackageRef(request.params, deps.host);
        const form = (request.body ?? {}) as Record<string, string | undefined>;
        try {
          await www.packageReads.assert(request, ref);
          const visibility = await setPackageVisibility(deps, { principal: request.principal, ref, private: form.private === 'on' });
          setFlash(request, `${displayName(formatPackageName(ref))} is now ${visibility.private ? 'private' : 'public'}.`);
          return reply.redirect(`${packagePath(formatPackageName(ref))}/access`, 303);
        } catch (error) {
          // expected refusals re-render the page with the reason; a package someone may not read is not found
          if (!isAppError(error) || error.status >= 500 || error.code === 'PACKAGE_NOT_FOUND') throw error;
          return render(request, reply, ref, error.message, error.status);
        }
      });
    },
    { prefix: '/www' },
  );
}
