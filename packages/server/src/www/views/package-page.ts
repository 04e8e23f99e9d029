import type { AdvisoryView } from '@entropic/core';
import { html, SafeHtml } from '../html.ts';
import { formatBytes } from './format-bytes.ts';
import { formatTime } from './format-time.ts';
import { diffPath, filesPath, packagePath, splitFullName, versionPath, versionsPath } from './package-links.ts';

/** One version in the history list. */
export interface VersionLine {
  version: string;
  yanked: boolean;
  deprecated?: string;
  created: string;
}

/** The version a page shows: what its document and manifest say. */
export interface ShownVersion extends VersionLine {
  integrity: string;
  totalBytes: number;
  fileCount: number;
  /** how many signatures the version document itself carries (authors' signatures: none are made yet) */
  signatureCount: number;
  /** the id of the key this host signs its statements about the version with (issue 15.2), if it has one */
  hostKeyId?: string | undefined;
  /** published through trusted publishing (issue 10.2): the CI identity */
  publishedBy?: { issuer: string; claims: Record<string, string> } | undefined;
  /** stored Sigstore attestations (issue 10.3) and what the registry verified of each */
  attestations?: Array<{ predicateType: string; identity?: string | undefined; signature: boolean; sigstore: boolean; url: string }>;
}

export type ReadmeState =
  | { state: 'rendered'; html: string }
  | { state: 'too-large'; bytes: number; path: string }
  | { state: 'pending' }
  | { state: 'none' };

export interface DependencyGroup {
  label: string;
  /** canonical full names with their ranges */
  entries: Array<[name: string, range: string]>;
}

/** What the package page shows: loaded by its handler, rendered by `packagePage`. */
export interface PackagePageModel {
  /** `ns@host/<url-encoded name>` */
  fullName: string;
  /** whether the page is for an explicit version (else: the package's default version) */
  explicitVersion: boolean;
  shown: ShownVersion;
  latest: string | undefined;
  /** from the version's package.json */
  description: string | undefined;
  keywords: string[];
  license: string | undefined;
  homepage: string | undefined;
  readme: ReadmeState;
  /** newest first, at most the page's limit */
  versions: VersionLine[];
  versionCount: number;
  tags: Array<[tag: string, version: string]>;
  dependencies: DependencyGroup[];
  dependents: string[];
  dependentsMore: boolean;
  maintainers: string[];
  /** a package of this registry's own namespaces (not mirrored, not remote): its maintainers' pages are linked */
  ownPackage?: boolean;
  /** the version before the shown one (for "compare with the previous version") */
  previous: string | undefined;
  install: Array<{ client: string; command: string }>;
  /** counted downloads (UTC days ending today): the package's, and the shown version's over 30 days */
  downloads: { lastDay: number; lastWeek: number; lastMonth: number; shownVersionLastMonth: number };
  /** security advisories its maintainers published, newest first; `affectsShown`: the shown version is in the range */
  advisories: Array<AdvisoryView & { affectsShown: boolean }>;
}

/**
 * The body of a package page (`/www/packages/<ns@host>/<name>` and `/v/<version>`): README,
 * versions, tags, dependencies, dependents, maintainers, install commands, integrity and size.
 * A pure function of the model; every string from a publisher is escaped here.
 */
export function packagePage(model: PackagePageModel): SafeHtml {
  const { fullName, shown } = model;
  return html`<p class="breadcrumbs"><a href="/www/namespaces/${encodeURIComponent(splitFullName(fullName).namespace)}">${splitFullName(fullName).namespace}</a> / ${splitFullName(fullName).name}
    · <span data-testid="shown-version">${shown.version}</span>
    ${model.latest === shown.version ? html`<span class="badge">latest</span>` : ''}
    ${shown.yanked ? html`<span class="badge warn">yanked</span>` : ''}</p>
  ${model.description ? html`<p class="description anywhere">${model.description}</p>` : ''}
  ${shown.deprecated ? html`<p class="error" role="note"><strong>Deprecated:</strong> <span class="anywhere">${shown.deprecated}</span></p>` : ''}
  ${shown.yanked ? html`<p class="error" role="note">This version is yanked: installs that do not name it exactly skip it.</p>` : ''}
  ${affectingNote(model)}
  <nav class="tabs" aria-label="Package">
    <a href="${versionPath(fullName, shown.version)}" aria-current="page">Readme</a>
    <a href="${filesPath(fullName, shown.version)}">Files (${shown.fileCount})</a>
    <a href="${versionsPath(fullName)}">Versions (${model.versionCount})</a>
    ${model.previous ? html`<a href="${diffPath(fullName, model.previous, shown.version)}">Changes since ${model.previous}</a>` : ''}
  </nav>
  <div class="package">
    <article class="readme" aria-label="README">${readmeSection(model)}</article>
    <aside aria-label="About this package">
      ${installSection(model)}
      ${aboutSection(model)}
      ${advisorySection(model)}
      ${downloadSection(model)}
      ${tagSection(model)}
      ${versionSection(model)}
      ${dependencySection(model)}
      ${dependentSection(model)}
      ${maintainerSection(model)}
    </aside>
  </div>`;
}

