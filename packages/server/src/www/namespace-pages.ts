import {
  acceptMaintainership,
  acceptMembership,
  type CoreDeps,
  endMaintainership,
  findMembership,
  formatNamespace,
  getNamespace,
  inviteMember,
  leaveMembership,
  listMaintainerships,
  listMembers,
  removeMember,
  type TeamChange,
} from '@entropic/core';
import { appError, isAppError, type NamespaceRef, type PackageDocument, parseNamespaceSegment } from '@entropic/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { packageGroup, parsePackageRef } from '../routes/refs.ts';
import { html, type SafeHtml } from './html.ts';
import { csrfField, renderPage, sendPage } from './layout.ts';
import { sessionUser, setFlash } from './session.ts';
import { configureWebsiteScope } from './website-scope.ts';

type Form = Record<string, string | undefined>;

const KIND_LABEL = { user: 'user namespace', org: 'organisation', system: 'system namespace' } as const;

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

      const namespacePage = async (request: FastifyRequest, ref: NamespaceRef, options: { error?: string; form?: Form } = {}) => {
        const namespace = await getNamespace(deps.repos, ref, deps.host);
        const label = formatNamespace(namespace, deps.host);
        const viewer = sessionUser(request);
        const [members, maintained, invitedTo, membership] = await Promise.all([
          listMembers(deps, ref, {}),
          listMaintainerships(deps, ref, {}),
          listMaintainerships(deps, ref, { status: 'pending' }),
          viewer ? findMembership(deps.db, namespace.id, viewer.id) : undefined,
        ]);
        const isMember = membership?.accepted === true;
        const action = `/www/namespaces/${encodeURIComponent(label)}`;
        const button = (fields: Record<string, string>, text: string, className = 'secondary', aria = text): SafeHtml =>
          html`<form method="post" action="${action}">
            ${csrfField(request)}
            ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
            <button class="${className}" type="submit" aria-label="${aria}">${text}</button>
          </form>`;

        const ownInvitation =
          viewer && membership && !membership.accepted
            ? html`<section class="card" aria-labelledby="your-invitation">
                <h2 id="your-invitation">You are invited</h2>
                <p>You have been invited to join ${label}.</p>
                <div class="actions">
                  ${button({ action: 'accept' }, 'Accept', '', `Accept the invitation to join ${label}`)}
                  ${button({ action: 'decline' }, 'Decline', 'secondary', `Decline the invitation to join ${label}`)}
                </div>
              </section>`
            : '';

        const memberRows = members.objects.map(
          (name) => html`<li data-member="${name}">
            <div><strong>${name}</strong>${viewer?.name === name ? html` <span class="muted">(you)</span>` : ''}</div>
            ${
              isMember && viewer?.name === name
                ? button({ action: 'leave' }, 'Leave', 'danger', `Leave ${label}`)
                : isMember
                  ? button({ action: 'remove', user: name }, 'Remove', 'danger', `Remove ${name} from ${label}`)
                  : ''
            }
          </li>`,
        );

        const packageName = (doc: PackageDocument) => html`<strong>${doc.name}</strong>`;
        const packageRows = maintained.objects.map(
          (doc) => html`<li data-package="${doc.name}">
            <div>${packageName(doc)} ${doc.tags.latest ? html`<span class="muted">· latest ${doc.tags.latest}</span>` : ''}</div>
          </li>`,
        );
        const invitationRows = invitedTo.objects.map((doc) => {
          const [pkgnamespace, pkgname] = splitPackageName(doc.name);
          return html`<li data-package-invitation="${doc.name}">
            <div>${packageName(doc)} <span class="muted">· invited to maintain</span></div>
            ${
              isMember
                ? html`<div class="actions">
                    ${button({ action: 'accept-package', pkgnamespace, pkgname }, 'Accept', '', `Accept maintaining ${doc.name}`)}
                    ${button({ action: 'decline-package', pkgnamespace, pkgname }, 'Decline', 'secondary', `Decline maintaining ${doc.name}`)}
                  </div>`
                : ''
            }
          </li>`;
        });

        const inviteForm = isMember
          ? html`<form method="post" action="${action}" class="card">
              ${csrfField(request)}
              <input type="hidden" name="action" value="invite">
              <label for="invite-user">Invite a user to ${label}</label>
              <input id="invite-user" name="user" type="text" required maxlength="64" pattern="[a-z0-9]+(-[a-z0-9]+)*" placeholder="username" value="${options.form?.user ?? ''}">
              <button type="submit">Invite</button>
            </form>`
          : '';

        return renderPage(request, {
          title: label,
          ...(options.error ? { error: options.error } : {}),
          body: html`<p class="muted">${KIND_LABEL[namespace.kind]}</p>
            ${ownInvitation}
            <h2>Members</h2>
            ${memberRows.length ? html`<ul class="tokens card" data-testid="members">${memberRows}</ul>` : html`<p class="muted">No members.</p>`}
            ${inviteForm}
            <h2>Packages</h2>
            ${
              packageRows.length
                ? html`<ul class="tokens card" data-testid="packages">${packageRows}</ul>${maintained.next ? html`<p class="muted">and more…</p>` : ''}`
                : html`<p class="muted">${label} maintains no packages yet.</p>`
            }
            <h2>Pending package invitations</h2>
            ${
              invitationRows.length
                ? html`<ul class="tokens card" data-testid="package-invitations">${invitationRows}</ul>`
                : html`<p class="muted">None.</p>`
            }`,
        });
      };

      www.get<{ Params: { namespace: string } }>('/namespaces/:namespace', async (request, reply) =>
        sendPage(reply, await namespacePage(request, parseNamespaceSegment(request.params.namespace, deps.host))),
      );

      www.post<{ Params: { namespace: string } }>('/namespaces/:namespace', async (request, reply) => {
        const ref = parseNamespaceSegment(request.params.namespace, deps.host);
        const form = (request.body ?? {}) as Form;
        try {
          const change = await applyForm(www, request, ref, form);
          setFlash(request, change.message);
          return reply.redirect(`/www/namespaces/${encodeURIComponent(request.params.namespace)}`, 303);
        } catch (error) {
          // expected refusals re-render the page with the reason; faults go to the error page
          if (!isAppError(error) || error.status >= 500 || error.code === 'NAMESPACE_NOT_FOUND') throw error;
          return sendPage(reply, await namespacePage(request, ref, { error: error.message, form }), error.status);
        }
      });
    },
    { prefix: '/www' },
  );
}

