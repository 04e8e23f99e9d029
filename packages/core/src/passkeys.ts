import { randomBytes } from 'node:crypto';
import { appError } from '@entropic/types';
import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { recordAudit } from './audit-log.ts';
import { requireWebsiteSession } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import type { WebAuthnCredentialRow } from './ports/security.ts';
import type { Principal } from './principal.ts';

/**
 * Passkeys (WebAuthn, issue 10.1) for website sign-in: passwordless, or as the second step after
 * a password. The ceremony options come from @simplewebauthn/server; the relying party (RP ID and
 * origin) from the server's config (EXTERNAL_HOST). A challenge is stored in the key-value store
 * under its own value, bound to the browser session that asked for it, and taken (read and
 * deleted atomically) before anything is checked: every response, good or bad, spends it, so an
 * assertion can never be replayed, not even after a failed attempt.
 */

/** This registry as a WebAuthn relying party: from the config module. */
export interface RelyingParty {
  /** the RP ID: EXTERNAL_HOST's host name */
  id: string;
  /** the origin pages are served from: EXTERNAL_HOST's origin */
  origin: string;
  name: string;
}

const CHALLENGE_TTL_SECONDS = 300;
const MAX_PASSKEYS = 20;
const NAME_MAX = 64;
const challengeKey = (challenge: string) => `webauthn-challenge:${challenge}`;
const B64URL_RE = /^[A-Za-z0-9_-]{16,200}$/;

type Purpose = 'register' | 'sign-in';
interface StoredChallenge {
  purpose: Purpose;
  /** the browser session that asked (see sessionFingerprint) */
  binding: string;
  /** registration, and sign-in as the second step: the user it is for */
  userId?: number;
}

const TRANSPORTS = new Set<string>(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

async function storeChallenge(deps: CoreDeps, challenge: string, stored: StoredChallenge): Promise<void> {
  await deps.kv.set(challengeKey(challenge), JSON.stringify(stored), { ttlSeconds: CHALLENGE_TTL_SECONDS });
}

/** The challenge a response answers (from its clientDataJSON), taken from the store: undefined when unknown, expired or used. */
async function takeChallenge(
  deps: CoreDeps,
  clientDataJSON: unknown,
  expected: { purpose: Purpose; binding: string },
): Promise<(StoredChallenge & { challenge: string }) | undefined> {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 4096) return undefined;
  let challenge: unknown;
  try {
    challenge = (JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown }).challenge;
  } catch {
    return undefined;
  }
  if (typeof challenge !== 'string' || !B64URL_RE.test(challenge)) return undefined;
  const raw = await deps.kv.take(challengeKey(challenge));
  if (!raw) return undefined;
  const stored = JSON.parse(raw) as StoredChallenge;
  if (stored.purpose !== expected.purpose || stored.binding !== expected.binding) return undefined;
  return { ...stored, challenge };
}

/** What the browser sends back; checked for shape here, cryptographically by the library. */
function responseOf<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(value: unknown): T {
  const r = value as Partial<T> | null;
  if (
    !r ||
    typeof r !== 'object' ||
    typeof r.id !== 'string' ||
    !B64URL_RE.test(r.id) ||
    r.type !== 'public-key' ||
    !r.response ||
    typeof r.response !== 'object'
  ) {
    throw appError('PASSKEY_INVALID', 'That is not a passkey response.');
  }
  return r as T;
}

const userIdBytes = (userId: number) => new TextEncoder().encode(`entropic-user-${userId}`);

/** Options for `navigator.credentials.create()`: a new passkey for the signed-in user (website session). */
export async function startPasskeyRegistration(
  deps: CoreDeps,
  input: { principal: Principal | undefined; relyingParty: RelyingParty; binding: string },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const p = requireWebsiteSession(input.principal);
  const existing = await deps.repos.security.listPasskeys(p.userId);
  if (existing.length >= MAX_PASSKEYS) throw appError('PASSKEY_LIMIT', `An account can have at most ${MAX_PASSKEYS} passkeys.`);
  const options = await generateRegistrationOptions({
    rpName: input.relyingParty.name,
    rpID: input.relyingParty.id,
    userName: p.username,
    userID: userIdBytes(p.userId),
    challenge: randomBytes(32),
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports as AuthenticatorTransportFuture[] })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  });
  await storeChallenge(deps, options.challenge, { purpose: 'register', binding: input.binding, userId: p.userId });
  return options;
}

/** Checks the authenticator's answer to a registration and stores the passkey (audit: passkey-added). */
export async function finishPasskeyRegistration(
  deps: CoreDeps,
  input: { principal: Principal | undefined; relyingParty: RelyingParty; binding: string; response: unknown; name: string },
): Promise<{ id: string; name: string }> {
  const p = requireWebsiteSession(input.principal);
  const response = responseOf<RegistrationResponseJSON>(input.response);
  const stored = await takeChallenge(deps, response.response.clientDataJSON, { purpose: 'register', binding: input.binding });
  if (!stored || stored.userId !== p.userId) throw appError('PASSKEY_CHALLENGE_INVALID');
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: stored.challenge,
      expectedOrigin: input.relyingParty.origin,
      expectedRPID: input.relyingParty.id,
      requireUserVerification: false,
    });
  } catch (cause) {
    throw appError('PASSKEY_INVALID', undefined, { cause });
  }
  if (!verification.verified || !verification.registrationInfo) throw appError('PASSKEY_INVALID');
  const { credential } = verification.registrationInfo;
  const name = input.name.trim().slice(0, NAME_MAX) || 'Passkey';
  if (await deps.repos.security.findPasskey(credential.id)) throw appError('PASSKEY_EXISTS');
  await deps.uow.transaction(async (repos) => {
    await repos.security.addPasskey({
      id: credential.id,
      userId: p.userId,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: (credential.transports ?? []).filter((t) => TRANSPORTS.has(t)),
      name,
    });
    await recordAudit(repos, deps.clock.now(), p, 'passkey-added', { details: { passkey: credential.id, name } });
  });
  return { id: credential.id, name };
}

