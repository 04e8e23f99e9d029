import { type ClientRequest, Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createFederation, type Federation, type PeerClient } from '@entropic/core';
import { type AppError, appError, type ErrorCode, type Host, type Integrity, isAppError, isIntegrity } from '@entropic/types';
import type { FastifyInstance } from 'fastify';
import type { FederationConfig, FederationPeer } from './config.ts';
import type { ServerDeps } from './deps.ts';

export interface PeerRefusal {
  peer: string;
  code: string;
  reason: string;
  path?: string;
}

export interface PeerClientOptions {
  /** every refusal, with the peer and the reason (the server logs it as a warning) */
  onRefusal(refusal: PeerRefusal): void;
  /** counts requests made to peers (tests, metrics) */
  onRequest?(peer: string, path: string): void;
}

/**
 * The HTTP client for peers (issue 15.6): it reaches only hosts named in FEDERATION_HOSTS, at the
 * URL configured for them; follows no redirect; bounds the time to connect, to get headers and
 * between two chunks of a body, and the bytes of every response.
 */
export function createPeerClient(config: FederationConfig, options: PeerClientOptions): PeerClient & { close(): void } {
  const peers = new Map(config.peers.map((peer) => [peer.host as string, peer]));
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 16 });

  const refuse = (peer: string, code: ErrorCode, reason: string, path?: string): AppError => {
    options.onRefusal({ peer, code, reason, ...(path === undefined ? {} : { path }) });
    return appError(code, `${errorLead(code, peer)}: ${reason}`, { details: { peer } });
  };

  const ctx: PeerContext = { config, refuse };

  const peerFor = (host: string): FederationPeer => {
    const peer = peers.get(host);
    if (!peer) {
      // not contacted: nothing is fetched from an address configuration did not name
      throw appError('PEER_NOT_CONFIGURED', `This registry does not federate with "${host.slice(0, 80)}" (FEDERATION_HOSTS).`);
    }
    return peer;
  };

  /** One GET, answered once the status and headers are in; the body is read by the caller through `readBody`. */
  const open = (peer: FederationPeer, path: string, accept: string): Promise<{ response: IncomingMessage; req: ClientRequest }> => {
    const target = new URL(`${peer.url}${path}`);
    // the path is built from parsed names and digests; refuse anything that would leave the peer
    if (target.origin !== new URL(peer.url).origin) throw refuse(peer.host, 'PEER_BAD_RESPONSE', 'a path that leaves the peer', path);
    options.onRequest?.(peer.host, path);
    return new Promise((resolve, reject) => {
      const https = target.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(target, {
        method: 'GET',
        agent: https ? httpsAgent : httpAgent,
        headers: { accept, 'user-agent': 'entropic-federation' },
      });
      let settled = false;
      const fail = (code: ErrorCode, reason: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(headersTimer);
        req.destroy();
        reject(refuse(peer.host, code, reason, path));
      };
      const connectTimer = setTimeout(
        () => fail('PEER_TIMEOUT', `no connection within ${config.connectTimeoutMs} ms`),
        config.connectTimeoutMs,
      );
      const headersTimer = setTimeout(
        () => fail('PEER_TIMEOUT', `no answer within ${config.headersTimeoutMs} ms`),
        config.headersTimeoutMs,
      );
      req.on('socket', (socket) => {
        // a reused keep-alive socket is already connected
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      req.on('error', (error: NodeJS.ErrnoException) => fail('PEER_UNREACHABLE', `${error.code ?? 'connection failed'}`));
      req.on('response', (response) => {
        if (settled) {
          response.destroy();
          return;
        }
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(headersTimer);
        resolve({ response, req });
      });
      req.end();
    });
  };

  return {
    isConfigured: (host) => peers.has(host),
    pinnedKeyIds: (host) => peers.get(host)?.keyIds ?? [],

    async getJson(host: Host, path: string) {
      const peer = peerFor(host);
      const { response } = await open(peer, path, 'application/json');
      if (checkStatus(ctx, peer, path, response) === 'not-found') return undefined;
      const chunks: Uint8Array[] = [];
      for await (const chunk of readBody(ctx, peer, path, response, config.maxDocumentBytes)) chunks.push(chunk);
      try {
        return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      } catch {
        throw refuse(peer.host, 'PEER_BAD_RESPONSE', 'answered something that is not JSON', path);
      }
    },

    async openObject(host: Host, integrity: Integrity, maxBytes: number) {
      const peer = peerFor(host);
      if (!isIntegrity(integrity)) throw refuse(peer.host, 'PEER_BAD_RESPONSE', 'named an object by an invalid integrity');
      const path = `/objects/object/sha512/${encodeURIComponent(integrity.slice('sha512-'.length))}`;
      const { response } = await open(peer, path, 'application/octet-stream');
      if (checkStatus(ctx, peer, path, response) === 'not-found')
        throw refuse(peer.host, 'PEER_BAD_RESPONSE', 'does not have an object it named', path);
      return readBody(ctx, peer, path, response, maxBytes);
    },

    logRefusal(host, code, reason) {
      options.onRefusal({ peer: host, code, reason });
    },

    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

interface PeerContext {
  config: FederationConfig;
  refuse(peer: string, code: ErrorCode, reason: string, path?: string): AppError;
}

/** The body, within maxBytes and the stall limit, chunk by chunk. */
async function* readBody(
  ctx: PeerContext,
  peer: FederationPeer,
  path: string,
  response: IncomingMessage,
  maxBytes: number,
): AsyncGenerator<Uint8Array> {
  const { config, refuse } = ctx;
  const declared = Number(response.headers['content-length']);
  if (Number.isSafeInteger(declared) && declared > maxBytes) {
    response.destroy();
    throw refuse(peer.host, 'PEER_TOO_LARGE', `announces ${declared} bytes, the limit is ${maxBytes}`, path);
  }
  let received = 0;
  let stalled = false;
  let timer = setTimeout(onStall, config.stallTimeoutMs);
  function onStall() {
    stalled = true;
    response.destroy();
  }
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      clearTimeout(timer);
      received += chunk.length;
      if (received > maxBytes) {
        response.destroy();
        throw refuse(peer.host, 'PEER_TOO_LARGE', `sent more than ${maxBytes} bytes`, path);
      }
      yield chunk;
      timer = setTimeout(onStall, config.stallTimeoutMs);
    }
    if (stalled) throw refuse(peer.host, 'PEER_TIMEOUT', `the body stalled for ${config.stallTimeoutMs} ms`, path);
    if (!response.complete) throw refuse(peer.host, 'PEER_UNREACHABLE', 'the connection closed before the body was complete', path);
  } catch (error) {
    if (isAppError(error)) throw error;
    if (stalled) throw refuse(peer.host, 'PEER_TIMEOUT', `the body stalled for ${config.stallTimeoutMs} ms`, path);
    throw refuse(peer.host, 'PEER_UNREACHABLE', `the body failed: ${(error as NodeJS.ErrnoException).code ?? 'connection error'}`, path);
  } finally {
    clearTimeout(timer);
    if (!response.complete) response.destroy();
  }
}

function checkStatus(ctx: PeerContext, peer: FederationPeer, path: string, response: IncomingMessage): 'ok' | 'not-found' {
  const { refuse } = ctx;
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return 'ok';
  response.resume();
  if (status === 404) return 'not-found';
  if (status >= 300 && status < 400) {
    // never followed: a redirect could name any address
    throw refuse(peer.host, 'PEER_BAD_RESPONSE', `answered a redirect (${status}), which is not followed`, path);
  }
  if (status >= 500) throw refuse(peer.host, 'PEER_UNREACHABLE', `answered ${status}`, path);
  throw refuse(peer.host, 'PEER_BAD_RESPONSE', `answered ${status}`, path);
}

function errorLead(code: ErrorCode, peer: string): string {
  const shown = peer.slice(0, 80);
  switch (code) {
    case 'PEER_TIMEOUT':
      return `The registry ${shown} did not answer in time`;
    case 'PEER_TOO_LARGE':
      return `The registry ${shown} sent too much`;
    case 'PEER_UNREACHABLE':
      return `The registry ${shown} could not be reached`;
    default:
      return `The registry ${shown} was refused`;
  }
}

/**
 * Remote packages on this app (`app.federation`): peers only in FEDERATION_HOSTS, within the time
 * and size limits; every refusal logged as a warning with the peer and the reason.
 */
export function registerFederation(app: FastifyInstance, deps: ServerDeps): void {
  const { federation, close } = createServerFederation(deps, app.log);
  app.decorate('federation', federation);
  app.addHook('onClose', async () => close());
}

/** The federation use case over a peer client of its own (the app's, or a job worker's). */
export function createServerFederation(
  deps: ServerDeps,
  log: { warn(fields: object, message: string): void },
): { federation: Federation; close(): void } {
  const peers = createPeerClient(deps.config.federation, {
    onRefusal: (refusal) => log.warn(refusal, `federation: ${refusal.peer} refused (${refusal.code}): ${refusal.reason}`),
  });
  const federation = createFederation({
    ...deps,
    peers,
    refreshSeconds: deps.config.federation.refreshSeconds,
    maxDocumentBytes: deps.config.federation.maxDocumentBytes,
  });
  return { federation, close: () => peers.close() };
}
