import { appError, parseNewNamespaceName } from '@entropic/types';
import type { CoreDeps } from './deps.ts';
import type { AccountUser, ExternalIdentity, UserRow } from './ports/users.ts';

export interface CreateUserInput {
  name: string;
  email?: string | null;
  passwordHash?: string | null;
  /** a sign-in identity that must exist with the user or not at all */
  identity?: ExternalIdentity;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;

/**
 * Creates a user, a namespace of the same name and an accepted membership (and the identity it
 * signs in with, if any), in one transaction. Any conflict (name taken as a user or as a
 * namespace, email used, identity linked) rolls all of it back.
 */
export async function createUser(deps: CoreDeps, input: CreateUserInput): Promise<AccountUser & { namespaceId: number }> {
  const name = parseNewNamespaceName(input.name, 'username');
  const email = input.email?.trim() || null;
  if (email && (email.length > 254 || !EMAIL_RE.test(email))) throw appError('INVALID_FIELD', 'That does not look like an email address.');
  return deps.uow.transaction(async (repos) => {
    const created = await repos.users.createWithNamespace({ name, email, passwordHash: input.passwordHash ?? null });
    if (created.outcome === 'taken') {
      if (created.constraint.includes('email')) throw appError('USER_EXISTS', 'That email address is already used by another account.');
      throw appError('USER_EXISTS', `The name "${name}" is taken.`);
    }
    if (input.identity && (await repos.users.insertIdentity(created.user.id, input.identity)) === 'taken') {
      throw appError('USER_EXISTS', `The name "${name}" is taken.`);
    }
    return created.user;
  });
}

export async function findUserByName(deps: CoreDeps, input: { name: string }): Promise<UserRow | undefined> {
  return deps.repos.users.findByName(input.name);
}

export async function getUserByName(deps: CoreDeps, input: { name: string }): Promise<UserRow> {
  const user = await findUserByName(deps, input);
  if (!user) throw appError('USER_NOT_FOUND', `The user "${input.name}" does not exist.`);
  return user;
}
