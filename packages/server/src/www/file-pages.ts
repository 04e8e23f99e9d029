import { type CoreDeps, getVersionDocument, type PackageRef, renderReadme } from '@entropic/core';
import { appError, formatPackageName, parseVersion, type Version } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { type PackageParams, parsePackageRef } from '../routes/refs.ts';
import {
  changedFiles,
  diffBlobs,
  FILE_LIMITS,
  type FileDiff,
  listDirectory,
  locate,
  packageFiles,
  readFileContent,
} from './file-browser-model.ts';
import { SafeHtml } from './html.ts';
import { type PageBody, sendPackagePage, withPackageNotFoundPage } from './package-pages.ts';
import { type DiffPageModel, diffPage, directoryPage, filePage } from './views/file-page.ts';
import { displayName } from './views/package-page.ts';
import { configureWebsiteScope } from './website-scope.ts';

type FileParams = PackageParams & { version: string; '*'?: string };

/**
 * Rendered file, directory and diff pages by content: each depends only on immutable documents
 * and bytes (a version document's or a file's integrity, the path, the view), nothing a domain
 * event changes, so they are kept by what they show, bounded in bytes (32 MB).
 */
const CONTENT_PAGE_CACHE = new LRUCache<string, string>({ maxSize: 32 * 1024 * 1024, sizeCalculation: (value) => value.length + 1 });

function cachedByContent(key: string, render: () => SafeHtml): SafeHtml {
  const hit = CONTENT_PAGE_CACHE.get(key);
  if (hit !== undefined) return new SafeHtml(hit);
  const body = render();
  CONTENT_PAGE_CACHE.set(key, body.value);
  return body;
}

/**
 * The file browser (`/v/:version/files[/path]`: directories, and files highlighted, or rendered
 * when Markdown) and diffs of two versions (`/diff/:from..:to`: only files whose hashes differ).
 */
export function registerFilePages(app: FastifyInstance): void {
  app.register(
    async (www) => {
      configureWebsiteScope(www);
      const deps: CoreDeps = www.deps;
      const base = '/packages/:namespace/:name';

      const filesHandler = async (
        request: FastifyRequest<{ Params: FileParams; Querystring: { source?: string } }>,
        reply: FastifyReply,
      ) => {
        const ref = parsePackageRef(request.params, deps.host);
        const version = parseVersion(request.params.version);
        const path = normalisePath(request.params['*'] ?? '');
        const source = request.query.source !== undefined;
        const page = await withPackageNotFoundPage(ref, deps.host, async () => {
          await www.packageReads.assert(request, ref);
          const doc = await getVersionDocument(deps, { ref, version });
          const files = packageFiles(doc.files);
          const found = locate(files, path);
          if (!found) throw appError('NOT_FOUND', `${displayName(doc.name)}@${version} has no file or directory "${path}".`);
          const at = { fullName: doc.name, version, path };
          const title = `${path || 'Files'} · ${displayName(doc.name)}@${version}`;
          if (found.kind === 'dir') {
            return {
              title,
              body: cachedByContent(`tree\n${doc.integrity}\n${doc.name}\n${path}`, () =>
                directoryPage(at, listDirectory(files, path), files.size),
              ),
            };
          }
          return { title, body: await renderFile(deps, { ...at, integrity: found.integrity }, source) };
        });
        return sendPackagePage(request, reply, page);
      };
      www.get<{ Params: FileParams; Querystring: { source?: string } }>(`${base}/v/:version/files`, filesHandler);
      www.get<{ Params: FileParams; Querystring: { source?: string } }>(`${base}/v/:version/files/*`, filesHandler);

      www.get<{ Params: PackageParams & { range: string } }>(`${base}/diff/:range`, async (request, reply) => {
        const ref = parsePackageRef(request.params, deps.host);
        const [from, to] = parseRange(request.params.range);
        const page = await withPackageNotFoundPage(ref, deps.host, async () => {
          await www.packageReads.assert(request, ref);
          return loadDiffPage(deps, ref, from, to);
        });
        return sendPackagePage(request, reply, page);
      });
    },
    { prefix: '/www' },
  );
}

/** A file's page, from the content-keyed cache or rendered (Markdown through the README renderer). */
async function renderFile(
  deps: CoreDeps,
  at: { fullName: string; version: string; path: string; integrity: string },
  source: boolean,
): Promise<SafeHtml> {
  const key = `file\n${at.integrity}\n${at.fullName}\n${at.version}\n${at.path}\n${source}`;
  const hit = CONTENT_PAGE_CACHE.get(key);
  if (hit !== undefined) return new SafeHtml(hit);
  const { size, content } = await readFileContent(deps.blobs, at.integrity, FILE_LIMITS.viewBytes);
  const markdown = !source && content.kind === 'text' && /\.(md|markdown)$/i.test(at.path) ? renderReadme(content.text) : undefined;
  const body = filePage({ ...at, size, content, markdownHtml: markdown });
  CONTENT_PAGE_CACHE.set(key, body.value);
  return body;
}

async function loadDiffPage(deps: CoreDeps, ref: PackageRef, from: Version, to: Version): Promise<PageBody> {
  const [a, b] = await Promise.all([getVersionDocument(deps, { ref, version: from }), getVersionDocument(deps, { ref, version: to })]);
  const name = formatPackageName(ref);
  const title = `${displayName(name)}: ${from} → ${to}`;
  const key = `diff\n${a.integrity}\n${b.integrity}\n${name}`;
  const hit = CONTENT_PAGE_CACHE.get(key);
  if (hit !== undefined) return { title, body: new SafeHtml(hit) };
  const { changes, unchanged } = changedFiles(packageFiles(a.files), packageFiles(b.files));
  const files: DiffPageModel['files'] = [];
  // a few at a time: each diff reads two blobs
  for (let i = 0; i < changes.length; i += 8) {
    const batch = changes.slice(i, i + 8);
    const diffs = await Promise.all(
      batch.map(
        (change, j): Promise<FileDiff> =>
          i + j >= FILE_LIMITS.diffFiles
            ? Promise.resolve({ kind: 'not-shown' })
            : diffBlobs(deps.blobs, change.kind === 'added' ? undefined : change.from, change.kind === 'removed' ? undefined : change.to),
      ),
    );
    batch.forEach((change, j) => {
      files.push({ change, diff: diffs[j] as FileDiff });
    });
  }
  const body = diffPage({ fullName: name, from, to, unchanged, files });
  CONTENT_PAGE_CACHE.set(key, body.value);
  return { title, body };
}

/** `1.0.0..1.1.0` → the two versions. */
function parseRange(range: string): [Version, Version] {
  const at = range.indexOf('..');
  if (at === -1) throw appError('BAD_REQUEST', 'Compare two versions as <from>..<to>, e.g. 1.0.0..1.1.0.');
  return [parseVersion(range.slice(0, at)), parseVersion(range.slice(at + 2))];
}

/** The path under the package root, without a trailing slash; `.` and `..` segments name nothing. */
function normalisePath(raw: string): string {
  const path = raw.replace(/\/+$/, '');
  if (path.length > 1024 || path.split('/').some((s) => s === '.' || s === '..' || s === '')) {
    if (path !== '') throw appError('NOT_FOUND', 'There is no such file.');
  }
  return path;
}
