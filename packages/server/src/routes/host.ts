import { peerKeyDocument } from '@entropic/core';
import type { FastifyInstance } from 'fastify';
import { SERVER_VERSION } from './meta.ts';

/** How often a process reads the host keys again (another process or `admin keys rotate` may have changed them). */
const KEY_RELOAD_MS = 60_000;

/**
 * This host's identity (issue 15.1): `GET /-/v1/host` names the host, its keys and its API;
 * `GET /-/npm/v1/keys` serves the same keys in npm's shape, for `npm audit signatures`.
 * Why `/-/v1/host` and not `.well-known`: docs/decisions/federation.md.
 */
export function registerHostRoutes(app: FastifyInstance): void {
  const { deps } = app;
  app.get('/-/v1/host', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    // the peers this registry federates with, and the keys it pinned for each (docs/federation.md):
    // how `ds` learns the keys of the hosts whose packages it installs through this registry
    const peers = await Promise.all(
      deps.config.federation.peers.map(async (peer) => ({
        host: peer.host,
        url: peer.url,
        keys: (await deps.repos.federation.listPeerKeys(peer.host))
          .filter((key) => peer.keyIds.length === 0 || peer.keyIds.includes(key.keyId))
          .map(peerKeyDocument),
      })),
    );
    return {
      host: deps.host,
      url: deps.config.externalUrl,
      server: 'entropic',
      version: SERVER_VERSION,
      keys: deps.keyring.publicKeys(),
      signing: deps.keyring.currentKeyId() ?? null,
      peers,
      api: {
        package: '/packages/package/{namespace}/{name}',
        version: '/packages/package/{namespace}/{name}/versions/{version}',
        object: '/objects/object/sha512/{digest}',
        npmKeys: '/-/npm/v1/keys',
        openapi: '/-/openapi.json',
      },
    };
  });
  app.get('/-/npm/v1/keys', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    return {
      keys: deps.keyring.publicKeys().map(({ keyid, keytype, scheme, key, expires }) => ({ expires, keyid, keytype, scheme, key })),
    };
  });

  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      deps.reloadKeyring().catch((error: unknown) => app.log.warn({ err: error }, 'host keys: reload failed'));
    }, KEY_RELOAD_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));
}
