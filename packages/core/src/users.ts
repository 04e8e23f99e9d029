import { isUniqueViolation } from '@entropic/db';
import { appError, parseNewNamespaceName } from '@entropic/types';
import type { Tx } from './deps.ts';

export interface CreateUserInput {
  name: string;
  email?: string | null;
  passwordHash?: string | null;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;

/**
 * Creates a user, a namespace of the same name and an accepted membership, in one transaction.
 * Any conflict (name taken as a user or as a namespace) rolls all of it back.
 */
export async function createUser(
  db: Tx,
  input: CreateUserInput,
  /** more rows that must exist with the user or not at all (a sign-in identity) */
  within?: (tx: Tx, user: { id: number; name: string }) => Promise<void>,
): Promise<{ id: number; name: string; namespaceId: number }> {
  const name = parseNewNamespaceName(input.name, 'username');
  const email = input.email?.trim() || null;
  if (email && (email.length > 254 || !EMAIL_RE.test(email))) throw appError('INVALID_FIELD', 'That does not look like an email address.');
  try {
    return await db.transaction().execute(async (tx) => {
      const user = await tx
        .insertInto('users')
        .values({ name, email, password_hash: input.passwordHash ?? null })
        .returning(['id', 'name'])
        .executeTakeFirstOrThrow();
      const namespace = await tx
        .insertInto('namespaces')
        .values({ name, host: null, kind: 'user' })
        .returning('id')
        .executeTakeFirstOrThrow();
      await tx
        .insertInto('namespace_members')
        .values({ namespace_id: namespace.id, user_id: user.id, accepted: true, invited_by: null })
        .execute();
      if (within) await within(tx, user);
      return { id: user.id, name: user.name, namespaceId: namespace.id };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      const detail = String((error as { constraint?: string; detail?: string }).constraint ?? '');
      if (detail.includes('email')) throw appError('USER_EXISTS', 'That email address is already used by another account.');
      throw appError('USER_EXISTS', `The name "${name}" is taken.`);
    }
    throw error;
  }
}

export async function findUserByName(db: Tx, name: string) {
  return db.selectFrom('users').select(['id', 'name', 'email', 'password_hash', 'created_at']).where('name', '=', name).executeTakeFirst();
}

export async function getUserByName(db: Tx, name: string) {
  const user = await findUserByName(db, name);
  if (!user) throw appError('USER_NOT_FOUND', `The user "${name}" does not exist.`);
  return user;
}
