import { html, type SafeHtml } from '../html.ts';
import { csrfInput } from './csrf-input.ts';

export interface NewOrganisationPageModel {
  host: string;
  csrfToken: string;
  /** the name field, as last sent */
  name: string;
}

/** The body of /www/orgs/new: one field, the name; the creator becomes its first member. */
export function newOrganisationPage(model: NewOrganisationPageModel): SafeHtml {
  return html`<form class="card" method="post" action="/www/orgs/new">
      ${csrfInput(model.csrfToken)}
      <label for="org-name">Name</label>
      <input id="org-name" name="name" type="text" required maxlength="64" pattern="[a-z0-9]+(-[a-z0-9]+)*" autocomplete="off" aria-describedby="org-name-help" value="${model.name}">
      <p id="org-name-help" class="muted">Lower-case letters, digits and single hyphens. Its packages will be named <code>name@${model.host}/…</code>; you become its first member and can invite others.</p>
      <button type="submit">Create organisation</button>
    </form>`;
}
