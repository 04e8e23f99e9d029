import {
  type AdvisoryView,
  type CoreDeps,
  fullName,
  getPackageDocument,
  getVersionDocument,
  getVersionSupplyChain,
  listAdvisories,
  listDependents,
  listMaintainers,
  listVersionHistory,
  MAX_README_BYTES,
  type PackageRef,
  readmeRank,
  renderReadme,
  summarizePackageDownloads,
  type VersionHistoryEntry,
} from '@entropic/core';
import { appError, type Integrity, LEGACY, npmNameOf, type Version, type VersionDocument } from '@entropic/types';
import { LRUCache } from 'lru-cache';
import semver from 'semver';
import type { DependencyGroup, PackagePageModel, ReadmeState } from './views/package-page.ts';

/** The package page's bounds: enough to be useful, small enough to stay well under 100 KB. */
export const PAGE_LIMITS = {
  versions: 30,
  dependents: 30,
  maintainers: 50,
  /** rendered README HTML shown inline; a longer one is linked to the file browser */
  readmeBytes: 60 * 1024,
  /** a package.json read for its description (a larger one is not read) */
  manifestBytes: 256 * 1024,
  keywords: 20,
  textChars: 300,
};

/** The default version of a package: `latest`, else the highest one that is not yanked, else the highest. */
export function defaultVersion(history: VersionHistoryEntry[], latest: string | undefined): string | undefined {
  if (latest && history.some((v) => v.version === latest)) return latest;
  return (history.find((v) => !v.yanked) ?? history[0])?.version;
}

/** Everything the package page shows, through the same use cases as the API. */
export async function loadPackagePage(
  deps: CoreDeps,
  ref: PackageRef,
  version: Version | undefined,
  hostKeyId?: string,
): Promise<PackagePageModel> {
  const [doc, history] = await Promise.all([getPackageDocument(deps, { ref }), listVersionHistory(deps, { ref })]);
  const chosen = version ?? defaultVersion(history, doc.tags.latest);
  if (!chosen) throw appError('VERSION_NOT_FOUND', `The package "${fullName(ref)}" has no versions yet.`);
  const [versionDoc, dependents, maintainers, downloads, supplyChain, advisories] = await Promise.all([
    getVersionDocument(deps, { ref, version: chosen as Version }),
    listDependents(deps, { ref, limit: PAGE_LIMITS.dependents + 1 }),
    listMaintainers(deps, { ref, limit: String(PAGE_LIMITS.maintainers) }),
    summarizePackageDownloads(deps, { ref }),
    getVersionSupplyChain(deps, { ref, version: chosen }),
    listAdvisories(deps, { ref }),
  ]);
  const entry = history.find((v) => v.version === chosen) as VersionHistoryEntry;
  const [manifest, readme] = await Promise.all([
    readManifest(deps, versionDoc),
    readmeOf(deps, versionDoc, ref.namespace === LEGACY && ref.host === deps.host),
  ]);
  const index = history.indexOf(entry);
  return {
    fullName: doc.name,
    explicitVersion: version !== undefined,
    shown: {
      ...entry,
      signatureCount: versionDoc.signatures.length,
      hostKeyId,
      publishedBy: supplyChain.publishedBy,
      attestations: supplyChain.attestations.map((a) => ({
        predicateType: a.predicateType,
        identity: a.verification.identity,
        signature: a.verification.signature,
        sigstore: a.verification.sigstore,
        url: `/-/npm/v1/attestations/${npmNameOf(ref, deps.host)}@${chosen}`,
      })),
    },
    latest: doc.tags.latest,
    ...manifest,
    readme,
    versions: history.slice(0, PAGE_LIMITS.versions),
    versionCount: history.length,
    tags: Object.entries(doc.tags).sort(([a], [b]) => (a === 'latest' ? -1 : b === 'latest' ? 1 : a.localeCompare(b))),
    dependencies: dependencyGroups(versionDoc),
    dependents: dependents.slice(0, PAGE_LIMITS.dependents),
    dependentsMore: dependents.length > PAGE_LIMITS.dependents,
    maintainers: maintainers.objects,
    ownPackage: ref.host === deps.host && ref.namespace !== LEGACY,
    previous: history.slice(index + 1).find((v) => !v.yanked)?.version ?? history[index + 1]?.version,
    downloads: {
      lastDay: downloads.lastDay,
      lastWeek: downloads.lastWeek,
      lastMonth: downloads.lastMonth,
      shownVersionLastMonth: downloads.versions[chosen] ?? 0,
    },
    install: installCommands(ref, deps.host, version === undefined || chosen === doc.tags.latest ? undefined : chosen),
    advisories: advisories.map((advisory) => ({ ...advisory, affectsShown: affects(chosen, advisory) })),
  };
}

function affects(version: string, advisory: AdvisoryView): boolean {
  try {
    return semver.satisfies(version, advisory.vulnerable_versions, { includePrerelease: true });
  } catch {
    return false;
  }
}

