import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import semver from 'semver';

type Json = Record<string, unknown>;

export interface NpmUpstream {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** GET requests received by path (`/name`, `/@scope/name`, `/name/-/name-1.0.0.tgz`; compared decoded), 304s included */
  requests(path: string): number;
  /** Every request received, in order: `<status> <path>` */
  log: string[];
  /** Adds a version (a packument is created for a new name); its `dist` is computed from the bytes. */
  publish(name: string, version: string, tarball: Buffer, manifest?: Json): void;
  /** The upstream unpublishes one version (its tarball 404s too; `latest` moves to the newest left). */
  removeVersion(name: string, version: string): void;
  /** The upstream unpublishes the whole package: its packument and tarballs 404. */
  removePackage(name: string): void;
  /**
   * Publishes a security advisory, served by `POST /-/npm/v1/security/advisories/bulk` (as the
   * npm registry: for each name asked, the advisories whose range covers a version asked).
   */
  advise(name: string, advisory: UpstreamAdvisory): void;
  /** the bodies of the advisory requests received, parsed (gunzipped first when gzip-encoded) */
  advisoryRequests: Json[];
  /** Every answer waits this long first (a slow upstream). */
  delayMs: number;
  /** Answer 200 even to a matching If-None-Match, as Verdaccio 6.8.0 does (the ETag is still sent). */
  ignoreIfNoneMatch: boolean;
  stop(): Promise<void>;
}

/** An advisory as the npm registry's bulk endpoint answers it. */
export interface UpstreamAdvisory {
  id: number;
  url: string;
  title: string;
  severity: 'info' | 'low' | 'moderate' | 'high' | 'critical';
  vulnerable_versions: string;
  cwe: string[];
  cvss: { score: number; vectorString: string | null };
}

interface StoredPackage {
  versions: Map<string, { manifest: Json; tarball: Buffer; time: string }>;
  latest: string;
}

function tarballFile(name: string, version: string): string {
  return `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
}

/**
 * A small npm registry on a loopback port, serving packuments and tarballs from memory, as the
 * upstream of the `legacy` mirror in tests. Packuments carry a strong ETag and answer
 * `If-None-Match` with 304, as the npm registry does; every request is counted, so a test can
 * assert how often the mirror asked. The test changes what it serves (publish, removals, delay).
 * A version's `time` is read from `clock` (a test's fake clock) when it is published.
 */
export async function startNpmUpstream(options: { clock?: { now(): Date } } = {}): Promise<NpmUpstream> {
  const clock = options.clock ?? { now: () => new Date() };
  const packages = new Map<string, StoredPackage>();
  const counts = new Map<string, number>();
  const log: string[] = [];
  let url = '';

  function packument(name: string, stored: StoredPackage): Buffer {
    const versions: Json = {};
    const time: Json = {};
    for (const [version, entry] of stored.versions) {
      versions[version] = entry.manifest;
      time[version] = entry.time;
    }
    const tags = stored.versions.has(stored.latest) ? { latest: stored.latest } : {};
    return Buffer.from(JSON.stringify({ _id: name, name, 'dist-tags': tags, versions, time }));
  }

  const advisories = new Map<string, UpstreamAdvisory[]>();

  function answerAdvisories(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as Json;
      upstream.advisoryRequests.push(body);
      const out: Record<string, UpstreamAdvisory[]> = {};
      for (const [name, versions] of Object.entries(body)) {
        const hits = (advisories.get(name) ?? []).filter((a) =>
          (versions as string[]).some((v) => semver.satisfies(v, a.vulnerable_versions)),
        );
        if (hits.length > 0) out[name] = hits;
      }
      log.push(`200 ${request.url}`);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(out));
    });
  }

  function answer(request: IncomingMessage, response: ServerResponse) {
    const path = (request.url ?? '/').split('?')[0] as string;
    if (request.method === 'POST' && path === '/-/npm/v1/security/advisories/bulk') return answerAdvisories(request, response);
    const key = decodeURIComponent(path);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const send = (status: number, body?: Buffer, headers: Record<string, string> = {}) => {
      log.push(`${status} ${path}`);
      response.writeHead(status, headers);
      response.end(body);
    };
    const tarballMatch = /^\/(.+)\/-\/([^/]+)$/.exec(path);
    const name = decodeURIComponent(tarballMatch ? (tarballMatch[1] as string) : path.slice(1));
    const stored = packages.get(name);
    if (tarballMatch) {
      const entry = [...(stored?.versions.entries() ?? [])].find(([v]) => tarballFile(name, v) === tarballMatch[2]);
      if (!entry) return send(404, Buffer.from('{"error":"not found"}'), { 'content-type': 'application/json' });
      return send(200, entry[1].tarball, { 'content-type': 'application/octet-stream' });
    }
    if (!stored || stored.versions.size === 0)
      return send(404, Buffer.from('{"error":"not found"}'), { 'content-type': 'application/json' });
    const body = packument(name, stored);
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (!upstream.ignoreIfNoneMatch && request.headers['if-none-match'] === etag) return send(304, undefined, { etag });
    return send(200, body, { 'content-type': 'application/json', etag });
  }

  const server = createServer((request, response) => {
    const delay = upstream.delayMs;
    if (delay > 0) setTimeout(() => answer(request, response), delay);
    else answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const upstream: NpmUpstream = {
    url,
    requests: (path) => counts.get(decodeURIComponent(path)) ?? 0,
    log,
    delayMs: 0,
    ignoreIfNoneMatch: false,
    advisoryRequests: [],
    advise(name, advisory) {
      advisories.set(name, [...(advisories.get(name) ?? []), advisory]);
    },
    publish(name, version, tarball, manifest = {}) {
      let stored = packages.get(name);
      if (!stored) {
        stored = { versions: new Map(), latest: version };
        packages.set(name, stored);
      }
      const escaped = name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : name;
      stored.versions.set(version, {
        manifest: {
          name,
          version,
          ...manifest,
          dist: {
            tarball: `${url}/${escaped}/-/${tarballFile(name, version)}`,
            integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
            shasum: createHash('sha1').update(tarball).digest('hex'),
          },
        },
        tarball,
        time: clock.now().toISOString(),
      });
      stored.latest = version;
    },
    removeVersion(name, version) {
      const stored = packages.get(name);
      if (!stored) return;
      stored.versions.delete(version);
      // as the npm registry does: latest moves to the newest version left
      if (stored.latest === version) stored.latest = [...stored.versions.keys()].at(-1) ?? '';
    },
    removePackage(name) {
      packages.delete(name);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return upstream;
}