/**
 * Options for `navigator.credentials.get()`. Without a user: passwordless sign-in, any of this
 * site's discoverable passkeys. With one (the second step after a password): that user's passkeys.
 */
export async function startPasskeySignIn(
  deps: CoreDeps,
  input: { relyingParty: RelyingParty; binding: string; userId?: number },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allow = input.userId === undefined ? [] : await deps.repos.security.listPasskeys(input.userId);
  const options = await generateAuthenticationOptions({
    rpID: input.relyingParty.id,
    challenge: randomBytes(32),
    // passwordless, the passkey is both factors: the authenticator must verify the user (PIN, biometrics)
    userVerification: input.userId === undefined ? 'required' : 'preferred',
    allowCredentials: allow.map((c) => ({ id: c.id, transports: c.transports as AuthenticatorTransportFuture[] })),
  });
  await storeChallenge(deps, options.challenge, {
    purpose: 'sign-in',
    binding: input.binding,
    ...(input.userId === undefined ? {} : { userId: input.userId }),
  });
  return options;
}

/**
 * Checks an assertion: the challenge this session asked for (spent whatever the outcome), the
 * origin and RP ID, the signature with the stored public key, and the signature counter, which
 * must grow (a cloned authenticator or a replay shows an old one) and is swapped atomically so two
 * racing requests cannot both win. Answers the passkey's user id. Failures are in the audit log.
 */
export async function finishPasskeySignIn(
  deps: CoreDeps,
  input: { relyingParty: RelyingParty; binding: string; response: unknown; address?: string },
): Promise<{ userId: number; passkey: string; userVerified: boolean; passwordless: boolean }> {
  const response = responseOf<AuthenticationResponseJSON>(input.response);
  const stored = await takeChallenge(deps, response.response.clientDataJSON, { purpose: 'sign-in', binding: input.binding });
  const credential = await deps.repos.security.findPasskey(response.id);
  const fail = async (code: 'PASSKEY_CHALLENGE_INVALID' | 'PASSKEY_INVALID', reason: string) => {
    if (credential) await recordPasskeyFailure(deps, credential, reason, input.address);
    return appError(code);
  };
  if (!stored) throw await fail('PASSKEY_CHALLENGE_INVALID', 'challenge');
  if (!credential || (stored.userId !== undefined && credential.userId !== stored.userId)) {
    throw await fail('PASSKEY_INVALID', 'unknown passkey');
  }
  let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: stored.challenge,
      expectedOrigin: input.relyingParty.origin,
      expectedRPID: input.relyingParty.id,
      credential: {
        id: credential.id,
        publicKey: new Uint8Array(Buffer.from(credential.publicKey, 'base64url')),
        counter: credential.counter,
        transports: credential.transports as AuthenticatorTransportFuture[],
      },
      requireUserVerification: stored.userId === undefined,
    });
  } catch (cause) {
    const error = await fail('PASSKEY_INVALID', String((cause as Error)?.message ?? cause).slice(0, 200));
    error.cause = cause;
    throw error;
  }
  if (!verification.verified) throw await fail('PASSKEY_INVALID', 'signature');
  const { newCounter, userVerified } = verification.authenticationInfo;
  if (!(await deps.repos.security.usePasskey(credential.id, { previous: credential.counter, next: newCounter }, deps.clock.now()))) {
    throw await fail('PASSKEY_INVALID', 'counter');
  }
  return { userId: credential.userId, passkey: credential.id, userVerified, passwordless: stored.userId === undefined };
}

async function recordPasskeyFailure(deps: CoreDeps, credential: WebAuthnCredentialRow, reason: string, address?: string) {
  const user = await deps.repos.users.findById(credential.userId);
  if (!user) return;
  await recordAudit(
    deps.repos,
    deps.clock.now(),
    { userId: user.id, username: user.name, scope: 'session', ...(address ? { address } : {}) },
    'sign-in-failed',
    { details: { method: 'passkey', passkey: credential.id, reason } },
  );
}

export interface PasskeySummary {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | undefined;
}

/** The signed-in user's passkeys (website session). */
export async function listPasskeys(deps: CoreDeps, input: { principal: Principal | undefined }): Promise<PasskeySummary[]> {
  const p = requireWebsiteSession(input.principal);
  const rows = await deps.repos.security.listPasskeys(p.userId);
  return rows.map(({ id, name, createdAt, lastUsedAt }) => ({ id, name, createdAt, lastUsedAt }));
}

/**
 * Removes one of the signed-in user's passkeys (audit: passkey-removed). Removing a second factor
 * takes a session that was signed in with one, as turning TOTP off takes a code.
 */
export async function removePasskey(deps: CoreDeps, input: { principal: Principal | undefined; id: string }): Promise<void> {
  const p = requireWebsiteSession(input.principal);
  if (!p.secondFactor) {
    throw appError('OTP_REQUIRED', 'Sign out and in again with your second factor (a passkey or a code) to remove a passkey.');
  }
  await deps.uow.transaction(async (repos) => {
    if (!(await repos.security.deletePasskey(p.userId, input.id))) throw appError('PASSKEY_NOT_FOUND');
    await recordAudit(repos, deps.clock.now(), p, 'passkey-removed', { details: { passkey: input.id } });
  });
}
