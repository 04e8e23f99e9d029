import { appError } from '@entropic/types';
import type { UpstreamPackumentResult, UpstreamRegistry, UpstreamTarball } from './npm-mirror.ts';

const PACKUMENT_TIMEOUT_MS = 10_000;
const TARBALL_TIMEOUT_MS = 60_000;

/** An npm-compatible upstream over HTTP (undici's fetch), with timeouts and a size cap. */
export function createHttpUpstreamRegistry(baseUrl: string): UpstreamRegistry {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    url: base,
    async fetchPackument(name: string, etag: string | undefined): Promise<UpstreamPackumentResult> {
      const escaped = name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
      const response = await fetch(`${base}/${escaped}`, {
        headers: { accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}) },
        signal: AbortSignal.timeout(PACKUMENT_TIMEOUT_MS),
        redirect: 'follow',
      });
      if (response.status === 304) return { status: 'not-modified' };
      if (response.status === 404) {
        await response.body?.cancel();
        return { status: 'not-found' };
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw appError('UPSTREAM_UNAVAILABLE', `The upstream registry answered ${response.status} for "${name}".`);
      }
      return { status: 'ok', body: await response.text(), etag: response.headers.get('etag') ?? undefined };
    },
    async openTarball(url: string, maxBytes: number): Promise<UpstreamTarball> {
      const response = await fetch(url, { signal: AbortSignal.timeout(TARBALL_TIMEOUT_MS), redirect: 'follow' });
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw appError('UPSTREAM_UNAVAILABLE', `The upstream registry answered ${response.status} for a tarball.`);
      }
      const length = Number(response.headers.get('content-length') ?? Number.NaN);
      const encoded = response.headers.get('content-encoding');
      const size = !encoded && Number.isSafeInteger(length) && length >= 0 ? length : undefined;
      if (size !== undefined && size > maxBytes) {
        await response.body.cancel();
        throw appError('VERSION_TOO_LARGE', `The upstream tarball is larger than ${maxBytes} bytes.`);
      }
      // the caller counts the bytes as they flow (a missing or wrong Content-Length proves nothing)
      return { size, body: response.body };
    },
  };
}
