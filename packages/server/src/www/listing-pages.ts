import {
  type CoreDeps,
  createOrganisation,
  getNamespace,
  listMaintainerships,
  listMemberships,
  listMostDownloaded,
  listNamespaces,
  listRecentlyPublished,
} from '@entropic/core';
import { isAppError, type NamespaceName, parseNamespaceSegment } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { renderPage, sendPage } from './layout.ts';
import { csrfToken, requireSessionUser, sessionUser, setFlash } from './session.ts';
import { homePage } from './views/home-page.ts';
import { namespacesPage } from './views/namespaces-page.ts';
import { newOrganisationPage } from './views/new-organisation-page.ts';
import { userPage } from './views/user-page.ts';
import { configureWebsiteScope } from './website-scope.ts';

/** Rows of a website listing page (the API's pages are larger). */
export const LISTING_PAGE_SIZE = '25';
const HOME_LIST_LENGTH = 10;

type Form = Record<string, string | undefined>;
type Cursor = { Querystring: Record<string, string | undefined> };

/**
 * The home page (/www), the list of namespaces, users' pages and creating an organisation: the
 * ways into every other page. Each calls the same use cases as the API.
 */
export function registerListingPages(app: FastifyInstance): void {
  app.register(
    async (www) => {
      configureWebsiteScope(www);
      const deps: CoreDeps = www.deps;

      www.get('/', async (request, reply) => {
        const [recent, popular] = await Promise.all([
          listRecentlyPublished(deps, { limit: HOME_LIST_LENGTH }),
          listMostDownloaded(deps, { period: 'last-month', limit: HOME_LIST_LENGTH }),
        ]);
        const body = homePage({ host: deps.host, recent, popular, viewer: sessionUser(request)?.name });
        return sendPage(reply, renderPage(request, { title: `Packages on ${deps.host}`, body, wide: true }));
      });

      www.get<Cursor>('/namespaces', async (request, reply) => {
        const page = await listNamespaces(deps, { limit: LISTING_PAGE_SIZE, cursor: request.query.cursor });
        return sendPage(
          reply,
          renderPage(request, { title: 'Namespaces', body: namespacesPage({ namespaces: page.objects, next: page.next }) }),
        );
      });

      www.get<Cursor & { Params: { user: string } }>('/users/:user', async (request, reply) => {
        const user = parseNamespaceSegment(request.params.user, deps.host);
        const namespace = await getNamespace(deps.repos, user, deps.host);
        const [packages, memberships] = await Promise.all([
          listMaintainerships(deps, { ref: user, principal: request.principal, limit: LISTING_PAGE_SIZE, cursor: request.query.packages }),
          listMemberships(deps, { principal: request.principal, user, limit: LISTING_PAGE_SIZE, cursor: request.query.namespaces }),
        ]);
        const body = userPage({
          user: namespace.name,
          namespace: `${namespace.name}@${deps.host}`,
          packages: packages.objects,
          nextPackages: packages.next,
          memberships: memberships.objects,
          nextMemberships: memberships.next,
          self: sessionUser(request)?.name === namespace.name,
        });
        return sendPage(reply, renderPage(request, { title: namespace.name, body }));
      });

      const renderNewOrganisation = (request: FastifyRequest, form: Form = {}, error?: string) =>
        renderPage(request, {
          title: 'Create an organisation',
          ...(error ? { error } : {}),
          body: newOrganisationPage({ host: deps.host, csrfToken: csrfToken(request), name: form.name ?? '' }),
        });

      www.get('/orgs/new', async (request, reply) => {
        requireSessionUser(request);
        return sendPage(reply, renderNewOrganisation(request));
      });

      // CSRF is checked by the website scope before this runs
      www.post('/orgs/new', async (request, reply) => {
        requireSessionUser(request);
        const form = (request.body ?? {}) as Form;
        const name = (form.name ?? '').trim().toLowerCase();
        try {
          const created = await createOrganisation(deps, {
            principal: request.principal,
            ref: { namespace: name as NamespaceName, host: deps.host },
          });
          setFlash(request, `The organisation ${created.name} was created; you are its first member.`);
          return reply.redirect(`/www/namespaces/${encodeURIComponent(created.name)}`, 303);
        } catch (error) {
          if (!isAppError(error) || error.status >= 500) throw error;
          return sendPage(reply, renderNewOrganisation(request, form, error.message), error.status);
        }
      });
    },
    { prefix: '/www' },
  );
}
