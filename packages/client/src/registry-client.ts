import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { PackageDocument, Page, VersionDocument } from '@entropic/types';
import { ClientError } from './client-error.ts';
import type { MultipartBody } from './multipart-body.ts';
import { type PackageRef, packagePath } from './package-ref.ts';
import { verifyIntegrity } from './verify-integrity.ts';

export interface RegistryClientOptions {
  /** Base URL, e.g. `https://registry.entropic.dev` (a path prefix is kept). */
  registry: string;
  token?: string | undefined;
  userAgent?: string;
  /** Called for every request, for `--verbose`. */
  onRequest?: (line: string) => void;
  /** Connections kept open to the registry for bodiless GETs (objects, package documents); default 16. */
  maxSockets?: number;
}

export interface RegistryInfo {
  server: string;
  version: string;
  host: string;
}

export interface CachedPackageDocument {
  document: PackageDocument;
  etag: string | undefined;
}

/** The part of an npm packument `ds` reads (abbreviated form). */
export interface NpmPackument {
  'dist-tags': Record<string, string>;
  versions: Record<string, { deprecated?: string } & Record<string, unknown>>;
}

export interface LoginSession {
  loginUrl: string;
  doneUrl: string;
}

export type LoginPoll = { status: 'pending'; retryAfterMs: number } | { status: 'done'; token: string };

/** A token as `/auth/tokens` lists it (the secret itself is only returned on creation). */
export interface TokenInfo {
  id: string;
  description: string;
  scope: 'read' | 'publish';
  created: string;
  lastUsed: string | null;
  expires: string | null;
}

export interface CreatedToken extends TokenInfo {
  token: string;
}

export interface CreateTokenInput {
  description: string;
  scope?: 'read' | 'publish';
  expiresInDays?: number;
}

export interface PublishOptions {
  body: MultipartBody;
  /** gzip the request body (Content-Encoding: gzip). */
  compress?: boolean;
}

type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

interface SendOptions {
  method?: Method;
  json?: unknown;
  body?: Readable;
  headers?: Record<string, string>;
  /** Statuses the caller handles itself (not turned into errors). */
  accept?: readonly number[];
  auth?: boolean;
}

interface RawResponse {
  status: number;
  headers: Headers;
  body: { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer>; buffer?(): Promise<Buffer>; dump(): Promise<void> };
}

