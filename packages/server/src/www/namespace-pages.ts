import {
  acceptMaintainership,
  acceptMembership,
  type CoreDeps,
  endMaintainership,
  findMembership,
  formatNamespace,
  getNamespace,
  getNamespaceSecondFactor,
  getTeamInfo,
  inviteMember,
  leaveMembership,
  listMaintainerships,
  listMembers,
  listNamespaceAudit,
  listTeams,
  removeMember,
  requireSignedIn,
  setNamespaceSecondFactor,
  setNamespaceVisibility,
  type TeamChange,
  type TeamInfo,
} from '@entropic/core';
import { appError, isAppError, type NamespaceRef, parseNamespaceSegment } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parsePackageRef } from '../routes/refs.ts';
import { renderPage, sendPage } from './layout.ts';
import { LISTING_PAGE_SIZE } from './listing-pages.ts';
import { csrfToken, requireSessionUser, sessionUser, setFlash } from './session.ts';
import { AUDIT_PAGE_SIZE, auditPage } from './views/audit-page.ts';
import { type NamespacePageModel, namespacePage } from './views/namespace-page.ts';
import { configureWebsiteScope } from './website-scope.ts';

type Form = Record<string, string | undefined>;

/**
 * /www/namespaces/:namespace — a namespace's members, packages and pending invitations, with
 * forms (CSRF-checked by the website scope) to invite, accept, decline, remove and leave. Every
 * form calls the same core use case as the API, so the API's authorization applies unchanged.
 */
export function registerNamespacePages(app: FastifyInstance): void {
  app.register(
    async (www) => {
      configureWebsiteScope(www);
      const deps: CoreDeps = www.deps;

      const renderNamespacePage = async (
        request: FastifyRequest,
        ref: NamespaceRef,
        options: { error?: string; form?: Form; cursor?: string | undefined } = {},
      ) => {
        const model = await loadNamespacePage(deps, request, ref, options.form?.user ?? '', options.cursor);
        return renderPage(request, {
          title: model.label,
          ...(options.error ? { error: options.error } : {}),
          body: namespacePage(model),
        });
      };

      www.get<{ Params: { namespace: string }; Querystring: { cursor?: string } }>('/namespaces/:namespace', async (request, reply) =>
        sendPage(
          reply,
          await renderNamespacePage(request, parseNamespaceSegment(request.params.namespace, deps.host), { cursor: request.query.cursor }),
        ),
      );

      www.get<{ Params: { namespace: string }; Querystring: { cursor?: string } }>(
        '/namespaces/:namespace/audit',
        async (request, reply) => {
          const ref = parseNamespaceSegment(request.params.namespace, deps.host);
          requireSessionUser(request);
          const { cursor } = request.query;
          const page = await listNamespaceAudit(deps, {
            principal: request.principal,
            ref,
            limit: AUDIT_PAGE_SIZE,
            ...(cursor ? { cursor } : {}),
          });
          const label = formatNamespace(await getNamespace(deps.repos, ref, deps.host), deps.host);
          const base = `/www/namespaces/${encodeURIComponent(request.params.namespace)}/audit`;
          return sendPage(
            reply,
            renderPage(request, {
              title: `Audit log of ${label}`,
              body: auditPage({
                page,
                base,
                exportUrl: `/namespaces/namespace/${encodeURIComponent(request.params.namespace)}/audit?format=jsonl`,
              }),
            }),
          );
        },
      );

      www.post<{ Params: { namespace: string } }>('/namespaces/:namespace', async (request, reply) => {
        const ref = parseNamespaceSegment(request.params.namespace, deps.host);
        const form = (request.body ?? {}) as Form;
        try {
          const change = await applyForm(deps, request, ref, form);
          setFlash(request, change.message);
          return reply.redirect(`/www/namespaces/${encodeURIComponent(request.params.namespace)}`, 303);
        } catch (error) {
          // expected refusals re-render the page with the reason; faults go to the error page
          if (!isAppError(error) || error.status >= 500 || error.code === 'NAMESPACE_NOT_FOUND') throw error;
          return sendPage(reply, await renderNamespacePage(request, ref, { error: error.message, form }), error.status);
        }
      });
    },
    { prefix: '/www' },
  );
}

