import { type CoreDeps, listVersionHistory, type PackageRef } from '@entropic/core';
import { appError, formatPackageName, isAppError, LEGACY, parseVersion, type Version } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type PackageParams, packageGroup, parsePackageRef } from '../routes/refs.ts';
import { html, SafeHtml } from './html.ts';
import { renderPage, sendPage } from './layout.ts';
import { loadPackagePage } from './package-page-model.ts';
import { packagePath } from './views/package-links.ts';
import { displayName, packagePage, versionList } from './views/package-page.ts';
import { configureWebsiteScope } from './website-scope.ts';

/** What a cached page body carries besides its HTML. */
export interface PageBody {
  title: string;
  body: SafeHtml;
}

/**
 * A package page's body (everything below the layout's header), cached in the response cache's
 * group of the package, so the domain events that drop the package's API responses drop its pages
 * too (cache-subscriptions.ts; a page never invalidates by hand). The layout around it (the
 * signed-in user, the CSRF token) is rendered per request.
 */
export async function cachedPageBody(
  request: FastifyRequest,
  ref: PackageRef,
  key: string,
  render: () => Promise<PageBody>,
): Promise<PageBody> {
  const cache = request.server.responseCache;
  const group = packageGroup(ref);
  const hit = cache.get(group, `www:${key}`);
  if (hit) return { title: hit.contentType, body: new SafeHtml(hit.body.toString('utf8')) };
  const page = await render();
  // contentType holds the title: the entry is never sent as it is, only wrapped by the layout
  cache.set(group, `www:${key}`, { status: 200, body: Buffer.from(page.body.value), contentType: page.title });
  return page;
}

/** Sends a package page: the cached body in the layout. */
export function sendPackagePage(request: FastifyRequest, reply: FastifyReply, page: PageBody): FastifyReply {
  return sendPage(reply, renderPage(request, { title: page.title, body: page.body, wide: true }));
}

/**
 * /www/packages/:namespace/:name (the default version), /v/:version (one version) and /versions
 * (the whole history). File browser and diffs: file-pages.ts.
 */
export function registerPackagePages(app: FastifyInstance): void {
  app.register(
    async (www) => {
      configureWebsiteScope(www);
      const deps: CoreDeps = www.deps;
      const base = '/packages/:namespace/:name';

      const versionPage = async (request: FastifyRequest<{ Params: PackageParams }>, reply: FastifyReply, version: Version | undefined) => {
        const ref = parsePackageRef(request.params, deps.host);
        const page = await withPackageNotFoundPage(ref, deps.host, async () => {
          await www.packageReads.assert(request, ref);
          return cachedPageBody(request, ref, `page:${version ?? ''}`, async () => {
            // every version served here carries this host's signature by its current key (issue 15.2)
            const model = await loadPackagePage(deps, ref, version, www.deps.keyring.currentKeyId());
            return { title: displayName(model.fullName), body: packagePage(model) };
          });
        });
        return sendPackagePage(request, reply, page);
      };

      www.get<{ Params: PackageParams }>(base, (request, reply) => versionPage(request, reply, undefined));
      www.get<{ Params: PackageParams & { version: string } }>(`${base}/v/:version`, (request, reply) =>
        versionPage(request, reply, parseVersion(request.params.version)),
      );
      www.get<{ Params: PackageParams }>(`${base}/versions`, async (request, reply) => {
        const ref = parsePackageRef(request.params, deps.host);
        const page = await withPackageNotFoundPage(ref, deps.host, async () => {
          await www.packageReads.assert(request, ref);
          return cachedPageBody(request, ref, 'versions', async () => {
            const history = await listVersionHistory(deps, { ref });
            const name = formatPackageName(ref);
            return {
              title: `Versions of ${displayName(name)}`,
              body: html`<p class="breadcrumbs"><a href="${packagePath(name)}">${displayName(name)}</a> · ${history.length} versions</p>
                ${versionList(name, history.slice(0, MAX_VERSIONS_LISTED))}
                ${history.length > MAX_VERSIONS_LISTED ? html`<p class="muted">The ${history.length - MAX_VERSIONS_LISTED} oldest are not listed.</p>` : ''}`,
            };
          });
        });
        return sendPackagePage(request, reply, page);
      });
    },
    { prefix: '/www' },
  );
}

const MAX_VERSIONS_LISTED = 1000;

/**
 * A package that is not here: a legacy one may not be mirrored yet, and one on another host lives
 * there. Says so on the 404 page instead of only "not found".
 */
export async function withPackageNotFoundPage<T>(ref: PackageRef, localHost: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isAppError(error) || error.code !== 'PACKAGE_NOT_FOUND') throw error;
    if (ref.host === localHost && ref.namespace !== LEGACY) throw error;
    const name = `${ref.namespace}/${ref.name}`;
    if (ref.host === localHost) {
      throw appError('PACKAGE_NOT_FOUND', `"${name}" has not been mirrored here yet: installing it through this registry mirrors it.`);
    }
    throw appError('PACKAGE_NOT_FOUND', `"${name}" is not on this registry; it is published on ${ref.host}.`);
  }
}
