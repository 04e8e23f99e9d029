import type { NamespaceRow, TeamInfo } from '@entropic/core';
import type { PackageDocument } from '@entropic/types';
import { html, type SafeHtml } from '../html.ts';
import { packagePath } from './package-links.ts';
import { nextPageLink } from './package-list.ts';

/** What the namespace page shows: loaded by its handler, rendered by `namespacePage`. */
export interface NamespacePageModel {
  /** `name@host` */
  label: string;
  kind: NamespaceRow['kind'];
  /** the namespace is private (so is every package it has) */
  private: boolean;
  /** its teams with their members and grants (accepted members only; undefined for others) */
  teams: TeamInfo[] | undefined;
  /** the signed-in viewer's username, if any */
  viewer: string | undefined;
  /** the viewer's membership of the namespace (accepted or invited), if any */
  membership: { accepted: boolean } | undefined;
  /** accepted members' usernames */
  members: string[];
  /** packages the namespace maintains (one page), whether there are more, and the next page's cursor */
  maintained: { packages: PackageDocument[]; more: boolean; next?: string | null };
  /** packages the namespace is invited to maintain */
  invitedTo: PackageDocument[];
  /** the session's CSRF token, for the forms (only signed-in viewers get forms) */
  csrfToken: string;
  /** the invite form's user field, as last sent */
  inviteUser: string;
  /** writes in the namespace need a second factor */
  requiresSecondFactor: boolean;
}

const KIND_LABEL = { user: 'user namespace', org: 'organisation', system: 'system namespace' } as const;

/** `ns@host/name` (name URL-encoded, as in every package document) → its two URL segments. */
function splitPackageName(fullName: string): [string, string] {
  const slash = fullName.indexOf('/');
  return [fullName.slice(0, slash), decodeURIComponent(fullName.slice(slash + 1))];
}

/**
 * The body of /www/namespaces/:namespace: members, packages and pending invitations, with the
 * forms a member (or an invited user) may send. A pure function of the model.
 */
export function namespacePage(model: NamespacePageModel): SafeHtml {
  const { label } = model;
  const isMember = model.membership?.accepted === true;
  const form = formsOf(model);

  const ownInvitation =
    model.viewer && model.membership && !model.membership.accepted
      ? html`<section class="card" aria-labelledby="your-invitation">
          <h2 id="your-invitation">You are invited</h2>
          <p>You have been invited to join ${label}.</p>
          <div class="actions">
            ${form.button({ action: 'accept' }, 'Accept', '', `Accept the invitation to join ${label}`)}
            ${form.button({ action: 'decline' }, 'Decline', 'secondary', `Decline the invitation to join ${label}`)}
          </div>
        </section>`
      : '';

  const memberRows = model.members.map(
    (name) => html`<li data-member="${name}">
      <div><a href="/www/users/${name}"><strong>${name}</strong></a>${model.viewer === name ? html` <span class="muted">(you)</span>` : ''}</div>
      ${
        isMember && model.viewer === name
          ? form.button({ action: 'leave' }, 'Leave', 'danger', `Leave ${label}`)
          : isMember
            ? form.button({ action: 'remove', user: name }, 'Remove', 'danger', `Remove ${name} from ${label}`)
            : ''
      }
    </li>`,
  );

  const inviteForm = isMember
    ? html`<form method="post" action="${form.action}" class="card">
        ${form.csrf}
        <input type="hidden" name="action" value="invite">
        <label for="invite-user">Invite a user to ${label}</label>
        <input id="invite-user" name="user" type="text" required maxlength="64" pattern="[a-z0-9]+(-[a-z0-9]+)*" placeholder="username" value="${model.inviteUser}">
        <button type="submit">Invite</button>
      </form>`
    : '';

  return html`<p class="muted">${KIND_LABEL[model.kind]}</p>
    ${ownInvitation}
    <h2>Members</h2>
    ${memberRows.length ? html`<ul class="tokens card" data-testid="members">${memberRows}</ul>` : html`<p class="muted">No members.</p>`}
    ${inviteForm}
    ${securitySection(model, isMember, form)}
    ${visibilitySection(model, isMember, form)}
    ${teamSection(model, form)}
    ${packageSections(model, isMember, form)}`;
}

