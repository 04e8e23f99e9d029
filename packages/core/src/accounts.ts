import { appError } from '@entropic/types';
import type { CoreDeps } from './deps.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { AccountUser, ExternalIdentity } from './ports/users.ts';
import { createUser } from './users.ts';

export const PASSWORD_MIN_LENGTH = 8;
// argon2 of a megabyte is a cheap denial of service; nobody types more than this.
export const PASSWORD_MAX_LENGTH = 512;

export function checkNewPassword(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw appError('INVALID_FIELD', `A password needs ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`);
  }
}

/** The user this identity signs in as, after recording the latest profile and access token. */
export async function signInWithIdentity(deps: CoreDeps, input: { identity: ExternalIdentity }): Promise<AccountUser | undefined> {
  const userId = await deps.repos.users.updateIdentity(input.identity, deps.clock.now());
  if (userId === undefined) return undefined;
  return deps.repos.users.findById(userId);
}

/** A first-time identity becomes a user, its namespace, its membership and the identity row: all or nothing. */
export async function createUserWithIdentity(
  deps: CoreDeps,
  input: { name: string; email: string | null; identity: ExternalIdentity },
): Promise<AccountUser> {
  const user = await createUser(deps, { name: input.name, email: input.email, identity: input.identity });
  return { id: user.id, name: user.name };
}

export async function createLocalUser(
  deps: CoreDeps,
  input: { name: string; email: string | null; password: string },
): Promise<AccountUser> {
  checkNewPassword(input.password);
  const passwordHash = await hashPassword(input.password);
  const user = await createUser(deps, { name: input.name, email: input.email, passwordHash });
  return { id: user.id, name: user.name };
}

// Verified when the name is unknown, so that unknown names take as long as wrong passwords.
let decoyHash: Promise<string> | undefined;

/** The user when the name and password match a local account; undefined otherwise. */
export async function verifyLocalSignIn(deps: CoreDeps, input: { name: string; password: string }): Promise<AccountUser | undefined> {
  const { name, password } = input;
  if (password.length > PASSWORD_MAX_LENGTH) return undefined;
  const user = await deps.repos.users.findByName(name.trim().toLowerCase());
  if (!user?.password_hash) {
    decoyHash ??= hashPassword('decoy password for unknown accounts');
    await verifyPassword(await decoyHash, password);
    return undefined;
  }
  return (await verifyPassword(user.password_hash, password)) ? { id: user.id, name: user.name } : undefined;
}

export async function findAccountUser(deps: CoreDeps, input: { id: number }): Promise<AccountUser | undefined> {
  return deps.repos.users.findById(input.id);
}
