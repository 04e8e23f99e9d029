import { randomBytes } from 'node:crypto';
import {
  type AccountUser,
  clearSignInAttempts,
  countSignInAttempt,
  createLocalUser,
  createUserWithIdentity,
  findCliLogin,
  recordSignIn,
  recordSignInFailure,
  secondFactorsOf,
  signInWithIdentity,
  verifyLocalSignIn,
} from '@entropic/core';
import { type AppError, appError, isAppError } from '@entropic/types';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import type { SafeHtml } from './html.ts';
import { renderPage, sendPage } from './layout.ts';
import {
  csrfToken,
  ensureSession,
  type PendingIdentity,
  safeNextPath,
  sessionFingerprint,
  sessionUser,
  signIn,
  signOut,
  touchSession,
} from './session.ts';
import { type AuthorizationChecks, type SignInProvider, suggestUsername, toExternalIdentity } from './sign-in-providers.ts';
import { linkPage } from './views/link-page.ts';
import { loginPage } from './views/login-page.ts';
import { signupPage } from './views/signup-page.ts';

const OAUTH_STATE_TTL_SECONDS = 600;
const STATE_RE = /^[A-Za-z0-9_-]{43}$/;
const stateKey = (state: string) => `oauth-state:${state}`;

interface StoredState {
  provider: string;
  /** the session that started the sign-in: a state is only good in the browser it was made for */
  session: string;
  checks: AuthorizationChecks;
}

type Form = Record<string, string | undefined>;
const formOf = (request: FastifyRequest): Form => (request.body ?? {}) as Form;
const field = (form: Form, name: string, max = 512) => (form[name] ?? '').slice(0, max);

/** Where a browser goes once signed in: the pending CLI login, else the saved return path, else the tokens page. */
export function afterSignInPath(request: FastifyRequest): string {
  const session = request.webSession;
  if (session?.data.cli) return '/www/cli-login';
  const next = safeNextPath(session?.data.next);
  if (session && session.data.next !== undefined) {
    delete session.data.next;
    session.dirty = true;
  }
  return next ?? '/www/tokens';
}

/**
 * The first factor (password or provider) is good: a user with a second factor goes on to
 * /www/login/second-factor (the session is not signed in yet); anyone else is signed in here.
 */
async function completeSignIn(request: FastifyRequest, reply: FastifyReply, user: AccountUser, method: string): Promise<FastifyReply> {
  const { deps } = request.server;
  const factors = await secondFactorsOf(deps, { userId: user.id });
  if (factors.totp || factors.passkeys > 0) {
    touchSession(request).data.awaitingSecondFactor = { userId: user.id, method };
    return reply.redirect('/www/login/second-factor', 303);
  }
  await signIn(request, user);
  await recordSignIn(deps, { principal: { userId: user.id, username: user.name, scope: 'session', address: request.ip }, method });
  return reply.redirect(afterSignInPath(request), 303);
}

/** A form failure worth showing beside the form (bad input, name taken); anything else is a real error. */
function formError(error: unknown): AppError | undefined {
  return isAppError(error) && error.status < 500 && error.status !== 429 ? error : undefined;
}

/** /www/login, its password form and provider callbacks, /www/signup and /www/logout. */
export function registerLoginPages(www: FastifyInstance, providers: readonly SignInProvider[]): void {
  const renderLoginPage = (request: FastifyRequest, options: { error?: string; username?: string } = {}) => {
    const waitingCli = request.webSession?.data.cli !== undefined;
    const passwordForm = www.deps.config.localAccounts ? { csrfToken: csrfToken(request), username: options.username ?? '' } : undefined;
    return renderPage(request, {
      title: 'Sign in',
      ...(options.error ? { error: options.error } : {}),
      ...(waitingCli ? { notice: 'Sign in to finish logging in on the command line.' } : {}),
      body: loginPage({ providers, passwordForm, passkey: { csrfToken: csrfToken(request) } }),
    });
  };
  registerPasswordSignIn(www, renderLoginPage);
  registerProviderSignIn(www, providers);
  registerSignup(www);
  www.post('/logout', async (request: FastifyRequest, reply: FastifyReply) => {
    signOut(request);
    return reply.redirect('/www/login', 303);
  });
}