/** The second-factor requirement (members may change it) and, for members, the namespace's audit log. */
function securitySection(model: NamespacePageModel, isMember: boolean, form: Forms): SafeHtml {
  const status = model.requiresSecondFactor
    ? html`<p data-testid="namespace-tfa">Writes in ${model.label} need a second factor.</p>`
    : html`<p data-testid="namespace-tfa" class="muted">Writes in ${model.label} do not need a second factor (members' own settings apply).</p>`;
  if (!isMember) return html`<h2>Security</h2>${status}`;
  const toggle = model.requiresSecondFactor
    ? form.button({ action: 'second-factor', required: 'off' }, 'Stop requiring a second factor', 'secondary')
    : form.button({ action: 'second-factor', required: 'on' }, 'Require a second factor for writes', '');
  return html`<h2>Security</h2>
    ${status}
    <div class="actions">${toggle} <a href="/www/namespaces/${encodeURIComponent(model.label)}/audit">Audit log</a></div>`;
}

/** Whether the namespace is private, and for members the button that changes it. */
function visibilitySection(model: NamespacePageModel, isMember: boolean, form: Forms): SafeHtml | string {
  if (model.kind === 'system') return '';
  const status = model.private
    ? html`<p data-testid="namespace-visibility"><strong>Private</strong>: ${model.label} and every package it has are visible only to people with read access; to everyone else they do not exist.</p>`
    : html`<p data-testid="namespace-visibility" class="muted">Public: everyone can read its packages (a package can still be made private on its own).</p>`;
  if (!isMember) return html`<h2>Visibility</h2>${status}`;
  const toggle = model.private
    ? form.button({ action: 'visibility', private: 'off' }, 'Make the namespace public', 'secondary')
    : form.button({ action: 'visibility', private: 'on' }, 'Make the namespace private', 'danger');
  return html`<h2>Visibility</h2>${status}<div class="actions">${toggle}</div>`;
}

/** The namespace's teams, their members and grants, with the forms that manage them (accepted members only). */
function teamSection(model: NamespacePageModel, form: Forms): SafeHtml | string {
  if (!model.teams) return '';
  const short = model.label.split('@')[0] as string;
  const rows = model.teams.map((team) => {
    const label = `${short}:${team.name}`;
    return html`<li data-team="${team.name}">
      <div><strong>${label}</strong>${team.description ? html` <span class="muted">· ${team.description}</span>` : ''}</div>
      <div data-team-members>members: ${
        team.members.length === 0
          ? html`<span class="muted">none</span>`
          : team.members.map(
              (name) =>
                html` <a href="/www/users/${name}">${name}</a> ${form.button(
                  { action: 'team-rm', team: team.name, user: name },
                  'Remove',
                  'link',
                  `Remove ${name} from ${label}`,
                )}`,
            )
      }</div>
      <div data-team-grants>grants: ${
        team.grants.length === 0
          ? html`<span class="muted">none</span>`
          : team.grants.map(
              (grant) =>
                html` ${grant.permission} on ${
                  grant.package ? html`<a href="${packagePath(grant.package)}">${grant.package}</a>` : `every package of ${model.label}`
                } ${form.button(
                  { action: 'team-revoke', team: team.name, package: grant.package ?? '' },
                  'Revoke',
                  'link',
                  `Revoke ${label}'s grant on ${grant.package ?? model.label}`,
                )}`,
            )
      }</div>
      <form method="post" action="${form.action}" class="inline">
        ${form.csrf}
        <input type="hidden" name="action" value="team-add"><input type="hidden" name="team" value="${team.name}">
        <label for="team-add-${team.name}">Add a user to ${label}</label>
        <input id="team-add-${team.name}" name="user" type="text" required maxlength="64" placeholder="username">
        <button type="submit" class="secondary">Add</button>
      </form>
      <form method="post" action="${form.action}" class="inline">
        ${form.csrf}
        <input type="hidden" name="action" value="team-grant"><input type="hidden" name="team" value="${team.name}">
        <label for="team-permission-${team.name}">Grant ${label}</label>
        <select id="team-permission-${team.name}" name="permission"><option value="read">read</option><option value="write">write</option></select>
        <label for="team-package-${team.name}">on the package (empty: every package of ${short})</label>
        <input id="team-package-${team.name}" name="package" type="text" maxlength="300" placeholder="${short}/name">
        <button type="submit" class="secondary">Grant</button>
      </form>
      ${form.button({ action: 'team-destroy', team: team.name }, 'Delete the team', 'danger', `Delete ${label}`)}
    </li>`;
  });
  return html`<h2>Teams</h2>
    ${rows.length ? html`<ul class="tokens card" data-testid="teams">${rows}</ul>` : html`<p class="muted">No teams.</p>`}
    <form method="post" action="${form.action}" class="card">
      ${form.csrf}
      <input type="hidden" name="action" value="team-create">
      <label for="team-create-name">Create a team in ${model.label}</label>
      <input id="team-create-name" name="team" type="text" required maxlength="64" pattern="[a-z0-9._\-]+" placeholder="team name">
      <label for="team-create-description">Description (optional)</label>
      <input id="team-create-description" name="description" type="text" maxlength="200">
      <button type="submit">Create team</button>
    </form>
    <p class="muted">Also: <code>ds team</code> / <code>ds access</code>, <code>npm team</code> / <code>npm access</code>.</p>`;
}

