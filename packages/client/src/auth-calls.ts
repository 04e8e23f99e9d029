import { ClientError } from './client-error.ts';
import { type JsonCalls, parseJson } from './json-calls.ts';

export interface LoginSession {
  loginUrl: string;
  doneUrl: string;
}

export type LoginPoll = { status: 'pending'; retryAfterMs: number } | { status: 'done'; token: string };

/** A token as `/auth/tokens` lists it (the secret itself is only returned on creation). */
export interface TokenInfo {
  id: string;
  description: string;
  scope: 'read' | 'publish';
  created: string;
  lastUsed: string | null;
  expires: string | null;
  /** the first characters of the secret (registries before granular tokens omit these fields) */
  prefix?: string;
  namespaces?: string[];
  packages?: string[];
  cidrs?: string[];
  automation?: boolean;
}

export interface CreatedToken extends TokenInfo {
  token: string;
}

export interface CreateTokenInput {
  description: string;
  scope?: 'read' | 'publish';
  expiresInDays?: number;
  /** limit the token to these namespaces (`ns`) and packages (`ns/name`) of the registry */
  namespaces?: string[];
  packages?: string[];
  /** CIDR blocks the token may be used from */
  cidrs?: string[];
  /** a CI token (skips the interactive second factor, nothing else) */
  automation?: boolean;
}

/** Who is signed in, the browser login of `ds login`, and API tokens. */
export function authCalls({ transport, json, empty, allPages }: JsonCalls) {
  const { registry } = transport;

  async function tokenApi<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ClientError && (error.status === 404 || error.status === 405) && error.code !== 'TOKEN_NOT_FOUND') {
        throw new ClientError('TOKEN_API_UNAVAILABLE', `The registry at ${registry} has no token API.`, {
          hint: `Manage tokens on the website: ${registry}/www/tokens`,
          cause: error,
        });
      }
      throw error;
    }
  }

  return {
    whoami(): Promise<{ username: string }> {
      return json<{ username: string }>('/auth/whoami');
    },

    startLogin(): Promise<LoginSession> {
      return json<LoginSession>('/-/v1/login', { method: 'POST', json: {}, auth: false });
    },

    async pollLogin(doneUrl: string): Promise<LoginPoll> {
      const raw = await transport.send(doneUrl, { auth: false, accept: [202, 404] });
      if (raw.status === 404) {
        await raw.body.dump();
        throw new ClientError('LOGIN_EXPIRED', 'The login session expired or was already used.', { hint: 'Run `ds login` again.' });
      }
      const body = (await parseJson(raw)) as { token?: unknown };
      if (raw.status === 202) {
        const retry = Number(raw.headers.get('retry-after') ?? undefined);
        return { status: 'pending', retryAfterMs: Number.isFinite(retry) && retry > 0 ? retry * 1000 : 1000 };
      }
      if (typeof body.token !== 'string') throw new ClientError('INVALID_RESPONSE', 'The login poll answered without a token.');
      return { status: 'done', token: body.token };
    },

    async listTokens(): Promise<TokenInfo[]> {
      return tokenApi(() => allPages<TokenInfo>('/auth/tokens'));
    },

    async createToken(input: CreateTokenInput): Promise<CreatedToken> {
      return tokenApi(() => json<CreatedToken>('/auth/tokens', { method: 'POST', json: input }));
    },

    async revokeToken(id: string): Promise<void> {
      return tokenApi(() => empty(`/auth/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }));
    },
  };
}
