import { appError, isFederatedNpmName } from '@entropic/types';
import type { UpstreamPackumentResult, UpstreamRegistry, UpstreamTarball } from './npm-mirror.ts';

const PACKUMENT_TIMEOUT_MS = 10_000;
const TARBALL_TIMEOUT_MS = 60_000;
const ADVISORIES_TIMEOUT_MS = 15_000;
/** an upstream advisories answer larger than this is refused (npm's answers for a big project are a few hundred KB) */
const ADVISORIES_MAX_BYTES = 16 * 1024 * 1024;

/** An npm-compatible upstream over HTTP (undici's fetch), with timeouts and a size cap. */
export function createHttpUpstreamRegistry(baseUrl: string): UpstreamRegistry {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    url: base,
    async fetchPackument(name: string, etag: string | undefined): Promise<UpstreamPackumentResult> {
      // a federated name is never an upstream one, whatever asks (the mirror checks first too)
      if (isFederatedNpmName(name)) return { status: 'not-found' };
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
    async bulkAdvisories(query: Record<string, string[]>): Promise<Record<string, unknown[]>> {
      const unavailable = (why: string, cause?: unknown) =>
        appError('UPSTREAM_UNAVAILABLE', `The upstream registry's security advisories could not be fetched: ${why}.`, {
          ...(cause ? { cause } : {}),
          hint: 'npm audit cannot tell whether the mirrored packages are vulnerable until the upstream answers; try again later.',
        });
      let response: Response;
      try {
        response = await fetch(`${base}/-/npm/v1/security/advisories/bulk`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(query),
          signal: AbortSignal.timeout(ADVISORIES_TIMEOUT_MS),
          redirect: 'follow',
        });
      } catch (error) {
        throw unavailable('it could not be reached', error);
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw unavailable(`it answered ${response.status}`);
      }
      const length = Number(response.headers.get('content-length') ?? 0);
      if (length > ADVISORIES_MAX_BYTES) {
        await response.body?.cancel();
        throw unavailable('its answer is too large');
      }
      let parsed: unknown;
      try {
        const text = await response.text();
        if (text.length > ADVISORIES_MAX_BYTES) throw new Error('too large');
        parsed = JSON.parse(text);
      } catch (error) {
        throw unavailable('its answer is not JSON', error);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw unavailable('its answer is not an object');
      const out: Record<string, unknown[]> = {};
      for (const [name, list] of Object.entries(parsed as Record<string, unknown>)) {
        // only the names asked, each a list (an upstream adding others is not believed for them)
        if (Object.hasOwn(query, name) && Array.isArray(list)) out[name] = list;
      }
      return out;
    },
  };
}
