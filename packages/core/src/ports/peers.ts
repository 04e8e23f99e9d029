import type { Host, Integrity } from '@entropic/types';

/**
 * The registries this one federates with (`FEDERATION_HOSTS`, issue 15.3/15.6). Only configured
 * hosts are ever contacted; every failure is an AppError with a `PEER_*` code (or
 * `PEER_NOT_CONFIGURED`), already logged with the peer and the reason.
 */
export interface PeerClient {
  /** whether `host` is one this registry federates with */
  isConfigured(host: string): boolean;
  /** key ids configured for `host` (`;keyid=`); empty: pinned at first contact */
  pinnedKeyIds(host: string): readonly string[];
  /** GET a JSON document at `path` (under the peer's base URL); undefined on 404 */
  getJson(host: Host, path: string): Promise<unknown | undefined>;
  /** Starts reading the object named by `integrity`; the stream fails with PEER_TOO_LARGE past maxBytes, PEER_TIMEOUT when it stalls. */
  openObject(host: Host, integrity: Integrity, maxBytes: number): Promise<AsyncIterable<Uint8Array>>;
  /** Logs a refusal found after the transfer (a bad signature, a hash mismatch, a replaced version). */
  logRefusal(host: string, code: string, reason: string): void;
}
