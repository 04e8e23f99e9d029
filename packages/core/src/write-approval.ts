import { randomBytes } from 'node:crypto';
import { appError } from '@entropic/types';
import { requireWebsiteSession } from './authorize.ts';
import type { CoreDeps } from './deps.ts';
import type { Principal } from './principal.ts';

/**
 * npm's web second-factor flow (issue 10.1) for users whose second factor is a passkey: a write
 * made with a token that needs a fresh second factor answers OTP_REQUIRED with an `authUrl` (a
 * website page) and a `doneUrl` (polled). The user approves on the page from a session signed in
 * with a second factor (a passkey); the poll then answers a one-time approval code, which npm sends
 * back as its one-time password (`npm-otp`). Approval codes live five minutes and work once.
 */
const TTL_SECONDS = 300;
const ID_RE = /^[A-Za-z0-9_-]{43}$/;
export const APPROVAL_CODE_RE = /^ent_approve_[A-Za-z0-9_-]{43}$/;
const approvalKey = (id: string) => `write-approval:${id}`;
const codeKey = (code: string) => `write-approval-code:${code}`;

interface StoredApproval {
  userId: number;
  /** set once approved: what the poll hands out */
  code?: string;
}

/** A pending approval for this user's write; its id goes in the page and poll URLs. */
export async function startWriteApproval(deps: CoreDeps, input: { userId: number }): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  const stored: StoredApproval = { userId: input.userId };
  await deps.kv.set(approvalKey(id), JSON.stringify(stored), { ttlSeconds: TTL_SECONDS });
  return id;
}

async function findApproval(deps: CoreDeps, id: string): Promise<StoredApproval | undefined> {
  if (!ID_RE.test(id)) return undefined;
  const raw = await deps.kv.get(approvalKey(id));
  return raw ? (JSON.parse(raw) as StoredApproval) : undefined;
}

/** Whether the approval exists and is the signed-in user's (the website page shows it then). */
export async function findWriteApproval(
  deps: CoreDeps,
  input: { principal: Principal | undefined; id: string },
): Promise<{ approved: boolean } | undefined> {
  const p = requireWebsiteSession(input.principal);
  const approval = await findApproval(deps, input.id);
  if (!approval || approval.userId !== p.userId) return undefined;
  return { approved: approval.code !== undefined };
}

/** The user approves from a website session signed in with a second factor. */
export async function approveWrite(deps: CoreDeps, input: { principal: Principal | undefined; id: string }): Promise<void> {
  const p = requireWebsiteSession(input.principal);
  const approval = await findApproval(deps, input.id);
  if (!approval || approval.userId !== p.userId) throw appError('NOT_FOUND', 'This approval is unknown, expired or not yours.');
  if (!p.secondFactor) throw appError('OTP_REQUIRED', 'Sign out and in again with your passkey to approve.');
  if (approval.code) return;
  const code = `ent_approve_${randomBytes(32).toString('base64url')}`;
  await deps.kv.set(codeKey(code), String(p.userId), { ttlSeconds: TTL_SECONDS });
  await deps.kv.set(approvalKey(input.id), JSON.stringify({ ...approval, code }), { ttlSeconds: TTL_SECONDS });
}

/** The poll: pending until approved, then the approval code (handed out once). */
export async function pollWriteApproval(deps: CoreDeps, input: { id: string }): Promise<{ code: string } | 'pending' | undefined> {
  const approval = await findApproval(deps, input.id);
  if (!approval) return undefined;
  if (!approval.code) return 'pending';
  const taken = await deps.kv.take(approvalKey(input.id));
  if (!taken) return undefined;
  return { code: approval.code };
}

/** Spends an approval code for this user: true once. */
export async function consumeApprovalCode(deps: CoreDeps, input: { userId: number; code: string }): Promise<boolean> {
  if (!APPROVAL_CODE_RE.test(input.code)) return false;
  // another user's code is refused without spending it; taking it is what makes it work once
  if ((await deps.kv.get(codeKey(input.code))) !== String(input.userId)) return false;
  return (await deps.kv.take(codeKey(input.code))) === String(input.userId);
}
