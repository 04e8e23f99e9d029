import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface GithubAccount {
  id: number;
  login: string;
  email: string | null;
}

export interface GithubStandIn {
  url: string;
  /** env for the registry: OAUTH_GITHUB_CLIENT/SECRET and the three endpoint URLs */
  env: Record<string, string>;
  /** who the next authorization signs in as */
  account: GithubAccount;
  /** access tokens handed out so far (to check they are never stored or shown in the clear) */
  issuedTokens: string[];
  /** the last authorize request's query */
  lastAuthorize: URLSearchParams | undefined;
  close(): Promise<void>;
}

const CLIENT_ID = 'stand-in-client-id';
const CLIENT_SECRET = 'stand-in-client-secret-0123456789abcdef';

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

/**
 * A small local server playing GitHub's three OAuth endpoints: authorize (redirects straight
 * back with a code, as after the user clicked "Authorize"), access_token (checks the client,
 * the code, the redirect URI and PKCE) and user.
 */
export async function startGithubStandIn(
  account: GithubAccount = { id: 4242, login: 'Octo-Cat', email: 'octo@example.com' },
): Promise<GithubStandIn> {
  const codes = new Map<string, { redirectUri: string; challenge: string | null; account: GithubAccount }>();
  const tokens = new Map<string, GithubAccount>();
  const standIn: GithubStandIn = {
    url: '',
    env: {},
    account,
    issuedTokens: [],
    lastAuthorize: undefined,
    close: async () => {},
  };
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', standIn.url);
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      standIn.lastAuthorize = url.searchParams;
      if (url.searchParams.get('client_id') !== CLIENT_ID) return json(400, { error: 'unknown client' });
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      const code = randomBytes(10).toString('hex');
      codes.set(code, { redirectUri, challenge: url.searchParams.get('code_challenge'), account: { ...standIn.account } });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      response.writeHead(302, { location: back.toString() });
      return response.end();
    }
    if (request.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(await readBody(request));
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== CLIENT_SECRET)
        return json(200, { error: 'incorrect_client_credentials' });
      if (!grant || grant.redirectUri !== form.get('redirect_uri')) return json(200, { error: 'bad_verification_code' });
      const verifier = form.get('code_verifier') ?? '';
      if (grant.challenge && createHash('sha256').update(verifier).digest('base64url') !== grant.challenge)
        return json(200, { error: 'invalid_grant' });
      const token = `gho_${randomBytes(18).toString('hex')}`;
      tokens.set(token, grant.account);
      standIn.issuedTokens.push(token);
      return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }
    if (request.method === 'GET' && url.pathname === '/user') {
      const match = /^(?:Bearer|token) (\S+)$/.exec(request.headers.authorization ?? '');
      const who = match ? tokens.get(match[1] as string) : undefined;
      if (!who) return json(401, { message: 'Bad credentials' });
      return json(200, { id: who.id, login: who.login, email: who.email, name: who.login });
    }
    json(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  standIn.url = `http://127.0.0.1:${port}`;
  standIn.env = {
    OAUTH_GITHUB_CLIENT: CLIENT_ID,
    OAUTH_GITHUB_SECRET: CLIENT_SECRET,
    OAUTH_GITHUB_AUTHORIZE_URL: `${standIn.url}/login/oauth/authorize`,
    OAUTH_GITHUB_TOKEN_URL: `${standIn.url}/login/oauth/access_token`,
    OAUTH_GITHUB_USER_URL: `${standIn.url}/user`,
  };
  standIn.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return standIn;
}
