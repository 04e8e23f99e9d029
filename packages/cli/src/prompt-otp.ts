import { createInterface } from 'node:readline';
import { isClientError } from '@entropic/client';
import type { CliIo } from './cli-context.ts';

/** Codes typed at the prompt before ds gives up (a wrong or already used code asks again). */
export const OTP_ATTEMPTS = 3;
const OTP_RE = /^[0-9a-zA-Z-]{6,12}$/;

/**
 * Whether a failed command should ask for a one-time password and run again: the registry said
 * a second factor is needed (OTP_REQUIRED) or the code was not good (OTP_INVALID), and a person
 * is at a terminal (stdin is a TTY; never in CI, whose stdin is not one). As npm does on its
 * `401` with `WWW-Authenticate: OTP`.
 */
export function shouldPromptOtp(error: unknown, io: CliIo, attempt: number): boolean {
  if (!isClientError(error) || (error.code !== 'OTP_REQUIRED' && error.code !== 'OTP_INVALID')) return false;
  return io.stdin?.isTTY === true && attempt < OTP_ATTEMPTS;
}

/** Asks for a one-time password on stderr and reads one line from stdin; undefined when none was typed. */
export async function promptOtp(io: CliIo, reason: 'required' | 'invalid'): Promise<string | undefined> {
  const input = io.stdin;
  if (!input) return undefined;
  io.stderr.write(
    reason === 'required'
      ? 'This operation requires a one-time password from your authenticator app.\n'
      : 'That one-time password is wrong, expired or already used; wait for the next one.\n',
  );
  const lines = createInterface({ input, output: io.stderr, terminal: false });
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      lines.once('close', () => resolve(undefined));
      lines.question('Enter one-time password: ', resolve);
    });
    const code = answer?.replace(/\s+/g, '');
    return code && OTP_RE.test(code) ? code : undefined;
  } finally {
    lines.close();
  }
}

/** How long ds waits for a write to be approved on the website (the registry keeps an approval five minutes). */
const APPROVAL_WAIT_MS = 5 * 60 * 1000;

/** The approval page and poll URL of npm's web second-factor flow, when the registry offered them. */
export function webApprovalOf(error: unknown): { authUrl: string; doneUrl: string } | undefined {
  if (!isClientError(error) || error.code !== 'OTP_REQUIRED') return undefined;
  const { authUrl, doneUrl } = error.details ?? {};
  return typeof authUrl === 'string' && typeof doneUrl === 'string' ? { authUrl, doneUrl } : undefined;
}

/**
 * npm's web second-factor flow (a passkey user): prints the page to approve the write on, then
 * polls until the registry hands out the one-time code (202 with Retry-After while waiting).
 */
export async function awaitWebApproval(io: CliIo, approval: { authUrl: string; doneUrl: string }): Promise<string | undefined> {
  io.stderr.write(`This operation needs your second factor. Approve it with your passkey at:\n  ${approval.authUrl}\n`);
  const deadline = Date.now() + APPROVAL_WAIT_MS;
  while (Date.now() < deadline) {
    const response = await fetch(approval.doneUrl, { headers: { accept: 'application/json' } });
    if (response.status === 200) {
      const body = (await response.json()) as { token?: unknown };
      return typeof body.token === 'string' ? body.token : undefined;
    }
    if (response.status !== 202) return undefined;
    await response.body?.cancel();
    const seconds = Math.min(Math.max(Number(response.headers.get('retry-after')) || 1, 1), 5);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
  return undefined;
}