type LoginPageRenderer = (request: FastifyRequest, options?: { error?: string; username?: string }) => SafeHtml;

/** /www/login (the page, with a pending CLI login or a return path) and the password form. */
function registerPasswordSignIn(www: FastifyInstance, renderLoginPage: LoginPageRenderer): void {
  const { deps } = www;
  const { config } = deps;

  www.get<{ Querystring: Record<string, unknown> }>('/login', async (request, reply) => {
    const { cli, next } = request.query;
    let error: string | undefined;
    if (cli !== undefined) {
      if (typeof cli === 'string' && (await findCliLogin(deps, { id: cli }))) touchSession(request).data.cli = cli;
      else error = 'This command-line login is unknown, expired or already finished. Run the login command again.';
    }
    const safeNext = safeNextPath(next);
    if (safeNext) touchSession(request).data.next = safeNext;
    if (sessionUser(request) && !error) return reply.redirect(afterSignInPath(request), 303);
    return sendPage(reply, renderLoginPage(request, error ? { error } : {}), error ? 404 : 200);
  });

  www.post('/login', async (request, reply) => {
    if (!config.localAccounts) throw appError('PROVIDER_NOT_FOUND', 'Password sign-in is not enabled here.');
    const form = formOf(request);
    const username = field(form, 'username', 64).trim().toLowerCase();
    const password = field(form, 'password', 1024);
    // Counted before the password is checked: a blocked caller learns nothing more.
    await countSignInAttempt(deps, { ...(username ? { account: username } : {}), address: request.ip, limits: config.signInLimits });
    const user = username && password ? await verifyLocalSignIn(deps, { name: username, password }) : undefined;
    if (!user) {
      await recordSignInFailure(deps, { name: username, address: request.ip, method: 'password' });
      const page = renderLoginPage(request, { error: 'The username or password is not right.', username });
      return sendPage(reply, page, 401);
    }
    await clearSignInAttempts(deps, { account: username });
    return completeSignIn(request, reply, user, 'password');
  });
}

/** Sign-in with GitHub or OpenID Connect: the redirect to the provider and its callback. */
function registerProviderSignIn(www: FastifyInstance, providers: readonly SignInProvider[]): void {
  const { deps } = www;
  const { config, kv } = deps;
  const redirectUriOf = (provider: SignInProvider) => `${config.externalUrl}/www/login/providers/${provider.id}/callback`;
  const findProvider = (id: string) => {
    const provider = providers.find((p) => p.id === id);
    if (!provider) throw appError('PROVIDER_NOT_FOUND');
    return provider;
  };

  www.get<{ Params: { provider: string } }>('/login/providers/:provider', async (request, reply) => {
    const provider = findProvider(request.params.provider);
    const session = ensureSession(request);
    const state = randomBytes(32).toString('base64url');
    const checks: AuthorizationChecks = { codeVerifier: oidc.randomPKCECodeVerifier(), nonce: oidc.randomNonce() };
    const url = await provider.authorizationUrl({ state, redirectUri: redirectUriOf(provider), checks });
    const stored: StoredState = { provider: provider.id, session: sessionFingerprint(session), checks };
    await kv.set(stateKey(state), JSON.stringify(stored), { ttlSeconds: OAUTH_STATE_TTL_SECONDS });
    return reply.redirect(url, 303);
  });

  www.get<{ Params: { provider: string }; Querystring: Record<string, unknown> }>(
    '/login/providers/:provider/callback',
    async (request, reply) => {
      const provider = findProvider(request.params.provider);
      const state = typeof request.query.state === 'string' ? request.query.state : '';
      // take = read and delete atomically: a state works once, even for two racing callbacks
      const raw = STATE_RE.test(state) ? await kv.take(stateKey(state)) : undefined;
      if (!raw) throw appError('OAUTH_STATE_INVALID');
      const stored = JSON.parse(raw) as StoredState;
      const session = request.webSession;
      if (stored.provider !== provider.id || !session || stored.session !== sessionFingerprint(session)) {
        throw appError('OAUTH_STATE_INVALID', 'This sign-in was started in another browser or session; start again.');
      }
      if (typeof request.query.error === 'string') {
        const page = renderPage(request, {
          title: 'Sign-in cancelled',
          error: `${provider.label} did not sign you in (${request.query.error.slice(0, 80)}).`,
          body: linkPage({ href: '/www/login', text: 'Try again' }),
        });
        return sendPage(reply, page, 400);
      }
      const redirectUri = redirectUriOf(provider);
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const profile = await provider.finish({ callbackUrl: new URL(redirectUri + query), redirectUri, state, checks: stored.checks });
      const identity = toExternalIdentity(provider, profile, config.oauthPassword);
      const user = await signInWithIdentity(deps, { identity });
      if (user) return completeSignIn(request, reply, user, provider.id);
      const pending: PendingIdentity = { identity, suggestedName: suggestUsername(profile), providerLabel: provider.label };
      touchSession(request).data.pending = pending;
      return reply.redirect('/www/signup', 303);
    },
  );
}

