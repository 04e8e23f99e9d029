import { randomUUID } from 'node:crypto';
import { appError } from '@entropic/types';
import type { CoreDeps } from './deps.ts';

/** A pending CLI/npm web login lives for ten minutes. */
export const CLI_LOGIN_TTL_SECONDS = 600;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface CliLoginState {
  state: 'pending' | 'done';
  hostname: string;
  token?: string;
}

const key = (id: string) => `cli-login:${id}`;

export function parseCliLoginId(id: string): string {
  if (!UUID_RE.test(id)) throw appError('INVALID_SESSION_ID', 'The login session id must be a UUID.');
  return id;
}

export async function startCliLogin(deps: CoreDeps, input: { hostname: string }): Promise<string> {
  const id = randomUUID();
  const state: CliLoginState = { state: 'pending', hostname: input.hostname };
  await deps.kv.set(key(id), JSON.stringify(state), { ttlSeconds: CLI_LOGIN_TTL_SECONDS });
  return id;
}

/** The pending login the website is about to complete (undefined: unknown, expired or used). */
export async function findCliLogin(deps: CoreDeps, input: { id: string }): Promise<{ hostname: string } | undefined> {
  if (!UUID_RE.test(input.id)) return undefined;
  const raw = await deps.kv.get(key(input.id));
  if (!raw) return undefined;
  const state = JSON.parse(raw) as CliLoginState;
  return state.state === 'pending' ? { hostname: state.hostname } : undefined;
}

/** Called by the website once the signed-in user confirmed the login: the token waits for one poll. */
export async function completeCliLogin(deps: CoreDeps, input: { id: string; token: string }): Promise<void> {
  const pending = await findCliLogin(deps, { id: input.id });
  if (!pending) throw appError('LOGIN_SESSION_NOT_FOUND');
  const state: CliLoginState = { state: 'done', hostname: pending.hostname, token: input.token };
  await deps.kv.set(key(input.id), JSON.stringify(state), { ttlSeconds: CLI_LOGIN_TTL_SECONDS });
}

/** The signed-in user declined: the next poll answers 404, so the client stops at once. */
export async function cancelCliLogin(deps: CoreDeps, input: { id: string }): Promise<void> {
  if (await findCliLogin(deps, input)) await deps.kv.delete(key(input.id));
}

/** Pending → 'pending'; done → the token, exactly once; unknown, expired or delivered → 404. */
export async function pollCliLogin(
  deps: CoreDeps,
  input: { id: string },
): Promise<{ state: 'pending' } | { state: 'done'; token: string }> {
  const id = parseCliLoginId(input.id);
  const raw = await deps.kv.get(key(id));
  if (!raw) throw appError('LOGIN_SESSION_NOT_FOUND');
  const state = JSON.parse(raw) as CliLoginState;
  if (state.state === 'pending') return { state: 'pending' };
  const taken = await deps.kv.take(key(id));
  if (!taken) throw appError('LOGIN_SESSION_NOT_FOUND');
  const final = JSON.parse(taken) as CliLoginState;
  if (final.state !== 'done' || !final.token) throw appError('LOGIN_SESSION_NOT_FOUND');
  return { state: 'done', token: final.token };
}