/** Everything the namespace page shows, through the same use cases as the API. */
async function loadNamespacePage(
  deps: CoreDeps,
  request: FastifyRequest,
  ref: NamespaceRef,
  inviteUser: string,
  cursor?: string,
): Promise<NamespacePageModel> {
  const namespace = await getNamespace(deps.repos, ref, deps.host);
  const viewer = sessionUser(request);
  const [members, maintained, invitedTo, membership, secondFactor] = await Promise.all([
    listMembers(deps, { ref }),
    listMaintainerships(deps, { ref, principal: request.principal, limit: LISTING_PAGE_SIZE, cursor }),
    listMaintainerships(deps, { ref, principal: request.principal, status: 'pending' }),
    viewer ? findMembership(deps, { namespaceId: namespace.id, userId: viewer.id }) : undefined,
    getNamespaceSecondFactor(deps, { ref }),
  ]);
  // teams, their members and grants: shown to accepted members (who may list them), as the API does
  const teams =
    membership?.accepted && namespace.kind !== 'system'
      ? await Promise.all(
          (await listTeams(deps, { principal: request.principal, ref })).map((team) =>
            getTeamInfo(deps, { principal: request.principal, ref, team }),
          ),
        )
      : undefined;
  return {
    label: formatNamespace(namespace, deps.host),
    kind: namespace.kind,
    private: namespace.private,
    teams: teams as TeamInfo[] | undefined,
    viewer: viewer?.name,
    membership,
    members: members.objects,
    maintained: { packages: maintained.objects, more: maintained.next !== null, next: maintained.next },
    invitedTo: invitedTo.objects,
    // only signed-in viewers get forms (and already have a session): no session for anonymous readers
    csrfToken: viewer ? csrfToken(request) : '',
    inviteUser,
    requiresSecondFactor: secondFactor.required,
  };
}

const SIGN_IN_TO_ANSWER = 'Sign in to answer invitations.';

async function applyForm(deps: CoreDeps, request: FastifyRequest, ref: NamespaceRef, form: Form): Promise<Pick<TeamChange, 'message'>> {
  const principal = request.principal;
  const self = () => parseNamespaceSegment(principal?.username ?? '', deps.host);
  switch (form.action) {
    case 'invite':
      return inviteMember(deps, { principal, ref, username: (form.user ?? '').trim().toLowerCase() });
    case 'remove':
      return removeMember(deps, { principal, ref, username: form.user ?? '' });
    case 'accept':
      return acceptMembership(deps, { principal: requireSignedIn(principal, SIGN_IN_TO_ANSWER), user: self(), ref });
    case 'decline':
    case 'leave':
      return leaveMembership(deps, { principal: requireSignedIn(principal, SIGN_IN_TO_ANSWER), user: self(), ref });
    case 'visibility': {
      const isPrivate = form.private === 'on';
      await setNamespaceVisibility(deps, { principal, ref, private: isPrivate });
      return {
        message: `${ref.namespace} is now ${isPrivate ? 'private: its packages are visible to people with read access only' : 'public'}.`,
      };
    }
    case 'second-factor':
      return setNamespaceSecondFactor(deps, { principal, ref, required: form.required === 'on' });
    case 'accept-package':
    case 'decline-package': {
      const pkg = parsePackageRef({ namespace: form.pkgnamespace ?? '', name: form.pkgname ?? '' }, deps.host);
      return form.action === 'accept-package'
        ? acceptMaintainership(deps, { principal, ref, pkg })
        : endMaintainership(deps, { principal, ref, pkg });
    }
    default:
      throw appError('BAD_REQUEST', 'Unknown action.');
  }
}
