import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { PackageDocument, VersionDocument } from '@entropic/types';
import { ClientError } from './client-error.ts';
import { freshSeconds, type JsonCalls, ns, parseJson } from './json-calls.ts';
import type { MultipartBody } from './multipart-body.ts';
import { type PackageRef, packagePath } from './package-ref.ts';

export interface CachedPackageDocument {
  document: PackageDocument;
  etag: string | undefined;
  /** seconds the answer stays fresh (Cache-Control max-age less Age; 0 with no-cache or no-store) */
  maxAge: number;
}

/** The answer to a revalidation whose ETag still matched: the cached document stays, fresh for `maxAge` more. */
export interface NotModified {
  notModified: true;
  maxAge: number;
}

export interface PublishOptions {
  body: MultipartBody;
  /** gzip the request body (Content-Encoding: gzip). */
  compress?: boolean;
}

/** `GET|PUT /packages/package/:ns/:name/access` (docs/private-packages.md). */
interface PackageVisibility {
  private: boolean;
  package_private: boolean;
  namespace_private: boolean;
}

/** A security advisory of a local package (`GET …/advisories`). */
export interface Advisory {
  id: number;
  title: string;
  severity: 'info' | 'low' | 'moderate' | 'high' | 'critical';
  vulnerable_versions: string;
  patched_versions: string | null;
  url: string | null;
  cwe: string[];
  cvss: { score: number; vectorString: string | null } | null;
  created: string;
}

/** What a maintainer sends to publish one. */
export interface NewAdvisory {
  title: string;
  severity: string;
  vulnerable_versions: string;
  patched_versions?: string;
  url?: string;
  cwe?: string[];
  cvss?: { score: number; vectorString?: string };
}

/** One entry of npm's bulk advisories answer (`POST /-/npm/v1/security/advisories/bulk`). */
export interface BulkAdvisory {
  id: number;
  url: string;
  title: string;
  severity: string;
  vulnerable_versions: string;
  cwe?: string[];
  cvss?: { score: number; vectorString: string | null };
}

/** A CI identity allowed to publish a package: an OpenID Connect issuer and exact claims. */
export interface TrustedPublisher {
  id: string;
  issuer: string;
  claims: Record<string, string>;
  createdBy: string;
  created: string;
}

