import type { Clock, VerifiedIdToken } from '@entropic/core';
import { appError, truncate } from '@entropic/types';
import { createRemoteJWKSet, decodeJwt, errors, type JWTPayload, jwtVerify } from 'jose';

/** Verifies CI id tokens for trusted publishing (issue 10.2). */
export interface OidcVerifier {
  verify(idToken: string): Promise<VerifiedIdToken>;
}

export interface OidcVerifierOptions {
  /** the issuers trusted here (TRUSTED_PUBLISHING_ISSUERS), without trailing slashes */
  issuers: readonly string[];
  /** the audience an id token must name: `npm:<this registry's host name>`, what the npm CLI asks CI for */
  audience: string;
  clock: Clock;
  /** bounds each discovery and key-set request (ms) */
  timeoutMs?: number;
}

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** an id token a little ahead of our clock is still fine; one past its expiry is not */
const CLOCK_TOLERANCE_SECONDS = 30;

function invalid(message: string, cause?: unknown) {
  return appError('OIDC_TOKEN_INVALID', message, {
    hint: 'Exchange a fresh id token from your CI (audience "npm:<registry host>") whose issuer this registry trusts.',
    ...(cause ? { cause } : {}),
  });
}

/**
 * The issuer's keys are found through OpenID Connect discovery (`<issuer>/.well-known/openid-configuration`
 * → `jwks_uri`) and cached by jose's remote key set (refetched for an unknown key id, at most
 * every 30 s). The id token's `iss` picks the issuer, which must be in the trusted list before
 * anything is fetched; then signature, issuer, audience and expiry are verified.
 */
export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const timeoutMs = options.timeoutMs ?? 5000;
  const keySets = new Map<string, Promise<ReturnType<typeof createRemoteJWKSet>>>();

  async function discover(issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) throw new Error(`discovery answered ${response.status}`);
      document = (await response.json()) as typeof document;
    } catch (error) {
      throw appError('SERVICE_UNAVAILABLE', `The OpenID Connect issuer ${truncate(issuer)} could not be reached.`, { cause: error });
    }
    if (typeof document.jwks_uri !== 'string' || String(document.issuer).replace(/\/+$/, '') !== issuer) {
      throw appError('SERVICE_UNAVAILABLE', `The OpenID Connect issuer ${truncate(issuer)} published an unusable discovery document.`);
    }
    return createRemoteJWKSet(new URL(document.jwks_uri), { timeoutDuration: timeoutMs });
  }

  function keySetOf(issuer: string) {
    let found = keySets.get(issuer);
    if (!found) {
      found = discover(issuer);
      keySets.set(issuer, found);
      // a failed discovery is tried again next time
      found.catch(() => keySets.delete(issuer));
    }
    return found;
  }

  return {
    async verify(idToken) {
      let unverified: JWTPayload;
      try {
        unverified = decodeJwt(idToken);
      } catch (error) {
        throw invalid('The id token is not a JWT.', error);
      }
      const issuer = typeof unverified.iss === 'string' ? unverified.iss.replace(/\/+$/, '') : '';
      if (!options.issuers.includes(issuer)) {
        throw invalid(`The id token's issuer "${truncate(issuer || '(none)')}" is not trusted by this registry.`);
      }
      const keys = await keySetOf(issuer);
      try {
        const { payload } = await jwtVerify(idToken, keys, {
          issuer: [issuer, `${issuer}/`],
          audience: options.audience,
          algorithms: ALGORITHMS,
          requiredClaims: ['exp'],
          currentDate: options.clock.now(),
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        });
        return { issuer, claims: payload as Record<string, unknown>, expiresAt: new Date((payload.exp as number) * 1000) };
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw invalid('The id token has expired.', error);
        if (error instanceof errors.JWTClaimValidationFailed) {
          const claim = error.claim === 'aud' ? `audience (expected "${options.audience}")` : `"${error.claim}" claim`;
          throw invalid(`The id token's ${claim} is not valid.`, error);
        }
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed) {
          throw invalid("The id token's signature does not verify with the issuer's published keys.", error);
        }
        if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
          throw appError('SERVICE_UNAVAILABLE', `The keys of ${truncate(issuer)} could not be fetched.`, { cause: error });
        }
        if (error instanceof errors.JOSEError) throw invalid('The id token could not be verified.', error);
        throw error;
      }
    },
  };
}
