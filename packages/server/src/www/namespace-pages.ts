import {
  acceptMaintainership,
  acceptMembership,
  addTeamMember,
  type CoreDeps,
  createTeam,
  destroyTeam,
  endMaintainership,
  findMembership,
  formatNamespace,
  getNamespace,
  getNamespaceSecondFactor,
  getTeamInfo,
  grantTeam,
  inviteMember,
  leaveMembership,
  listMaintainerships,
  listMembers,
  listNamespaceAudit,
  listTeams,
  type PackageRef,
  removeMember,
  removeTeamMember,
  requireSignedIn,
  revokeTeamGrant,
  setNamespaceSecondFactor,
  setNamespaceVisibility,
  type TeamChange,
  type TeamInfo,
} from '@entropic/core';
import { appError, type Host, isAppError, type NamespaceRef, parseNamespaceSegment } from '@entropic/types';
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
    case 'team-create':
    case 'team-destroy':
    case 'team-add':
    case 'team-rm':
    case 'team-grant':
    case 'team-revoke':
      return applyTeamForm(deps, principal, ref, form);
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

/** `ns/name` or `ns@host/name` (the name URL-encoded, as in a grant's label), or empty: the whole namespace. */
function grantPackage(raw: string | undefined, host: Host): PackageRef | null {
  const text = (raw ?? '').trim().replace(/^@/, '');
  if (text === '') return null;
  const slash = text.indexOf('/');
  if (slash <= 0)
    throw appError('INVALID_FIELD', 'Name the package as namespace/name, or leave it empty for every package of the namespace.');
  return parsePackageRef({ namespace: text.slice(0, slash), name: decodeURIComponent(text.slice(slash + 1)) }, host);
}

/** The team forms of the namespace page (members only: the use cases decide, as for the API). */
async function applyTeamForm(
  deps: CoreDeps,
  principal: FastifyRequest['principal'],
  ref: NamespaceRef,
  form: Form,
): Promise<Pick<TeamChange, 'message'>> {
  const team = (form.team ?? '').trim();
  const label = `${ref.namespace}:${team}`;
  const user = (form.user ?? '').trim().toLowerCase();
  switch (form.action) {
    case 'team-create':
      await createTeam(deps, { principal, ref, team, description: (form.description ?? '').trim() });
      return { message: `Created team ${label}.` };
    case 'team-destroy':
      await destroyTeam(deps, { principal, ref, team });
      return { message: `Deleted team ${label}.` };
    case 'team-add': {
      const { added } = await addTeamMember(deps, { principal, ref, team, username: user });
      return { message: added ? `Added ${user} to ${label}.` : `${user} is already in ${label}.` };
    }
    case 'team-rm': {
      const { removed } = await removeTeamMember(deps, { principal, ref, team, username: user });
      return { message: removed ? `Removed ${user} from ${label}.` : `${user} was not in ${label}.` };
    }
    case 'team-grant': {
      const permission = form.permission;
      if (permission !== 'read' && permission !== 'write') throw appError('INVALID_FIELD', 'The permission is read or write.');
      const pkg = grantPackage(form.package, deps.host);
      await grantTeam(deps, { principal, ref, team, pkg, permission });
      return {
        message: `${label} may now ${permission} ${pkg ? `${pkg.namespace}/${pkg.name}` : 'every package the namespace maintains'}.`,
      };
    }
    default: {
      const pkg = grantPackage(form.package, deps.host);
      const { revoked } = await revokeTeamGrant(deps, { principal, ref, team, pkg });
      const what = pkg ? `${pkg.namespace}/${pkg.name}` : 'the namespace';
      return { message: revoked ? `Revoked ${label}'s grant on ${what}.` : `${label} had no grant on ${what}.` };
    }
  }
}