function affectingNote(model: PackagePageModel): SafeHtml | string {
  const affecting = model.advisories.filter((a) => a.affectsShown);
  if (affecting.length === 0) return '';
  return html`<p class="error" role="note"><strong>Security:</strong> ${affecting.length === 1 ? 'an advisory affects' : `${affecting.length} advisories affect`} this version:
    ${affecting.map((a, i) => html`${i > 0 ? ', ' : ''}<a href="#advisory-${String(a.id)}">${a.title}</a> (${a.severity})`)}.</p>`;
}

/** The advisories its maintainers published (`ds advisory add`): what `npm audit` and `ds audit` report. */
function advisorySection(model: PackagePageModel): SafeHtml | string {
  if (model.advisories.length === 0) return '';
  return html`<section aria-labelledby="advisories-heading">
    <h2 id="advisories-heading">Security advisories</h2>
    <ul class="advisories">
      ${model.advisories.map(
        (a) => html`<li id="advisory-${String(a.id)}">
          <span class="badge${a.severity === 'high' || a.severity === 'critical' ? ' warn' : ''}">${a.severity}</span>
          ${a.url ? html`<a href="${a.url}" rel="nofollow noopener">${a.title}</a>` : html`<span class="anywhere">${a.title}</span>`}
          <br><span class="muted">affects <code>${a.vulnerable_versions}</code>${a.patched_versions ? html`, fixed in <code>${a.patched_versions}</code>` : ', no fix yet'}${a.affectsShown ? ' · affects this version' : ''}</span>
        </li>`,
      )}
    </ul>
  </section>`;
}

function readmeSection(model: PackagePageModel): SafeHtml {
  const { readme } = model;
  switch (readme.state) {
    case 'rendered':
      // sanitised when it was rendered (markdown-it without raw HTML, then sanitize-html)
      return html`<h2 class="visually-hidden">README</h2>${new SafeHtml(readme.html)}`;
    case 'too-large':
      return html`<p>The README is ${formatBytes(readme.bytes)} rendered, too long for this page:
        <a href="${filesPath(model.fullName, model.shown.version, readme.path)}">read it in the file browser</a>.</p>`;
    case 'pending':
      return html`<p class="muted" role="status">The README has not been rendered yet; it will appear here shortly.</p>`;
    case 'none':
      return html`<p class="muted">This version has no README.</p>`;
  }
}

function installSection(model: PackagePageModel): SafeHtml {
  return html`<section aria-labelledby="install-heading">
    <h2 id="install-heading">Install</h2>
    ${model.install.map(
      ({ client, command }) => html`<div class="install">
        <code id="install-${client}" aria-label="${client} install command">${command}</code>
        <button class="copy secondary" type="button" data-copy="install-${client}" aria-label="Copy the ${client} command" hidden>Copy</button>
      </div>`,
    )}
    <p id="copy-status" class="visually-hidden" role="status" aria-live="polite"></p>
  </section>`;
}

function aboutSection(model: PackagePageModel): SafeHtml {
  const { shown } = model;
  const authors =
    shown.signatureCount === 0
      ? ''
      : html` <span class="muted">and ${shown.signatureCount} author signature(s), not verified by this page</span>`;
  const signature = shown.hostKeyId
    ? html`<span class="badge" data-testid="signature">signed by this host</span> <span class="muted">key <code class="anywhere">${shown.hostKeyId}</code>
        (<a href="/-/v1/host">the host's keys</a>; <code>npm audit signatures</code> verifies it)</span>${authors}`
    : html`<span class="badge" data-testid="signature">unsigned</span> <span class="muted">(the integrity above is what clients verify)</span>${authors}`;
  return html`<section aria-labelledby="about-heading">
    <h2 id="about-heading">About ${shown.version}</h2>
    <ul>
      <li>Published ${formatTime(shown.created)}</li>
      <li>Size <span data-testid="size">${formatBytes(shown.totalBytes)}</span> in ${shown.fileCount} files</li>
      ${model.license ? html`<li>License <span class="anywhere">${model.license}</span></li>` : ''}
      ${model.homepage ? html`<li><a href="${model.homepage}" rel="nofollow noopener">Homepage</a></li>` : ''}
      ${model.keywords.length ? html`<li>Keywords: <span class="anywhere">${model.keywords.join(', ')}</span></li>` : ''}
      <li>Integrity <code class="integrity" data-testid="integrity">${shown.integrity}</code></li>
      <li>Signature ${signature}</li>
      ${shown.publishedBy ? html`<li data-testid="published-by">Published from CI by trusted publishing: <span class="anywhere">${publisherLabel(shown.publishedBy)}</span> <span class="muted">(issuer <code class="anywhere">${shown.publishedBy.issuer}</code>)</span></li>` : ''}
      ${(shown.attestations ?? []).map(
        (
          a,
        ) => html`<li data-testid="provenance">Provenance <span class="badge">${a.sigstore ? 'verified with Sigstore' : 'signed, not chained to Sigstore here'}</span>
          ${a.identity ? html`built by <code class="anywhere">${a.identity}</code>` : ''}
          <span class="muted">(<a href="${a.url}">${a.predicateType}</a>)</span></li>`,
      )}
    </ul>
  </section>`;
}

