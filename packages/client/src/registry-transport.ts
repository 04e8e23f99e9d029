import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { networkError, responseError } from './response-error.ts';

export interface TransportOptions {
  /** Base URL, e.g. `https://registry.entropic.dev` (a path prefix is kept). */
  registry: string;
  token?: string | undefined;
  /** a one-time password sent with authenticated requests (as npm does: the `npm-otp` header) */
  otp?: string;
  userAgent?: string;
  /** Called for every request, for `--verbose`. */
  onRequest?: (line: string) => void;
  /** Connections kept open to the registry for bodiless GETs (objects, package documents); default 16. */
  maxSockets?: number;
}

type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

export interface SendOptions {
  method?: Method;
  json?: unknown;
  body?: Readable;
  headers?: Record<string, string>;
  /** Statuses the caller handles itself (not turned into errors). */
  accept?: readonly number[];
  auth?: boolean;
}

/**
 * What callers read of a response's headers. fetch's Headers has it; an answer over node:http
 * gets a plain reader instead, because the first use of the global Headers loads fetch's undici
 * (tens of ms of a `ds install`'s start-up).
 */
export interface ResponseHeaders {
  get(name: string): string | null;
}

/** A response whose status is below 400 or one the caller accepts. */
export interface RawResponse {
  status: number;
  headers: ResponseHeaders;
  body: { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer>; buffer?(): Promise<Buffer>; dump(): Promise<void> };
}

export interface RegistryTransport {
  /** The base URL without a trailing slash, as messages name it. */
  readonly registry: string;
  /** Sends a request to a path under the registry (or an absolute URL); error statuses reject with a ClientError. */
  send(path: string, init?: SendOptions): Promise<RawResponse>;
  /**
   * POSTs a small JSON body on the keep-alive pool and hands back the response body as a stream
   * (for answers too large to buffer: `POST /objects/batch`); error statuses reject as `send`'s do.
   */
  postForStream(path: string, json: unknown, headers?: Record<string, string>): Promise<IncomingMessage>;
  /** Closes the keep-alive connections. */
  close(): void;
}

interface HttpInit {
  method?: Method;
  headers: Record<string, string>;
  accept?: readonly number[];
  body?: Buffer;
}

/**
 * HTTP to one registry. Bodiless requests and small JSON bodies (all of an install) go through
 * node:http with a keep-alive pool: about half the CPU of fetch per request, and no lazy load of
 * fetch (~30 ms) on the install path. Streamed bodies (publish) use fetch.
 */
export function createRegistryTransport(options: TransportOptions): RegistryTransport {
  const base = new URL(options.registry.endsWith('/') ? options.registry : `${options.registry}/`);
  const registry = base.href.replace(/\/$/, '');
  const userAgent = options.userAgent ?? `entropic-client/0.1.0 node/${process.version}`;
  const agent =
    base.protocol === 'https:'
      ? new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 })
      : new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 });

  function url(path: string): string {
    return new URL(path.replace(/^\//, ''), base).href;
  }

  async function send(path: string, init: SendOptions = {}): Promise<RawResponse> {
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = { 'user-agent': userAgent, accept: 'application/json', ...init.headers };
    if (options.token && init.auth !== false) {
      headers.authorization = `Bearer ${options.token}`;
      if (options.otp) headers['npm-otp'] = options.otp;
    }
    if (init.body === undefined) {
      // bodiless requests and small JSON bodies: node:http on the keep-alive pool (no fetch to load)
      const json = init.json === undefined ? undefined : Buffer.from(JSON.stringify(init.json));
      if (json) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(json.byteLength);
      }
      return viaHttp(path, { method, headers, ...(init.accept ? { accept: init.accept } : {}), ...(json ? { body: json } : {}) });
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
      throw networkError(error, registry);
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
    throw await responseError(raw, registry);
  }

  function viaHttp(path: string, init: HttpInit): Promise<RawResponse> {
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
        response.on('error', (error) => reject(networkError(error, registry)));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          options.onRequest?.(`${method} ${target.href} → ${status} (${Math.round(performance.now() - started)} ms)`);
          const raw = bufferedResponse(status, response, Buffer.concat(chunks));
          if (status < 400 || init.accept?.includes(status)) resolve(raw);
          else responseError(raw, registry).then(reject, reject);
        });
      });
      request.on('error', (error) => reject(networkError(error, registry)));
      request.end(init.body);
    });
  }

  function postForStream(path: string, json: unknown, extra: Record<string, string> = {}): Promise<IncomingMessage> {
    const target = new URL(url(path));
    const body = Buffer.from(JSON.stringify(json));
    const headers: Record<string, string> = {
      'user-agent': userAgent,
      'content-type': 'application/json',
      'content-length': String(body.byteLength),
      ...extra,
    };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const started = performance.now();
    return new Promise<IncomingMessage>((resolve, reject) => {
      const issue = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = issue(target, { method: 'POST', headers, agent }, (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        options.onRequest?.(`POST ${target.href} → ${status} (${Math.round(performance.now() - started)} ms to the headers)`);
        if (status < 400) {
          response.on('error', () => {}); // the reader sees errors through its own iteration
          resolve(response);
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(networkError(error, registry)));
        response.on('end', () => responseError(bufferedResponse(status, response, Buffer.concat(chunks)), registry).then(reject, reject));
      });
      request.on('error', (error) => reject(networkError(error, registry)));
      request.end(body);
    });
  }

  return {
    registry,
    send,
    postForStream,
    close() {
      // fetch's global pool closes idle connections by itself; ours is closed here
      agent.destroy();
    },
  };
}

function bufferedResponse(status: number, response: IncomingMessage, body: Buffer): RawResponse {
  const headers: ResponseHeaders = {
    get(name) {
      const value = response.headers[name.toLowerCase()];
      return typeof value === 'string' ? value : null;
    },
  };
  return {
    status,
    headers,
    body: {
      text: async () => body.toString('utf8'),
      arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
      buffer: async () => body,
      dump: async () => {},
    },
  };
}