/** `ns@host/name` (name URL-encoded, as in every package document) → its two URL segments. */
function splitPackageName(fullName: string): [string, string] {
  const slash = fullName.indexOf('/');
  return [fullName.slice(0, slash), decodeURIComponent(fullName.slice(slash + 1))];
}

async function applyForm(www: FastifyInstance, request: FastifyRequest, ref: NamespaceRef, form: Form): Promise<TeamChange> {
  const { deps } = www;
  const principal = request.principal;
  const self = () => parseNamespaceSegment(principal?.username ?? '', deps.host);
  switch (form.action) {
    case 'invite':
      return inviteMember(deps, principal, ref, (form.user ?? '').trim().toLowerCase());
    case 'remove':
      return removeMember(deps, principal, ref, form.user ?? '');
    case 'accept':
      if (!principal) throw appError('UNAUTHENTICATED', 'Sign in to answer invitations.');
      return acceptMembership(deps, principal, self(), ref);
    case 'decline':
    case 'leave':
      if (!principal) throw appError('UNAUTHENTICATED', 'Sign in to answer invitations.');
      return leaveMembership(deps, principal, self(), ref);
    case 'accept-package':
    case 'decline-package': {
      const pkg = parsePackageRef({ namespace: form.pkgnamespace ?? '', name: form.pkgname ?? '' }, deps.host);
      const change =
        form.action === 'accept-package'
          ? await acceptMaintainership(deps, principal, ref, pkg)
          : await endMaintainership(deps, principal, ref, pkg);
      await www.responseCache.invalidate(packageGroup(pkg));
      return change;
    }
    default:
      throw appError('BAD_REQUEST', 'Unknown action.');
  }
}
