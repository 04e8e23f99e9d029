import { randomUUID } from 'node:crypto';
import type { KeyValueStore } from '@entropic/kv';
import { appError } from '@entropic/types';

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

export async function startCliLogin(kv: KeyValueStore, hostname: string): Promise<string> {
  const id = randomUUID();
  const state: CliLoginState = { state: 'pending', hostname };
  await kv.set(key(id), JSON.stringify(state), { ttlSeconds: CLI_LOGIN_TTL_SECONDS });
  return id;
}

/** The pending login the website is about to complete (undefined: unknown, expired or used). */
export async function findCliLogin(kv: KeyValueStore, id: string): Promise<{ hostname: string } | undefined> {
  if (!UUID_RE.test(id)) return undefined;
  const raw = await kv.get(key(id));
  if (!raw) return undefined;
  const state = JSON.parse(raw) as CliLoginState;
  return state.state === 'pending' ? { hostname: state.hostname } : undefined;
}

/** Called by the website once the signed-in user confirmed the login: the token waits for one poll. */
export async function completeCliLogin(kv: KeyValueStore, id: string, token: string): Promise<void> {
  const pending = await findCliLogin(kv, id);
  if (!pending) throw appError('LOGIN_SESSION_NOT_FOUND');
  const state: CliLoginState = { state: 'done', hostname: pending.hostname, token };
  await kv.set(key(id), JSON.stringify(state), { ttlSeconds: CLI_LOGIN_TTL_SECONDS });
}

/** The signed-in user declined: the next poll answers 404, so the client stops at once. */
export async function cancelCliLogin(kv: KeyValueStore, id: string): Promise<void> {
  if (await findCliLogin(kv, id)) await kv.delete(key(id));
}

/** Pending → 'pending'; done → the token, exactly once; unknown, expired or delivered → 404. */
export async function pollCliLogin(kv: KeyValueStore, id: string): Promise<{ state: 'pending' } | { state: 'done'; token: string }> {
  parseCliLoginId(id);
  const raw = await kv.get(key(id));
  if (!raw) throw appError('LOGIN_SESSION_NOT_FOUND');
  const state = JSON.parse(raw) as CliLoginState;
  if (state.state === 'pending') return { state: 'pending' };
  const taken = await kv.take(key(id));
  if (!taken) throw appError('LOGIN_SESSION_NOT_FOUND');
  const final = JSON.parse(taken) as CliLoginState;
  if (final.state !== 'done' || !final.token) throw appError('LOGIN_SESSION_NOT_FOUND');
  return { state: 'done', token: final.token };
}