/** The repository and workflow a trusted publisher's claims name, or its subject. */
function publisherLabel(identity: { claims: Record<string, string> }): string {
  const { claims } = identity;
  const where = claims.repository ?? claims.project_path ?? claims.sub ?? '';
  const workflow = claims.workflow_ref ?? claims.job_workflow_ref ?? claims.ci_config_ref_uri;
  return workflow ? `${where} · ${workflow}` : where;
}

function downloadSection(model: PackagePageModel): SafeHtml {
  const { downloads } = model;
  const count = (n: number) => n.toLocaleString('en-US');
  return html`<section aria-labelledby="downloads-heading">
    <h2 id="downloads-heading">Downloads</h2>
    <ul data-testid="downloads">
      <li>Today <span data-testid="downloads-day">${count(downloads.lastDay)}</span></li>
      <li>Last 7 days <span data-testid="downloads-week">${count(downloads.lastWeek)}</span></li>
      <li>Last 30 days <span data-testid="downloads-month">${count(downloads.lastMonth)}</span>
        (${model.shown.version}: <span data-testid="downloads-version">${count(downloads.shownVersionLastMonth)}</span>)</li>
    </ul>
  </section>`;
}

function tagSection(model: PackagePageModel): SafeHtml | string {
  if (model.tags.length === 0) return '';
  return html`<section aria-labelledby="tags-heading">
    <h2 id="tags-heading">Tags</h2>
    <ul>${model.tags.map(([tag, version]) => html`<li>${tag}: <a href="${versionPath(model.fullName, version)}">${version}</a></li>`)}</ul>
  </section>`;
}

function versionSection(model: PackagePageModel): SafeHtml {
  return html`<section aria-labelledby="versions-heading">
    <h2 id="versions-heading">Versions</h2>
    ${versionList(model.fullName, model.versions)}
    ${model.versionCount > model.versions.length ? html`<p><a href="${versionsPath(model.fullName)}">All ${model.versionCount} versions</a></p>` : ''}
  </section>`;
}

/** Versions with their publish dates; yanked ones marked, deprecations quoted. Also the versions page's body. */
export function versionList(fullName: string, versions: VersionLine[]): SafeHtml {
  return html`<ul class="version-list" data-testid="versions">${versions.map(
    (v) => html`<li data-version="${v.version}"><a href="${versionPath(fullName, v.version)}">${v.version}</a>
      <span class="muted">${formatTime(v.created)}</span>
      ${v.yanked ? html`<span class="badge warn">yanked</span>` : ''}
      ${v.deprecated ? html`<span class="badge warn" title="${v.deprecated}">deprecated</span><span class="visually-hidden">: ${v.deprecated}</span>` : ''}</li>`,
  )}</ul>`;
}

function dependencySection(model: PackagePageModel): SafeHtml {
  const groups = model.dependencies.filter((g) => g.entries.length > 0);
  return html`<section aria-labelledby="dependencies-heading">
    <h2 id="dependencies-heading">Dependencies</h2>
    ${groups.length === 0 ? html`<p class="muted">None.</p>` : ''}
    ${groups.map(
      (group) => html`<h3 class="muted">${group.label} (${group.entries.length})</h3>
        <ul data-testid="${group.label}">${group.entries.map(
          ([name, range]) => html`<li><a href="${packagePath(name)}">${displayName(name)}</a> <code>${range}</code></li>`,
        )}</ul>`,
    )}
  </section>`;
}

function dependentSection(model: PackagePageModel): SafeHtml {
  return html`<section aria-labelledby="dependents-heading">
    <h2 id="dependents-heading">Dependents</h2>
    ${
      model.dependents.length === 0
        ? html`<p class="muted">No package here depends on it.</p>`
        : html`<ul data-testid="dependents">${model.dependents.map((name) => html`<li><a href="${packagePath(name)}">${displayName(name)}</a></li>`)}</ul>
          ${model.dependentsMore ? html`<p class="muted">and more…</p>` : ''}`
    }
  </section>`;
}

function maintainerSection(model: PackagePageModel): SafeHtml {
  return html`<section aria-labelledby="maintainers-heading">
    <h2 id="maintainers-heading">Maintainers</h2>
    <ul data-testid="maintainers">${model.maintainers.map(
      (ns) => html`<li><a href="/www/namespaces/${encodeURIComponent(ns)}">${ns}</a></li>`,
    )}</ul>
    ${
      model.ownPackage
        ? html`<p class="muted">For maintainers: <a href="${packagePath(model.fullName)}/trusted-publishers">trusted publishers</a> (CI publishing without a token)</p>`
        : ''
    }
  </section>`;
}

/** `ns@host/name` shown with the name decoded (`legacy@host/@types/node`). */
export function displayName(fullName: string): string {
  const { namespace, name } = splitFullName(fullName);
  return `${namespace}/${name}`;
}
