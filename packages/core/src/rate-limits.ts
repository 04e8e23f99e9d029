import { appError } from '@entropic/types';
import type { CoreDeps } from './deps.ts';
import type { Principal } from './principal.ts';

/** Counts one event in a fixed window of the key-value store; RATE_LIMITED (429, Retry-After) past `limit` (0: no limit). */
async function countInWindow(deps: CoreDeps, key: string, limit: number, windowSeconds: number, message: string): Promise<void> {
  if (limit <= 0) return;
  const count = await deps.kv.increment(key, windowSeconds);
  if (count > limit) throw appError('RATE_LIMITED', message, { retryAfterSeconds: windowSeconds });
}

/** TOKEN_RATE_LIMIT_PER_MINUTE: requests one bearer token may make in a minute (a leaked token cannot hammer the registry). */
export async function countTokenRequest(deps: CoreDeps, input: { tokenId: string; perMinute: number }): Promise<void> {
  await countInWindow(
    deps,
    `rate:token:${input.tokenId}`,
    input.perMinute,
    60,
    'This token made too many requests in the last minute; slow down and try again shortly.',
  );
}

/** PUBLISH_RATE_LIMIT_PER_HOUR: publish requests (ds publish, npm publish and npm's package PUTs) one user may make in an hour. */
export async function countPublishRequest(deps: CoreDeps, input: { principal: Principal | undefined; perHour: number }): Promise<void> {
  if (!input.principal) return;
  await countInWindow(
    deps,
    `rate:publish:${input.principal.userId}`,
    input.perHour,
    3600,
    'Too many publishes from this account in the last hour; try again later.',
  );
}