/** /www/signup: a local account (password), or the username of a first-time provider identity. */
function registerSignup(www: FastifyInstance): void {
  const { deps } = www;
  const { config } = deps;

  const renderSignupPage = (request: FastifyRequest, options: { error?: string; username?: string; email?: string } = {}) => {
    const pending = request.webSession?.data.pending;
    const username = options.username ?? pending?.suggestedName ?? '';
    const email = options.email ?? pending?.identity.email ?? '';
    return renderPage(request, {
      title: pending ? 'Choose a username' : 'Create an account',
      ...(options.error ? { error: options.error } : {}),
      ...(pending ? { notice: `Signed in with ${pending.providerLabel}. One more step: pick the name you will publish under.` } : {}),
      body: signupPage({ csrfToken: csrfToken(request), username, email, withProvider: pending !== undefined }),
    });
  };

  www.get('/signup', async (request, reply) => {
    if (sessionUser(request)) return reply.redirect(afterSignInPath(request), 303);
    if (!request.webSession?.data.pending && !config.localAccounts) return reply.redirect('/www/login', 303);
    return sendPage(reply, renderSignupPage(request));
  });

  www.post('/signup', async (request, reply) => {
    if (sessionUser(request)) return reply.redirect(afterSignInPath(request), 303);
    const pending = request.webSession?.data.pending;
    if (!pending && !config.localAccounts) return reply.redirect('/www/login', 303);
    const form = formOf(request);
    const username = field(form, 'username', 100).trim().toLowerCase();
    const email = field(form, 'email', 300).trim();
    const again = (error: string, status: number) => sendPage(reply, renderSignupPage(request, { error, username, email }), status);
    let user: { id: number; name: string };
    try {
      if (pending) {
        user = await createUserWithIdentity(deps, { name: username, email: email || null, identity: pending.identity });
      } else {
        await countSignInAttempt(deps, { address: request.ip, limits: config.signInLimits });
        const password = field(form, 'password', 1024);
        if (password !== field(form, 'password2', 1024)) return again('The two passwords are not the same.', 400);
        user = await createLocalUser(deps, { name: username, email: email || null, password });
      }
    } catch (error) {
      const shown = formError(error);
      if (!shown) throw error;
      return again(shown.message, shown.status);
    }
    await signIn(request, user);
    return reply.redirect(afterSignInPath(request), 303);
  });
}
