import type { ExternalIdentity } from '@entropic/core';
import { sealSecret } from '@entropic/core';
import { appError } from '@entropic/types';
import * as oidc from 'openid-client';
import type { Config } from '../config.ts';

/** What a provider tells us about the person who signed in (before sealing the token). */
export interface ProviderProfile {
  subject: string;
  username: string | null;
  email: string | null;
  accessToken: string | null;
}

/** Values kept with the OAuth `state` between the redirect and the callback. */
export interface AuthorizationChecks {
  codeVerifier: string;
  nonce: string;
}

export interface SignInProvider {
  /** the URL segment: /www/login/providers/<id> */
  id: 'github' | 'oidc';
  label: string;
  /** the provider key stored with identities */
  identityProvider: string;
  authorizationUrl(input: { state: string; redirectUri: string; checks: AuthorizationChecks }): Promise<string>;
  /** Exchanges the callback's code for the profile; PROVIDER_UNAVAILABLE when the provider says no. */
  finish(input: { callbackUrl: URL; redirectUri: string; state: string; checks: AuthorizationChecks }): Promise<ProviderProfile>;
}

const HTTP_TIMEOUT_MS = 10_000;

export function providerFailed(message: string, cause?: unknown) {
  return appError('PROVIDER_UNAVAILABLE', message, cause === undefined ? {} : { cause: redactCause(cause) });
}

// Errors from HTTP clients can quote request bodies (client secrets, codes): keep only the message's first line.
function redactCause(cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new Error(message.split('\n')[0]?.replace(/(secret|token|code)=[^&\s]+/gi, '$1=[redacted]'));
}