interface Forms {
  action: string;
  csrf: SafeHtml;
  button(fields: Record<string, string>, text: string, className?: string, aria?: string): SafeHtml;
}

/** The one-button forms every action of the page posts back to the page with. */
function formsOf(model: NamespacePageModel): Forms {
  const action = `/www/namespaces/${encodeURIComponent(model.label)}`;
  const csrf = html`<input type="hidden" name="_csrf" value="${model.csrfToken}">`;
  return {
    action,
    csrf,
    button: (fields, text, className = 'secondary', aria = text) =>
      html`<form method="post" action="${action}">
        ${csrf}
        ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
        <button class="${className}" type="submit" aria-label="${aria}">${text}</button>
      </form>`,
  };
}

/** The deprecation message (npm deprecate) of the version `latest` names, if it has one. */
function latestDeprecation(doc: PackageDocument): SafeHtml | string {
  const latest = doc.tags.latest;
  const message = latest === undefined ? undefined : doc.deprecated?.[latest];
  if (message === undefined) return '';
  return html`<div class="deprecated" data-deprecated="${latest}"><strong>Deprecated:</strong> ${message}</div>`;
}

function packageSections(model: NamespacePageModel, isMember: boolean, form: Forms): SafeHtml {
  const packageName = (doc: PackageDocument) => html`<a href="${packagePath(doc.name)}"><strong>${doc.name}</strong></a>`;
  const packageRows = model.maintained.packages.map(
    (doc) => html`<li data-package="${doc.name}">
      <div>${packageName(doc)} ${doc.tags.latest ? html`<span class="muted">· latest ${doc.tags.latest}</span>` : ''}${
        isMember ? html` <a class="muted" href="${packagePath(doc.name)}/access" aria-label="Access to ${doc.name}">access</a>` : ''
      }</div>
      ${latestDeprecation(doc)}
    </li>`,
  );
  const invitationRows = model.invitedTo.map((doc) => {
    const [pkgnamespace, pkgname] = splitPackageName(doc.name);
    return html`<li data-package-invitation="${doc.name}">
      <div>${packageName(doc)} <span class="muted">· invited to maintain</span></div>
      ${
        isMember
          ? html`<div class="actions">
              ${form.button({ action: 'accept-package', pkgnamespace, pkgname }, 'Accept', '', `Accept maintaining ${doc.name}`)}
              ${form.button({ action: 'decline-package', pkgnamespace, pkgname }, 'Decline', 'secondary', `Decline maintaining ${doc.name}`)}
            </div>`
          : ''
      }
    </li>`;
  });
  return html`<h2>Packages</h2>
    ${
      packageRows.length
        ? html`<ul class="tokens card" data-testid="packages">${packageRows}</ul>${
            model.maintained.next
              ? nextPageLink(`/www/namespaces/${encodeURIComponent(model.label)}`, 'cursor', model.maintained.next, 'More packages')
              : model.maintained.more
                ? html`<p class="muted">and more…</p>`
                : ''
          }`
        : html`<p class="muted">${model.label} maintains no packages yet.</p>`
    }
    <h2>Pending package invitations</h2>
    ${
      invitationRows.length
        ? html`<ul class="tokens card" data-testid="package-invitations">${invitationRows}</ul>`
        : html`<p class="muted">None.</p>`
    }`;
}