/** Packages, versions (publish included), dist-tags and maintainers. */
export function packageCalls({ transport, json, empty, allPages }: JsonCalls) {
  const versionPath = (ref: PackageRef, version: string) => `${packagePath(ref)}/versions/${encodeURIComponent(version)}`;
  const tagPath = (ref: PackageRef, tag: string) => `${packagePath(ref)}/dist-tags/${encodeURIComponent(tag)}`;
  const maintainerPath = (ref: PackageRef, invitee: string) => `${packagePath(ref)}/maintainers/${encodeURIComponent(invitee)}`;
  return {
    listPackages(): Promise<unknown[]> {
      return allPages<unknown>('/packages');
    },

    packagesAuthoredBy(namespace: string, host: string): Promise<unknown[]> {
      return allPages<unknown>(`/packages/authored-by/${ns(namespace, host)}`);
    },

    packagesMaintainedBy(namespace: string, host: string): Promise<unknown[]> {
      return allPages<unknown>(`/packages/maintained-by/${ns(namespace, host)}`);
    },

    /** The package document, or NotModified when `etag` still matches (304); both say how long they stay fresh. */
    async getPackage(ref: PackageRef, etag?: string): Promise<CachedPackageDocument | NotModified> {
      // reads send the token when there is one: a private package is read with read access (docs/private-packages.md)
      const raw = await transport.send(packagePath(ref), { accept: [304], headers: etag ? { 'if-none-match': etag } : {} });
      if (raw.status === 304) {
        await raw.body.dump();
        return { notModified: true, maxAge: freshSeconds(raw.headers) };
      }
      const document = (await parseJson(raw)) as PackageDocument;
      if (typeof document !== 'object' || document === null || typeof document.versions !== 'object' || typeof document.tags !== 'object') {
        throw new ClientError('INVALID_RESPONSE', `The registry sent a malformed package document for ${ref.namespace}/${ref.name}.`);
      }
      return { document, etag: raw.headers.get('etag') ?? undefined, maxAge: freshSeconds(raw.headers) };
    },

    getVersion(ref: PackageRef, version: string): Promise<VersionDocument> {
      return json<VersionDocument>(versionPath(ref, version));
    },

    async publish(ref: PackageRef, version: string, publish: PublishOptions): Promise<VersionDocument> {
      const source = Readable.from(publish.body.stream(), { objectMode: false });
      const body = publish.compress ? source.pipe(createGzip({ level: 6 })) : source;
      source.on('error', (error) => body.destroy(error));
      const headers: Record<string, string> = { 'content-type': publish.body.contentType };
      if (publish.compress) headers['content-encoding'] = 'gzip';
      return json<VersionDocument>(versionPath(ref, version), { method: 'PUT', body, headers });
    },

    yank(ref: PackageRef, version: string): Promise<void> {
      return empty(versionPath(ref, version), { method: 'DELETE' });
    },

    abandon(ref: PackageRef): Promise<void> {
      return empty(packagePath(ref), { method: 'DELETE' });
    },

    getTags(ref: PackageRef): Promise<Record<string, string>> {
      return json<Record<string, string>>(`${packagePath(ref)}/dist-tags`);
    },

    setTag(ref: PackageRef, tag: string, version: string): Promise<void> {
      return empty(tagPath(ref, tag), { method: 'PUT', json: { version } });
    },

    removeTag(ref: PackageRef, tag: string): Promise<void> {
      return empty(tagPath(ref, tag), { method: 'DELETE' });
    },

    listAdvisories(ref: PackageRef): Promise<Advisory[]> {
      return json<Advisory[]>(`${packagePath(ref)}/advisories`);
    },

    addAdvisory(ref: PackageRef, advisory: NewAdvisory): Promise<Advisory> {
      return json<Advisory>(`${packagePath(ref)}/advisories`, { method: 'POST', json: advisory });
    },

    removeAdvisory(ref: PackageRef, id: number): Promise<void> {
      return empty(`${packagePath(ref)}/advisories/${id}`, { method: 'DELETE' });
    },

    /** What `npm audit` asks: npm name → installed versions, answered npm name → advisories affecting them. */
    auditBulk(query: Record<string, string[]>): Promise<Record<string, BulkAdvisory[]>> {
      return json<Record<string, BulkAdvisory[]>>('/-/npm/v1/security/advisories/bulk', { method: 'POST', json: query });
    },

    listMaintainers(ref: PackageRef): Promise<unknown> {
      return json<unknown>(`${packagePath(ref)}/maintainers`);
    },

    inviteMaintainer(ref: PackageRef, invitee: string): Promise<{ message?: string }> {
      return json<{ message?: string }>(maintainerPath(ref, invitee), { method: 'POST' });
    },

    removeMaintainer(ref: PackageRef, invitee: string): Promise<{ message?: string }> {
      return json<{ message?: string }>(maintainerPath(ref, invitee), { method: 'DELETE' });
    },

    /** The CI identities allowed to publish the package (a maintainer's view; issue 10.2). */
    listTrustedPublishers(ref: PackageRef): Promise<{ objects: TrustedPublisher[] }> {
      return json<{ objects: TrustedPublisher[] }>(`${packagePath(ref)}/trusted-publishers`);
    },

    addTrustedPublisher(ref: PackageRef, publisher: { issuer: string; claims: Record<string, string> }): Promise<TrustedPublisher> {
      return json<TrustedPublisher>(`${packagePath(ref)}/trusted-publishers`, { method: 'POST', json: publisher });
    },

    removeTrustedPublisher(ref: PackageRef, id: string): Promise<void> {
      return empty(`${packagePath(ref)}/trusted-publishers/${encodeURIComponent(id)}`, { method: 'DELETE' });
    },

    /** Whether the package is private (its own setting, or its namespace's). */
    getPackageVisibility(ref: PackageRef): Promise<PackageVisibility> {
      return json<PackageVisibility>(`${packagePath(ref)}/access`);
    },

    setPackageVisibility(ref: PackageRef, isPrivate: boolean): Promise<PackageVisibility> {
      return json<PackageVisibility>(`${packagePath(ref)}/access`, { method: 'PUT', json: { private: isPrivate } });
    },
  };
}
