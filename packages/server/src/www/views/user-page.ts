import type { PackageDocument } from '@entropic/types';
import { html, type SafeHtml } from '../html.ts';
import { nextPageLink, packageList } from './package-list.ts';

/** What /www/users/:user shows: the user's packages (of their own namespace) and organisations. */
export interface UserPageModel {
  user: string;
  /** `user@host`: the user's own namespace */
  namespace: string;
  packages: PackageDocument[];
  nextPackages: string | null;
  /** namespaces the user is an accepted member of (their own included), `name@host` */
  memberships: string[];
  nextMemberships: string | null;
  /** whether the viewer is this user (they get the "create an organisation" link) */
  self: boolean;
}

/** The body of a user's page. A pure function of the model. */
export function userPage(model: UserPageModel): SafeHtml {
  const path = `/www/users/${encodeURIComponent(model.user)}`;
  const packages = model.packages.map((doc) => ({
    package: doc.name,
    detail: doc.tags.latest ? `latest ${doc.tags.latest}` : 'no version yet',
  }));
  return html`<p class="muted">user · namespace <a href="/www/namespaces/${encodeURIComponent(model.namespace)}">${model.namespace}</a></p>
    <section aria-labelledby="user-packages">
      <h2 id="user-packages">Packages</h2>
      ${packageList(packages, `${model.user} maintains no packages in their namespace yet.`, 'packages')}
      ${nextPageLink(path, 'packages', model.nextPackages, 'More packages')}
    </section>
    <section aria-labelledby="user-namespaces">
      <h2 id="user-namespaces">Namespaces</h2>
      <ul class="tokens card" data-testid="memberships">
        ${model.memberships.map((ns) => html`<li data-namespace="${ns}"><a href="/www/namespaces/${encodeURIComponent(ns)}">${ns}</a></li>`)}
      </ul>
      ${nextPageLink(path, 'namespaces', model.nextMemberships, 'More namespaces')}
      ${model.self ? html`<p><a href="/www/orgs/new">Create an organisation</a></p>` : ''}
    </section>`;
}
