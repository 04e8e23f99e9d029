import type { Page } from '@entropic/types';
import { ClientError } from './client-error.ts';
import type { RawResponse, RegistryTransport, ResponseHeaders, SendOptions } from './registry-transport.ts';

/** Requests by their answer: a JSON document, nothing, or every page of a paginated list. */
export interface JsonCalls {
  readonly transport: RegistryTransport;
  json<T>(path: string, init?: SendOptions): Promise<T>;
  empty(path: string, init?: SendOptions): Promise<void>;
  allPages<T>(path: string): Promise<T[]>;
}

/** The body parsed as JSON; INVALID_RESPONSE when it is not JSON. */
export async function parseJson(raw: RawResponse): Promise<unknown> {
  const text = await raw.body.text();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ClientError('INVALID_RESPONSE', `The registry answered ${raw.status} with a body that is not JSON.`, { cause: error });
  }
}

export function createJsonCalls(transport: RegistryTransport): JsonCalls {
  async function json<T>(path: string, init: SendOptions = {}): Promise<T> {
    const raw = await transport.send(path, init);
    return (await parseJson(raw)) as T;
  }

  return {
    transport,
    json,

    async empty(path, init = {}) {
      const raw = await transport.send(path, init);
      await raw.body.dump();
    },

    async allPages<T>(path: string): Promise<T[]> {
      const out: T[] = [];
      let cursor: string | null = null;
      do {
        const sep = path.includes('?') ? '&' : '?';
        const page: Page<T> = await json<Page<T>>(`${path}${sep}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        out.push(...page.objects);
        cursor = page.next;
      } while (cursor);
      return out;
    },
  };
}

/** `namespace@host`, as paths name namespaces and users. */
export function ns(namespace: string, host: string): string {
  return `${namespace}@${host}`;
}

/** Freshness lifetime left of a response (RFC 9111 §4.2): max-age less the Age a cache in between added; 0 for private answers. */
export function freshSeconds(headers: ResponseHeaders): number {
  const control = (headers.get('cache-control') ?? '').toLowerCase();
  // `private`: an answer for this credential only; the cache may be shared by several (one HOME,
  // several tokens), so it is asked for again every time (a revoked reader is refused at once)
  if (/(?:^|,)\s*(?:no-cache|no-store|private)\b/.test(control)) return 0;
  const maxAge = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,9})"?/.exec(control);
  if (!maxAge) return 0;
  const age = Number(/^\d{1,9}$/.exec(headers.get('age')?.trim() ?? '')?.[0] ?? 0);
  return Math.max(0, Number(maxAge[1]) - age);
}
