import type { PublicHostKey } from '@entropic/types';
import { authCalls } from './auth-calls.ts';
import { downloadCalls } from './download-calls.ts';
import { createJsonCalls } from './json-calls.ts';
import { namespaceCalls } from './namespace-calls.ts';
import { packageCalls } from './package-calls.ts';
import { createRegistryTransport, type TransportOptions } from './registry-transport.ts';

export type { CreatedToken, CreateTokenInput, LoginPoll, LoginSession, TokenInfo } from './auth-calls.ts';
export type { CachedNpmPackument, NpmPackument } from './download-calls.ts';
export type { CachedPackageDocument, NotModified, PublishOptions, TrustedPublisher } from './package-calls.ts';

export type RegistryClientOptions = TransportOptions;

export interface RegistryInfo {
  server: string;
  version: string;
  host: string;
}

/** `GET /-/v1/host` (docs/federation.md): the registry's host, its signing keys, and the keys it pinned for its peers. */
export interface HostDocument {
  host: string;
  keys: PublicHostKey[];
  peers?: Array<{ host: string; url: string; keys: PublicHostKey[] }>;
}

export type RegistryClient = ReturnType<typeof createRegistryClient>;

/**
 * A typed client for one registry's API: the transport (registry-transport.ts) under JSON calls
 * (json-calls.ts), with one module per part of the API.
 */
export function createRegistryClient(options: RegistryClientOptions) {
  const transport = createRegistryTransport(options);
  const calls = createJsonCalls(transport);
  return {
    registry: transport.registry,

    async ping(): Promise<{ text: string; ms: number }> {
      const started = performance.now();
      const raw = await transport.send('/ping', { auth: false, headers: { accept: 'text/plain' } });
      const text = await raw.body.text();
      return { text: text.trim(), ms: Math.round(performance.now() - started) };
    },

    info(): Promise<RegistryInfo> {
      return calls.json<RegistryInfo>('/', { auth: false });
    },

    hostDocument(): Promise<HostDocument> {
      return calls.json<HostDocument>('/-/v1/host', { auth: false });
    },

    ...authCalls(calls),
    ...packageCalls(calls),
    ...namespaceCalls(calls),
    ...downloadCalls(calls),

    async close(): Promise<void> {
      transport.close();
    },
  };
}
