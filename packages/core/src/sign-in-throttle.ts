import { createHash } from 'node:crypto';
import { appError } from '@entropic/types';
import type { CoreDeps } from './deps.ts';

export interface SignInLimits {
  /** attempts per account name in one window */
  perAccount: number;
  /** attempts per client address in one window */
  perAddress: number;
  windowSeconds: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { perAccount: 10, perAddress: 50, windowSeconds: 900 };

// Hashed so that the store never holds names or addresses in the clear.
const bucket = (kind: string, value: string) => `sign-in:${kind}:${createHash('sha256').update(value).digest('base64url')}`;

/**
 * Counts one password attempt against the account and the address before the password is
 * checked, so that a blocked caller learns nothing. Throws RATE_LIMITED (429) over either limit.
 */
export async function countSignInAttempt(
  deps: CoreDeps,
  input: { account?: string; address: string; limits?: SignInLimits },
): Promise<void> {
  const { kv } = deps;
  const { limits = DEFAULT_SIGN_IN_LIMITS, ...attempt } = input;
  const address = await kv.increment(bucket('address', attempt.address), limits.windowSeconds);
  const account = attempt.account ? await kv.increment(bucket('account', attempt.account.toLowerCase()), limits.windowSeconds) : 0;
  if (address > limits.perAddress || account > limits.perAccount) {
    throw appError('RATE_LIMITED', 'Too many sign-in attempts; wait a few minutes and try again.', {
      retryAfterSeconds: limits.windowSeconds,
    });
  }
}

/** A successful sign-in clears the account's counter (the address keeps counting). */
export async function clearSignInAttempts(deps: CoreDeps, input: { account: string }): Promise<void> {
  await deps.kv.delete(bucket('account', input.account.toLowerCase()));
}