function dependencyGroups(doc: VersionDocument): DependencyGroup[] {
  const sorted = (map: Record<string, string>) => Object.entries(map).sort(([a], [b]) => a.localeCompare(b));
  return [
    { label: 'Runtime', entries: sorted(doc.dependencies) },
    { label: 'Peer', entries: sorted(doc.peerDependencies) },
    { label: 'Optional', entries: sorted(doc.optionalDependencies) },
    { label: 'Development', entries: sorted(doc.devDependencies) },
  ];
}

/** The install command for each client; npm, pnpm and yarn only reach this registry's own host. */
export function installCommands(ref: PackageRef, localHost: string, version: string | undefined): PackagePageModel['install'] {
  const at = version ? `@${version}` : '';
  const dsName =
    ref.namespace === LEGACY && ref.host === localHost
      ? ref.name
      : ref.host === localHost
        ? `${ref.namespace}/${ref.name}`
        : `${ref.namespace}@${ref.host}/${ref.name}`;
  const commands = [{ client: 'ds', command: `ds install ${dsName}${at}` }];
  if (ref.host !== localHost) return commands;
  const npmName = npmNameOf(ref, ref.host as never);
  return commands.concat([
    { client: 'npm', command: `npm install ${npmName}${at}` },
    { client: 'pnpm', command: `pnpm add ${npmName}${at}` },
    { client: 'yarn', command: `yarn add ${npmName}${at}` },
  ]);
}

type Manifest = Pick<PackagePageModel, 'description' | 'keywords' | 'license' | 'homepage'>;

/** Description, keywords, license and homepage from the version's package.json (bounded; a broken one shows nothing). */
async function readManifest(deps: CoreDeps, doc: VersionDocument): Promise<Manifest> {
  const empty: Manifest = { description: undefined, keywords: [], license: undefined, homepage: undefined };
  const integrity = doc.files['./package/package.json'];
  if (!integrity) return empty;
  const info = await deps.blobs.stat(integrity as Integrity);
  if (!info || info.size > PAGE_LIMITS.manifestBytes) return empty;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse((await deps.blobs.getBytes(integrity as Integrity))?.toString('utf8') ?? '');
  } catch {
    return empty;
  }
  if (typeof json !== 'object' || json === null) return empty;
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim().slice(0, PAGE_LIMITS.textChars) : undefined);
  const homepage = text(json.homepage);
  return {
    description: text(json.description),
    keywords: Array.isArray(json.keywords) ? json.keywords.flatMap((k) => text(k) ?? []).slice(0, PAGE_LIMITS.keywords) : [],
    license: text(json.license),
    // only web links: a javascript: URL never becomes a link
    homepage: homepage && /^https?:\/\//i.test(homepage) ? homepage : undefined,
  };
}

/** READMEs of mirrored versions rendered for their pages, by the source's integrity (bounded in characters). */
const MIRRORED_READMES = new LRUCache<string, string>({ maxSize: 4 * 1024 * 1024, sizeCalculation: (html) => Math.max(1, html.length) });

/**
 * The rendered README (derived at publish, or by the job queue later), or why there is none. A
 * version the legacy mirror stored has no derived README (mirroring renders none): it is rendered
 * here when its page is shown, within the same bounds.
 */
async function readmeOf(deps: CoreDeps, doc: VersionDocument, mirrored: boolean): Promise<ReadmeState> {
  const source = Object.keys(doc.files)
    .filter((path) => readmeRank(path) !== undefined)
    .sort((a, b) => (readmeRank(a) as number) - (readmeRank(b) as number))[0];
  const rendered = doc.derivedFiles['./readme.html'];
  if (!rendered && source && mirrored) return renderMirroredReadme(deps, doc.files[source] as string, source);
  if (!rendered) return source ? { state: 'pending' } : { state: 'none' };
  const info = await deps.blobs.stat(rendered as Integrity);
  if (!info) return { state: 'pending' };
  if (info.size > PAGE_LIMITS.readmeBytes)
    return { state: 'too-large', bytes: info.size, path: (source ?? '').replace(/^\.\/package\//, '') };
  const bytes = await deps.blobs.getBytes(rendered as Integrity);
  return bytes ? { state: 'rendered', html: bytes.toString('utf8') } : { state: 'pending' };
}

/** A mirrored version's README, rendered when its page is shown (never stored: it is as cheap to render again). */
async function renderMirroredReadme(deps: CoreDeps, integrity: string, source: string): Promise<ReadmeState> {
  const path = source.replace(/^\.\/package\//, '');
  let html = MIRRORED_READMES.get(integrity);
  if (html === undefined) {
    const info = await deps.blobs.stat(integrity as Integrity);
    if (!info) return { state: 'pending' };
    if (info.size > MAX_README_BYTES) return { state: 'too-large', bytes: info.size, path };
    const bytes = await deps.blobs.getBytes(integrity as Integrity);
    if (!bytes) return { state: 'pending' };
    html = renderReadme(bytes.toString('utf8'));
    MIRRORED_READMES.set(integrity, html);
  }
  const size = Buffer.byteLength(html);
  return size > PAGE_LIMITS.readmeBytes ? { state: 'too-large', bytes: size, path } : { state: 'rendered', html };
}
