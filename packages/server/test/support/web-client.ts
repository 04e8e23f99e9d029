import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * A cookie-keeping client for website tests over app.inject: what a browser does, minus the
 * rendering. `csrf` is read from the last page that had a form.
 */
export class WebClient {
  readonly cookies = new Map<string, string>();
  csrf = '';
  last: LightMyRequestResponse | undefined;

  constructor(
    readonly app: FastifyInstance,
    readonly headers: Record<string, string> = {},
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(response: LightMyRequestResponse): LightMyRequestResponse {
    for (const cookie of response.cookies as Array<{ name: string; value: string; maxAge?: number }>) {
      if (cookie.maxAge === 0 || cookie.value === '') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const match = /name="_csrf" value="([^"]+)"/.exec(response.body);
    if (match) this.csrf = match[1] as string;
    this.last = response;
    return response;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({ method: 'GET', url, headers: { ...this.headers, cookie: this.cookieHeader(), ...headers } });
    return this.remember(response);
  }

  /** Posts a form; `_csrf` is added from the last page unless the fields set it (or `csrf: false`). */
  async post(
    url: string,
    fields: Record<string, string>,
    options: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams(options.csrf === false || '_csrf' in fields ? fields : { _csrf: this.csrf, ...fields });
    const response = await this.app.inject({
      method: 'POST',
      url,
      headers: {
        ...this.headers,
        'content-type': 'application/x-www-form-urlencoded',
        cookie: this.cookieHeader(),
        ...options.headers,
      },
      payload: body.toString(),
    });
    return this.remember(response);
  }

  /** Follows redirects within the app (up to 10); stops at the first non-local one. */
  async follow(response: LightMyRequestResponse): Promise<LightMyRequestResponse> {
    let current = response;
    for (let i = 0; i < 10 && current.statusCode >= 300 && current.statusCode < 400; i++) {
      const location = String(current.headers.location);
      if (!location.startsWith('/')) break;
      current = await this.get(location);
    }
    return current;
  }
}

/** Signs a new local account up through the form; returns the client, signed in. */
export async function signUpLocal(app: FastifyInstance, name: string, password = 'correct horse battery'): Promise<WebClient> {
  const client = new WebClient(app);
  await client.get('/www/signup');
  const response = await client.post('/www/signup', { username: name, email: '', password, password2: password });
  if (response.statusCode !== 303) throw new Error(`sign-up failed: ${response.statusCode} ${response.body}`);
  await client.follow(response);
  return client;
}