function header(headers: Headers, name: string): string | undefined {
  return headers.get(name) ?? undefined;
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

function hintFor(status: number, registry: string): string | undefined {
  if (status === 401) return `Run \`ds login --registry ${registry}\` or set ENTROPIC_TOKEN.`;
  if (status === 429) return 'Wait a moment and try again.';
  if (status >= 500) return 'The registry had a problem; try again later.';
  return undefined;
}

export type RegistryClient = ReturnType<typeof createRegistryClient>;

export function createRegistryClient(options: RegistryClientOptions) {
  const base = new URL(options.registry.endsWith('/') ? options.registry : `${options.registry}/`);
  const registry = base.href.replace(/\/$/, '');
  const userAgent = options.userAgent ?? `entropic-client/0.1.0 node/${process.version}`;

  function url(path: string): string {
    return new URL(path.replace(/^\//, ''), base).href;
  }

  async function send(path: string, init: SendOptions = {}): Promise<RawResponse> {
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = { 'user-agent': userAgent, accept: 'application/json', ...init.headers };
    if (options.token && init.auth !== false) headers.authorization = `Bearer ${options.token}`;
    if ((method === 'GET' || method === 'HEAD') && init.body === undefined && init.json === undefined) {
      return getFast(path, { method, headers, ...(init.accept ? { accept: init.accept } : {}) });
    }
    let body: string | Readable | undefined = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
    }
    const target = path.startsWith('http://') || path.startsWith('https://') ? path : url(path);
    const started = performance.now();
    let response: Response;
    try {
      const streamed = body instanceof Readable;
      response = await fetch(target, {
        method,
        headers,
        body: streamed ? (Readable.toWeb(body as Readable) as ReadableStream) : ((body as string | undefined) ?? null),
        ...(streamed ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new ClientError('NETWORK_ERROR', `Could not reach the registry at ${registry}: ${reason}.`, {
        hint: 'Check the URL (--registry or ENTROPIC_REGISTRY) and your network connection.',
        cause: error,
      });
    }
    options.onRequest?.(`${method} ${target} → ${response.status} (${Math.round(performance.now() - started)} ms)`);
    const raw: RawResponse = {
      status: response.status,
      headers: response.headers,
      body: {
        text: () => response.text(),
        arrayBuffer: () => response.arrayBuffer(),
        dump: async () => {
          await response.body?.cancel();
        },
      },
    };
    if (raw.status < 400 || init.accept?.includes(raw.status)) return raw;
    throw await errorFrom(raw);
  }

  // Bodiless GETs and HEADs (the bulk of an install: one per file) go through node:http with a
  // keep-alive pool: about half the CPU of fetch per request (the install's bottleneck), and no
  // lazy load of fetch (~30 ms) on the install path. Bodies (publish, JSON writes) use fetch.
  const secure = base.protocol === 'https:';
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 })
    : new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 });

  function getFast(
    path: string,
    init: { method?: 'GET' | 'HEAD'; headers: Record<string, string>; accept?: readonly number[] },
  ): Promise<RawResponse> {
    const method = init.method ?? 'GET';
    const target = new URL(path.startsWith('http://') || path.startsWith('https://') ? path : url(path));
    const headers: Record<string, string> = { 'user-agent': userAgent, ...init.headers };
    const started = performance.now();
    const sameOrigin = target.origin === base.origin;
    return new Promise<RawResponse>((resolve, reject) => {
      const issue = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = issue(target, { method, headers, ...(sameOrigin ? { agent } : {}) }, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(networkError(error)));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          options.onRequest?.(`${method} ${target.href} → ${status} (${Math.round(performance.now() - started)} ms)`);
          const body = Buffer.concat(chunks);
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (typeof value === 'string') responseHeaders.set(name, value);
          }
          const raw: RawResponse = {
            status,
            headers: responseHeaders,
            body: {
              text: async () => body.toString('utf8'),
              arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
              buffer: async () => body,
              dump: async () => {},
            },
          };
          if (status < 400 || init.accept?.includes(status)) resolve(raw);
          else errorFrom(raw).then(reject, reject);
        });
      });
      request.on('error', (error) => reject(networkError(error)));
      request.end();
    });
  }

  function networkError(error: unknown): ClientError {
    const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    return new ClientError('NETWORK_ERROR', `Could not reach the registry at ${registry}: ${reason}.`, {
      hint: 'Check the URL (--registry or ENTROPIC_REGISTRY) and your network connection.',
      cause: error,
    });
  }

  async function errorFrom(raw: RawResponse): Promise<ClientError> {
    let text = '';
    try {
      text = await raw.body.text();
    } catch {
      // the body is only used for the message
    }
    let message: string | undefined;
    let code: string | undefined;
    let hint: string | undefined;
    try {
      const parsed = JSON.parse(text) as { message?: unknown; code?: unknown; hint?: unknown };
      if (typeof parsed.message === 'string') message = parsed.message;
      if (typeof parsed.code === 'string') code = parsed.code;
      if (typeof parsed.hint === 'string') hint = parsed.hint;
    } catch {
      if (text && text.length < 200 && !text.includes('<')) message = text.trim();
    }
    const status = raw.status;
    return new ClientError(
      code ?? STATUS_CODES[status] ?? (status >= 500 ? 'SERVER_ERROR' : 'BAD_REQUEST'),
      message ?? `The registry answered ${status}.`,
      { status, hint: hint ?? hintFor(status, registry) },
    );
  }

  async function json<T>(path: string, init: SendOptions = {}): Promise<T> {
    const raw = await send(path, init);
    return (await parseJson(raw)) as T;
  }

  async function parseJson(raw: RawResponse): Promise<unknown> {
    const text = await raw.body.text();
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ClientError('INVALID_RESPONSE', `The registry answered ${raw.status} with a body that is not JSON.`, { cause: error });
    }
  }

  async function empty(path: string, init: SendOptions = {}): Promise<void> {
    const raw = await send(path, init);
    await raw.body.dump();
  }

  async function allPages<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page: Page<T> = await json<Page<T>>(`${path}${sep}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      out.push(...page.objects);
      cursor = page.next;
    } while (cursor);
    return out;
  }

  function ns(namespace: string, host: string): string {
    return `${namespace}@${host}`;
  }

  return {
    registry,

    async ping(): Promise<{ text: string; ms: number }> {
      const started = performance.now();
      const raw = await send('/ping', { auth: false, headers: { accept: 'text/plain' } });
      const text = await raw.body.text();
      return { text: text.trim(), ms: Math.round(performance.now() - started) };
    },

    info(): Promise<RegistryInfo> {
      return json<RegistryInfo>('/', { auth: false });
    },

    whoami(): Promise<{ username: string }> {
      return json<{ username: string }>('/auth/whoami');
    },

    listPackages(): Promise<unknown[]> {
      return allPages<unknown>('/packages');
    },

    packagesAuthoredBy(namespace: string, host: string): Promise<unknown[]> {
      return allPages<unknown>(`/packages/authored-by/${ns(namespace, host)}`);
    },

    packagesMaintainedBy(namespace: string, host: string): Promise<unknown[]> {
      return allPages<unknown>(`/packages/maintained-by/${ns(namespace, host)}`);
    },

    /** The package document; `undefined` when `etag` still matches (304). */
    async getPackage(ref: PackageRef, etag?: string): Promise<CachedPackageDocument | undefined> {
      const raw = await send(packagePath(ref), { accept: [304], auth: false, headers: etag ? { 'if-none-match': etag } : {} });
      if (raw.status === 304) {
        await raw.body.dump();
        return undefined;
      }
      const document = (await parseJson(raw)) as PackageDocument;
      if (typeof document !== 'object' || document === null || typeof document.versions !== 'object' || typeof document.tags !== 'object') {
        throw new ClientError('INVALID_RESPONSE', `The registry sent a malformed package document for ${ref.namespace}/${ref.name}.`);
      }
      return { document, etag: header(raw.headers, 'etag') };
    },

    getVersion(ref: PackageRef, version: string): Promise<VersionDocument> {
      return json<VersionDocument>(`${packagePath(ref)}/versions/${encodeURIComponent(version)}`, { auth: false });
    },

    async publish(ref: PackageRef, version: string, publish: PublishOptions): Promise<VersionDocument> {
      const source = Readable.from(publish.body.stream(), { objectMode: false });
      const body = publish.compress ? source.pipe(createGzip({ level: 6 })) : source;
      source.on('error', (error) => body.destroy(error));
      const headers: Record<string, string> = { 'content-type': publish.body.contentType };
      if (publish.compress) headers['content-encoding'] = 'gzip';
      return json<VersionDocument>(`${packagePath(ref)}/versions/${encodeURIComponent(version)}`, { method: 'PUT', body, headers });
    },

    yank(ref: PackageRef, version: string): Promise<void> {
      return empty(`${packagePath(ref)}/versions/${encodeURIComponent(version)}`, { method: 'DELETE' });
    },

    abandon(ref: PackageRef): Promise<void> {
      return empty(packagePath(ref), { method: 'DELETE' });
    },

    getTags(ref: PackageRef): Promise<Record<string, string>> {
      return json<Record<string, string>>(`${packagePath(ref)}/dist-tags`, { auth: false });
    },

    setTag(ref: PackageRef, tag: string, version: string): Promise<void> {
      return empty(`${packagePath(ref)}/dist-tags/${encodeURIComponent(tag)}`, { method: 'PUT', json: { version } });
    },

    removeTag(ref: PackageRef, tag: string): Promise<void> {
      return empty(`${packagePath(ref)}/dist-tags/${encodeURIComponent(tag)}`, { method: 'DELETE' });
    },

    listMaintainers(ref: PackageRef): Promise<unknown> {
      return json<unknown>(`${packagePath(ref)}/maintainers`, { auth: false });
    },

    inviteMaintainer(ref: PackageRef, invitee: string): Promise<{ message?: string }> {
      return json<{ message?: string }>(`${packagePath(ref)}/maintainers/${encodeURIComponent(invitee)}`, { method: 'POST' });
    },

    removeMaintainer(ref: PackageRef, invitee: string): Promise<{ message?: string }> {
      return json<{ message?: string }>(`${packagePath(ref)}/maintainers/${encodeURIComponent(invitee)}`, { method: 'DELETE' });
    },

    listNamespaces(): Promise<unknown> {
      return json<unknown>('/namespaces', { auth: false });
    },

    createNamespace(namespace: string, host: string): Promise<unknown> {
      return json<unknown>(`/namespaces/namespace/${ns(namespace, host)}`, { method: 'PUT', json: {} });
    },

    listMembers(namespace: string, host: string): Promise<unknown> {
      return json<unknown>(`/namespaces/namespace/${ns(namespace, host)}/members`, { auth: false });
    },

    inviteMember(namespace: string, host: string, user: string): Promise<{ message?: string }> {
      return json<{ message?: string }>(`/namespaces/namespace/${ns(namespace, host)}/members/${encodeURIComponent(user)}`, {
        method: 'POST',
      });
    },

    removeMember(namespace: string, host: string, user: string): Promise<{ message?: string }> {
      return json<{ message?: string }>(`/namespaces/namespace/${ns(namespace, host)}/members/${encodeURIComponent(user)}`, {
        method: 'DELETE',
      });
    },

    listMaintainerships(namespace: string, host: string, pending = false): Promise<unknown> {
      return json<unknown>(`/namespaces/namespace/${ns(namespace, host)}/maintainerships${pending ? '?status=pending' : ''}`);
    },

    acceptMaintainership(namespace: string, host: string, ref: PackageRef): Promise<unknown> {
      return json<unknown>(
        `/namespaces/namespace/${ns(namespace, host)}/maintainerships/${packagePath(ref).slice('/packages/package/'.length)}`,
        {
          method: 'POST',
        },
      );
    },

    declineMaintainership(namespace: string, host: string, ref: PackageRef): Promise<unknown> {
      return json<unknown>(
        `/namespaces/namespace/${ns(namespace, host)}/maintainerships/${packagePath(ref).slice('/packages/package/'.length)}`,
        {
          method: 'DELETE',
        },
      );
    },

    listMemberships(user: string, host: string, pending = false): Promise<unknown> {
      return json<unknown>(`/users/user/${ns(user, host)}/memberships${pending ? '?status=pending' : ''}`);
    },

    acceptMembership(user: string, host: string, namespace: string): Promise<unknown> {
      return json<unknown>(`/users/user/${ns(user, host)}/memberships/${ns(namespace, host)}`, { method: 'POST' });
    },

    declineMembership(user: string, host: string, namespace: string): Promise<unknown> {
      return json<unknown>(`/users/user/${ns(user, host)}/memberships/${ns(namespace, host)}`, { method: 'DELETE' });
    },

    /** Downloads a blob and verifies it against `integrity` before returning it. */
    async getObject(integrity: string): Promise<Buffer> {
      const digest = integrity.slice('sha512-'.length);
      const raw = await send(`/objects/object/sha512/${encodeURIComponent(digest)}`, {
        auth: false,
        headers: { accept: 'application/octet-stream' },
      });
      const bytes = (await raw.body.buffer?.()) ?? Buffer.from(await raw.body.arrayBuffer());
      verifyIntegrity(bytes, integrity, `object ${integrity.slice(0, 20)}…`);
      return bytes;
    },

    /**
     * The npm (abbreviated) packument of an npm name: for a `legacy` package this is the
     * registry's read-through view (the upstream's versions plus those mirrored here);
     * `undefined` when the registry does not have it.
     */
    async getNpmPackument(npmName: string): Promise<NpmPackument | undefined> {
      const raw = await send(`/${npmName.split('/').map(encodeURIComponent).join('/')}`, {
        auth: false,
        accept: [404],
        headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' },
      });
      if (raw.status === 404) {
        await raw.body.dump();
        return undefined;
      }
      const doc = (await parseJson(raw)) as NpmPackument;
      if (typeof doc !== 'object' || doc === null || typeof doc.versions !== 'object' || doc.versions === null) {
        throw new ClientError('INVALID_RESPONSE', `The registry sent a malformed npm packument for ${npmName}.`);
      }
      return { 'dist-tags': typeof doc['dist-tags'] === 'object' && doc['dist-tags'] ? doc['dist-tags'] : {}, versions: doc.versions };
    },

    /**
     * Asks the registry for an npm tarball without downloading it (HEAD): for a `legacy`
     * package that makes the read-through mirror store the version, after which it is an
     * ordinary Entropic version (`legacy@host/name`). Resolves false when the registry has no
     * such version.
     */
    async mirrorNpmVersion(npmName: string, version: string): Promise<boolean> {
      const base = npmName.split('/').pop() as string;
      const path = `/${npmName.split('/').map(encodeURIComponent).join('/')}/-/${encodeURIComponent(`${base}-${version}.tgz`)}`;
      const raw = await send(path, { method: 'HEAD', auth: false, accept: [404], headers: { accept: 'application/octet-stream' } });
      await raw.body.dump();
      return raw.status < 300;
    },

    startLogin(): Promise<LoginSession> {
      return json<LoginSession>('/-/v1/login', { method: 'POST', json: {}, auth: false });
    },

    async pollLogin(doneUrl: string): Promise<LoginPoll> {
      const raw = await send(doneUrl, { auth: false, accept: [202, 404] });
      if (raw.status === 404) {
        await raw.body.dump();
        throw new ClientError('LOGIN_EXPIRED', 'The login session expired or was already used.', { hint: 'Run `ds login` again.' });
      }
      const body = (await parseJson(raw)) as { token?: unknown };
      if (raw.status === 202) {
        const retry = Number(header(raw.headers, 'retry-after'));
        return { status: 'pending', retryAfterMs: Number.isFinite(retry) && retry > 0 ? retry * 1000 : 1000 };
      }
      if (typeof body.token !== 'string') throw new ClientError('INVALID_RESPONSE', 'The login poll answered without a token.');
      return { status: 'done', token: body.token };
    },

    async listTokens(): Promise<TokenInfo[]> {
      return tokenApi(() => allPages<TokenInfo>('/auth/tokens'));
    },

    async createToken(input: CreateTokenInput): Promise<CreatedToken> {
      return tokenApi(() => json<CreatedToken>('/auth/tokens', { method: 'POST', json: input }));
    },

    async revokeToken(id: string): Promise<void> {
      return tokenApi(() => empty(`/auth/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }));
    },

    async close(): Promise<void> {
      // fetch's global pool closes idle connections by itself; ours is closed here
      agent.destroy();
    },
  };

  async function tokenApi<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ClientError && (error.status === 404 || error.status === 405) && error.code !== 'TOKEN_NOT_FOUND') {
        throw new ClientError('TOKEN_API_UNAVAILABLE', `The registry at ${registry} has no token API.`, {
          hint: `Manage tokens on the website: ${registry}/www/tokens`,
          cause: error,
        });
      }
      throw error;
    }
  }
}