/** GitHub (or GitHub Enterprise, or a test stand-in): the authorize, token and user endpoints. */
export function createGithubProvider(github: NonNullable<Config['github']>): SignInProvider {
  return {
    id: 'github',
    label: 'GitHub',
    identityProvider: 'github',
    async authorizationUrl({ state, redirectUri, checks }) {
      const url = new URL(github.authorizeUrl);
      url.searchParams.set('client_id', github.clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('scope', 'read:user user:email');
      url.searchParams.set('state', state);
      url.searchParams.set('allow_signup', 'true');
      // GitHub accepts PKCE; servers that do not know it ignore the parameters.
      url.searchParams.set('code_challenge', await oidc.calculatePKCECodeChallenge(checks.codeVerifier));
      url.searchParams.set('code_challenge_method', 'S256');
      return url.toString();
    },
    async finish({ callbackUrl, redirectUri, checks }) {
      const code = callbackUrl.searchParams.get('code');
      if (!code) throw appError('OAUTH_STATE_INVALID', 'GitHub did not send an authorization code.');
      let tokenResponse: Response;
      try {
        tokenResponse = await fetch(github.tokenUrl, {
          method: 'POST',
          headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'entropic' },
          body: new URLSearchParams({
            client_id: github.clientId,
            client_secret: github.clientSecret,
            code,
            redirect_uri: redirectUri,
            code_verifier: checks.codeVerifier,
          }),
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
      } catch (error) {
        throw providerFailed('GitHub could not be reached.', error);
      }
      const text = await tokenResponse.text();
      let fields: Record<string, unknown>;
      try {
        fields = (tokenResponse.headers.get('content-type') ?? '').includes('json')
          ? (JSON.parse(text) as Record<string, unknown>)
          : Object.fromEntries(new URLSearchParams(text));
      } catch {
        fields = {};
      }
      const accessToken = fields.access_token;
      if (!tokenResponse.ok || typeof accessToken !== 'string' || !accessToken) {
        const reason = typeof fields.error === 'string' ? ` (${fields.error.slice(0, 60)})` : '';
        throw providerFailed(`GitHub refused the sign-in${reason}.`);
      }
      let userResponse: Response;
      try {
        userResponse = await fetch(github.userUrl, {
          headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${accessToken}`, 'user-agent': 'entropic' },
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
      } catch (error) {
        throw providerFailed('GitHub could not be reached.', error);
      }
      if (!userResponse.ok) throw providerFailed(`GitHub did not tell us who you are (HTTP ${userResponse.status}).`);
      const user = (await userResponse.json().catch(() => ({}))) as { id?: unknown; login?: unknown; email?: unknown };
      if ((typeof user.id !== 'number' && typeof user.id !== 'string') || typeof user.login !== 'string') {
        throw providerFailed('GitHub answered without an account id.');
      }
      return {
        // the numeric id: a login can be renamed and then taken by someone else
        subject: String(user.id),
        username: user.login,
        email: typeof user.email === 'string' ? user.email : null,
        accessToken,
      };
    },
  };
}

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

/** Any OpenID Connect provider, found by discovery; authorization code flow with PKCE and a nonce. */
export function createOidcProvider(settings: NonNullable<Config['oidc']>): SignInProvider {
  const issuer = new URL(settings.issuer);
  if (issuer.protocol !== 'https:' && !isLoopback(issuer)) throw new Error('OIDC_ISSUER must be https (http is accepted on loopback only)');
  let configuration: Promise<oidc.Configuration> | undefined;
  const discover = () => {
    configuration ??= oidc
      .discovery(issuer, settings.clientId, settings.clientSecret || undefined, undefined, {
        ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
        timeout: HTTP_TIMEOUT_MS / 1000,
      })
      .catch((error: unknown) => {
        configuration = undefined; // try discovery again on the next sign-in
        throw providerFailed(`${settings.name} could not be reached.`, error);
      });
    return configuration;
  };
  return {
    id: 'oidc',
    label: settings.name,
    identityProvider: `oidc:${settings.issuer}`,
    async authorizationUrl({ state, redirectUri, checks }) {
      const config = await discover();
      return oidc
        .buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: 'openid email profile',
          state,
          nonce: checks.nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
          code_challenge_method: 'S256',
        })
        .toString();
    },
    async finish({ callbackUrl, state, checks }) {
      const config = await discover();
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(
          config,
          callbackUrl,
          // the redirect_uri sent to the token endpoint is callbackUrl without its query (= redirectUri)
          { pkceCodeVerifier: checks.codeVerifier, expectedState: state, expectedNonce: checks.nonce, idTokenExpected: true },
        );
      } catch (error) {
        throw providerFailed(`${settings.name} refused the sign-in.`, error);
      }
      const claims = tokens.claims();
      if (!claims?.sub) throw providerFailed(`${settings.name} answered without a subject.`);
      const username =
        typeof claims.preferred_username === 'string'
          ? claims.preferred_username
          : typeof claims.nickname === 'string'
            ? claims.nickname
            : null;
      const email = typeof claims.email === 'string' && claims.email_verified !== false ? claims.email : null;
      return { subject: claims.sub, username, email, accessToken: tokens.access_token ?? null };
    },
  };
}

/** The providers this configuration enables, in the order the login page lists them. */
export function createSignInProviders(config: Readonly<Config>): SignInProvider[] {
  const providers: SignInProvider[] = [];
  if (config.github) providers.push(createGithubProvider(config.github));
  if (config.oidc) providers.push(createOidcProvider(config.oidc));
  return providers;
}

/** The identity to store: the provider's access token sealed with OAUTH_PASSWORD. */
export function toExternalIdentity(provider: SignInProvider, profile: ProviderProfile, oauthPassword: string): ExternalIdentity {
  return {
    provider: provider.identityProvider,
    subject: profile.subject,
    username: profile.username,
    email: profile.email,
    accessTokenSealed: profile.accessToken ? sealSecret(oauthPassword, profile.accessToken) : null,
  };
}

/** A username suggestion from the provider's name for the account (the user may change it). */
export function suggestUsername(profile: ProviderProfile): string {
  const base = (profile.username ?? profile.email?.split('@')[0] ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return base.length >= 2 ? base : '';
}
