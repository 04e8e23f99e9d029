import { createHash, randomBytes } from 'node:crypto';
import { appError, type NamespaceRef } from '@entropic/types';
import { Secret, TOTP } from 'otpauth';
import { recordAudit } from './audit-log.ts';
import { assertLocal, assertMaySetNamespaceSecondFactor, requireWebsiteSession } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import { formatNamespace, getNamespace } from './namespaces.ts';
import type { Repositories } from './ports/repositories.ts';
import type { PresentedOtp, Principal } from './principal.ts';
import { openSecret, sealSecret } from './secret-box.ts';
import { APPROVAL_CODE_RE, consumeApprovalCode } from './write-approval.ts';

/** RFC 6238 as every authenticator app implements it: SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** one step either side: a code typed just before its step ended, or a phone clock a little off */
const WINDOW = 1;
const RECOVERY_CODES = 10;
const CODE_RE = /^[0-9]{6}$/;
const RECOVERY_RE = /^[a-z0-9]{5}-?[a-z0-9]{5}$/;

function totp(secretBase32: string, label: string): TOTP {
  return new TOTP({
    issuer: 'Entropic',
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

const normalizeCode = (code: string) => code.replace(/\s+/g, '');
const hashRecoveryCode = (code: string) => createHash('sha256').update(code.toLowerCase().replace('-', '')).digest('hex');

/** The time step a code matches (within the window) at `now`, or undefined. */
function matchingStep(secretBase32: string, code: string, now: Date): number | undefined {
  const token = normalizeCode(code);
  if (!CODE_RE.test(token)) return undefined;
  const timestamp = now.getTime();
  const delta = totp(secretBase32, 'x').validate({ token, timestamp, window: WINDOW });
  if (delta === null) return undefined;
  return Math.floor(timestamp / 1000 / PERIOD_SECONDS) + delta;
}

function openTotpSecret(deps: CoreDeps, sealed: string): string {
  const secret = openSecret(deps.sealPassword, sealed);
  if (secret === undefined) throw appError('INTERNAL', 'A second-factor secret could not be opened (was OAUTH_PASSWORD changed?).');
  return secret;
}

/**
 * Checks a TOTP code of an enabled second factor and spends it: the step it matches must be above
 * the last one accepted (atomically recorded), so a code, once used, is refused (a replay).
 */
export async function checkTotpCode(
  deps: CoreDeps,
  input: { userId: number; code: string },
  repos: Repositories = deps.repos,
): Promise<boolean> {
  const factor = await repos.security.findSecondFactor(input.userId);
  if (!factor?.enabledAt) return false;
  const step = matchingStep(openTotpSecret(deps, factor.totpSecretSealed), input.code, deps.clock.now());
  if (step === undefined || step <= factor.lastStep) return false;
  return repos.security.consumeTotpStep(input.userId, step);
}

/** What the edge attaches to a principal for a presented `npm-otp` code: checked at most once per request. */
export function presentOtp(deps: CoreDeps, userId: number, code: string): PresentedOtp {
  let result: Promise<boolean> | undefined;
  return {
    verify(repos) {
      // a code approved on the website (npm's web flow, for passkeys), or one from the authenticator app
      result ??= APPROVAL_CODE_RE.test(code) ? consumeApprovalCode(deps, { userId, code }) : checkTotpCode(deps, { userId, code }, repos);
      return result;
    },
  };
}

export interface SecondFactorStatus {
  enabled: boolean;
  /** an enrolment waits for its confirmation code */
  pending: boolean;
  forWrites: boolean;
  recoveryCodesLeft: number;
}

export async function getSecondFactorStatus(deps: CoreDeps, input: { userId: number }): Promise<SecondFactorStatus> {
  const factor = await deps.repos.security.findSecondFactor(input.userId);
  return {
    enabled: factor?.enabledAt !== undefined,
    pending: factor !== undefined && factor.enabledAt === undefined,
    forWrites: factor?.forWrites ?? true,
    recoveryCodesLeft: factor?.enabledAt ? await deps.repos.security.countUnusedRecoveryCodes(input.userId) : 0,
  };
}

/** Starts an enrolment (website only): a new secret, shown once as an otpauth URI; nothing is required until it is confirmed. */
export async function startTotpEnrolment(
  deps: CoreDeps,
  input: { principal: Principal | undefined },
): Promise<{ secret: string; uri: string }> {
  const p = requireWebsiteSession(input.principal);
  const secret = new Secret({ size: 20 }).base32;
  if (!(await deps.repos.security.startTotp(p.userId, sealSecret(deps.sealPassword, secret)))) {
    throw appError('SECOND_FACTOR_ALREADY_ENABLED');
  }
  return { secret, uri: totp(secret, p.username).toString() };
}

/** The waiting enrolment's secret and URI again (the page shows it until the code is confirmed). */
export async function pendingTotpEnrolment(
  deps: CoreDeps,
  input: { principal: Principal | undefined },
): Promise<{ secret: string; uri: string } | undefined> {
  const p = requireWebsiteSession(input.principal);
  const factor = await deps.repos.security.findSecondFactor(p.userId);
  if (!factor || factor.enabledAt) return undefined;
  const secret = openTotpSecret(deps, factor.totpSecretSealed);
  return { secret, uri: totp(secret, p.username).toString() };
}

/** Confirms an enrolment with a code from the app; answers the recovery codes, shown once. */
export async function confirmTotpEnrolment(
  deps: CoreDeps,
  input: { principal: Principal | undefined; code: string; forWrites: boolean },
): Promise<{ recoveryCodes: string[] }> {
  const p = requireWebsiteSession(input.principal);
  const factor = await deps.repos.security.findSecondFactor(p.userId);
  if (!factor) throw appError('SECOND_FACTOR_NOT_ENABLED', 'Start the set-up first.');
  if (factor.enabledAt) throw appError('SECOND_FACTOR_ALREADY_ENABLED');
  const now = deps.clock.now();
  const step = matchingStep(openTotpSecret(deps, factor.totpSecretSealed), input.code, now);
  if (step === undefined) {
    throw appError('OTP_INVALID', 'That code does not match; check the time on your device and type the current code.');
  }
  const recoveryCodes = Array.from({ length: RECOVERY_CODES }, () => {
    const raw = randomBytes(10).toString('hex').slice(0, 10);
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
  await deps.uow.transaction(async (repos) => {
    const enabled = await repos.security.enableTotp(p.userId, {
      now,
      step,
      forWrites: input.forWrites,
      recoveryCodeHashes: recoveryCodes.map(hashRecoveryCode),
    });
    if (!enabled) throw appError('SECOND_FACTOR_ALREADY_ENABLED');
    await recordAudit(repos, now, p, 'second-factor-enabled', { details: { method: 'totp', forWrites: input.forWrites } });
  });
  return { recoveryCodes };
}

/**
 * A second factor at sign-in (or to turn it off): a current TOTP code, or an unused recovery
 * code (spent). Failures are recorded in the audit log.
 */
export async function verifySecondFactor(
  deps: CoreDeps,
  input: { principal: Principal; code: string },
): Promise<'totp' | 'recovery-code' | undefined> {
  const { principal: p } = input;
  const code = input.code.trim().toLowerCase();
  const now = deps.clock.now();
  let method: 'totp' | 'recovery-code' | undefined;
  if (await checkTotpCode(deps, { userId: p.userId, code })) method = 'totp';
  else if (RECOVERY_RE.test(code) && (await deps.repos.security.consumeRecoveryCode(p.userId, hashRecoveryCode(code), now))) {
    method = 'recovery-code';
  }
  if (method === 'recovery-code') await recordAudit(deps.repos, now, p, 'recovery-code-used', {});
  if (!method) await recordAudit(deps.repos, now, p, 'second-factor-failed', {});
  return method;
}

/**
 * The second factors a user signs in with: an authenticator app (TOTP) and passkeys. Either one
 * makes sign-in take a second step; only TOTP codes work for writes made with tokens (npm, ds).
 */
export async function secondFactorsOf(deps: CoreDeps, input: { userId: number }): Promise<{ totp: boolean; passkeys: number }> {
  const [totpOn, passkeys] = await Promise.all([
    hasSecondFactor(deps, input),
    deps.repos.security.listPasskeys(input.userId).then((rows) => rows.length),
  ]);
  return { totp: totpOn, passkeys };
}

/** Whether this user has an authenticator app (TOTP) turned on. */
export async function hasSecondFactor(deps: CoreDeps, input: { userId: number }): Promise<boolean> {
  const factor = await deps.repos.security.findSecondFactor(input.userId);
  return factor?.enabledAt !== undefined;
}

/** Turns the second factor off (website; a current code or a recovery code proves it is the owner). */
export async function disableTotp(deps: CoreDeps, input: { principal: Principal | undefined; code: string }): Promise<void> {
  const p = requireWebsiteSession(input.principal);
  if (!(await hasSecondFactor(deps, { userId: p.userId }))) {
    // an enrolment never confirmed is simply dropped
    await deps.repos.security.disableTotp(p.userId);
    return;
  }
  if (!(await verifySecondFactor(deps, { principal: p, code: input.code }))) throw appError('OTP_INVALID');
  await deps.uow.transaction(async (repos) => {
    await repos.security.disableTotp(p.userId);
    await recordAudit(repos, deps.clock.now(), p, 'second-factor-disabled', { details: { method: 'totp' } });
  });
}

/** Whether writes need a fresh code (website; changing it takes a current code). */
export async function setTotpForWrites(
  deps: CoreDeps,
  input: { principal: Principal | undefined; code: string; forWrites: boolean },
): Promise<void> {
  const p = requireWebsiteSession(input.principal);
  if (!(await hasSecondFactor(deps, { userId: p.userId }))) throw appError('SECOND_FACTOR_NOT_ENABLED');
  if (!(await checkTotpCode(deps, { userId: p.userId, code: input.code }))) throw appError('OTP_INVALID');
  await deps.uow.transaction(async (repos) => {
    await repos.security.setTotpForWrites(p.userId, input.forWrites);
    await recordAudit(repos, deps.clock.now(), p, 'second-factor-enabled', { details: { method: 'totp', forWrites: input.forWrites } });
  });
}

/**
 * An organisation (or user) namespace requires a second factor for writes in it, or stops
 * requiring it: an accepted member with a second factor of their own (and, when the user or the
 * namespace already requires one, a fresh code). Answers the setting.
 */
export async function setNamespaceSecondFactor(
  deps: CoreDeps,
  input: { principal: Principal | undefined; ref: NamespaceRef; required: boolean },
): Promise<{ namespace: string; required: boolean; message: string }> {
  assertLocal(input.ref, deps.host);
  return deps.uow.transaction(async (repos) => {
    const row = await getNamespace(repos, input.ref, deps.host);
    const label = formatNamespace(row, deps.host);
    const p = await assertMaySetNamespaceSecondFactor(repos, input.principal, { id: row.id, name: label });
    await repos.security.setNamespaceRequiresSecondFactor(row.id, input.required);
    await recordAudit(repos, deps.clock.now(), p, 'namespace-second-factor', {
      namespace: row.name,
      details: { required: input.required },
    });
    const message = input.required
      ? `Writes in ${label} now need a second factor.`
      : `Writes in ${label} no longer need a second factor (members' own settings still apply).`;
    return { namespace: label, required: input.required, message };
  });
}

/** Whether a namespace requires a second factor for writes (public: members and clients may ask). */
export async function getNamespaceSecondFactor(
  deps: CoreDeps,
  input: { ref: NamespaceRef },
): Promise<{ namespace: string; required: boolean }> {
  const row = await getNamespace(deps.repos, input.ref, deps.host);
  return { namespace: formatNamespace(row, deps.host), required: await deps.repos.security.namespaceRequiresSecondFactor(row.id) };
}
