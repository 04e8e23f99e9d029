import type { FileChange, FileContent, FileDiff, TreeEntry } from '../file-browser-model.ts';
import { html, SafeHtml } from '../html.ts';
import { formatBytes } from './format-bytes.ts';
import { highlightCode, languageOf } from './highlight-code.ts';
import { diffPath, filesPath, objectPath, packagePath, versionPath } from './package-links.ts';
import { displayName } from './package-page.ts';

/** Where a file page is: the package, the version, the path under the package root. */
export interface FileLocation {
  fullName: string;
  version: string;
  path: string;
}

/** `alice/lib` › `1.0.0` › `lib` › `index.js`, each a link but the last. */
function breadcrumbs(at: FileLocation): SafeHtml {
  const segments = at.path === '' ? [] : at.path.split('/');
  const parts = segments.map((segment, i) => {
    const path = segments.slice(0, i + 1).join('/');
    return i === segments.length - 1
      ? html`<span aria-current="page">${segment}</span>`
      : html`<a href="${filesPath(at.fullName, at.version, path)}">${segment}</a>`;
  });
  return html`<nav class="breadcrumbs anywhere" aria-label="Path">
    <a href="${packagePath(at.fullName)}">${displayName(at.fullName)}</a> ›
    <a href="${versionPath(at.fullName, at.version)}">${at.version}</a> ›
    ${segments.length === 0 ? html`<span aria-current="page">files</span>` : html`<a href="${filesPath(at.fullName, at.version)}">files</a>`}
    ${parts.map((part) => html` › ${part}`)}
  </nav>`;
}

/** A directory of a version: its subdirectories and files. */
export function directoryPage(at: FileLocation, listing: { entries: TreeEntry[]; more: number }, fileCount: number): SafeHtml {
  return html`${breadcrumbs(at)}
    <p class="muted">${fileCount} files in this version.</p>
    <ul class="tree card" data-testid="tree">${listing.entries.map(
      (entry) => html`<li>
        <a href="${filesPath(at.fullName, at.version, entry.path)}">${entry.name}${entry.kind === 'dir' ? '/' : ''}</a>
        <span class="muted">${entry.kind === 'dir' ? `${entry.fileCount} files` : html`<code>${(entry.integrity ?? '').slice(7, 19)}</code>`}</span>
      </li>`,
    )}</ul>
    ${listing.more > 0 ? html`<p class="muted">and ${listing.more} more entries, not listed.</p>` : ''}`;
}

export interface FilePageModel extends FileLocation {
  integrity: string;
  size: number;
  content: FileContent;
  /** rendered (sanitised) Markdown, when the file is Markdown and the source was not asked for */
  markdownHtml: string | undefined;
}

/** One file: size, hash, raw link, and its content highlighted (or rendered, for Markdown). */
export function filePage(model: FilePageModel): SafeHtml {
  const isMarkdown = languageOf(model.path) === 'markdown';
  return html`${breadcrumbs(model)}
    <div class="file-meta card">
      <span>Size <span data-testid="file-size">${formatBytes(model.size)}</span></span>
      <span>Integrity <code class="integrity" data-testid="file-integrity">${model.integrity}</code></span>
      <a href="${objectPath(model.integrity)}">Raw</a>
      ${isMarkdown && model.content.kind === 'text' ? (model.markdownHtml === undefined ? html`<a href="?">Rendered</a>` : html`<a href="?source=1">Source</a>`) : ''}
    </div>
    ${fileContent(model)}`;
}

function fileContent(model: FilePageModel): SafeHtml {
  const { content } = model;
  if (content.kind === 'binary') return html`<p class="notice" role="note">This is a binary file: use the raw link to download it.</p>`;
  if (content.kind === 'too-large')
    return html`<p class="notice" role="note">This file is ${formatBytes(model.size)}, too large to show here: use the raw link.</p>`;
  if (model.markdownHtml !== undefined)
    return html`<article class="readme card" data-testid="markdown">${new SafeHtml(model.markdownHtml)}</article>`;
  const language = languageOf(model.path);
  return html`<pre class="code" data-testid="code"${language ? html` data-language="${language}"` : ''} tabindex="0" aria-label="Contents of ${model.path}"><code>${highlightCode(content.text, language)}</code></pre>`;
}

export interface DiffPageModel {
  fullName: string;
  from: string;
  to: string;
  unchanged: number;
  /** each change, with its line diff when it was computed */
  files: Array<{ change: FileChange; diff: FileDiff }>;
}

/** The files whose hashes differ between two versions, each with a line diff (bounded). */
export function diffPage(model: DiffPageModel): SafeHtml {
  const { fullName, from, to } = model;
  return html`<p class="breadcrumbs"><a href="${packagePath(fullName)}">${displayName(fullName)}</a> ›
      <a href="${versionPath(fullName, from)}">${from}</a> → <a href="${versionPath(fullName, to)}">${to}</a>
      · <a href="${diffPath(fullName, to, from)}">swap</a></p>
    <p data-testid="diff-summary">${model.files.length} files differ; ${model.unchanged} are the same in both (same hash, not compared).</p>
    ${
      model.files.length
        ? html`<ul class="tree card">${model.files.map(
            ({ change }, i) => html`<li><a href="#file-${i}">${change.path}</a> <span class="badge">${change.kind}</span></li>`,
          )}</ul>`
        : ''
    }
    ${model.files.map(({ change, diff }, i) => diffSection(model, change, diff, i))}`;
}

function diffSection(model: DiffPageModel, change: FileChange, diff: FileDiff, index: number): SafeHtml {
  const version = change.kind === 'removed' ? model.from : model.to;
  return html`<section class="diff-file" id="file-${index}" aria-labelledby="file-${index}-name">
    <h3 id="file-${index}-name"><a href="${filesPath(model.fullName, version, change.path)}">${change.path}</a> <span class="badge">${change.kind}</span></h3>
    ${diffBody(diff)}
  </section>`;
}

function diffBody(diff: FileDiff): SafeHtml {
  switch (diff.kind) {
    case 'binary':
      return html`<p class="muted">Binary files differ.</p>`;
    case 'too-large':
      return html`<p class="muted">Too large to compare here.</p>`;
    case 'too-many-changes':
      return html`<p class="muted">Too many changes to show.</p>`;
    case 'not-shown':
      return html`<p class="muted">Not compared on this page (too many files changed): open the file.</p>`;
    case 'hunks':
      return html`<pre class="diff" data-testid="diff" tabindex="0" aria-label="Line changes">${diff.hunks.map(
        (hunk) => html`<span class="gap">@@ -${hunk.oldStart} +${hunk.newStart} @@</span>${hunk.lines.map((line) => diffLine(line))}`,
      )}</pre>`;
  }
}

function diffLine(line: string): SafeHtml {
  const sign = line[0];
  if (sign === '+') return html`<span class="add"><span class="visually-hidden">added: </span>${line}</span>`;
  if (sign === '-') return html`<span class="del"><span class="visually-hidden">removed: </span>${line}</span>`;
  if (sign === '\\') return html`<span class="gap">${line}</span>`;
  return html`<span>${line}</span>`;
}
