import { appError } from '@entropic/types';
import type { Tx } from './deps.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { createUser } from './users.ts';

/** Who a provider says signed in. `subject` is the provider's immutable account id. */
export interface ExternalIdentity {
  /** 'github' or 'oidc:<issuer>' */
  provider: string;
  subject: string;
  username: string | null;
  email: string | null;
  /** the provider's access token, already sealed (see sealSecret) */
  accessTokenSealed: string | null;
}

export interface AccountUser {
  id: number;
  name: string;
}

export const PASSWORD_MIN_LENGTH = 8;
// argon2 of a megabyte is a cheap denial of service; nobody types more than this.
export const PASSWORD_MAX_LENGTH = 512;

export function checkNewPassword(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw appError('INVALID_FIELD', `A password needs ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`);
  }
}

/** The user this identity signs in as, after recording the latest profile and access token. */
export async function signInWithIdentity(db: Tx, identity: ExternalIdentity): Promise<AccountUser | undefined> {
  const row = await db
    .updateTable('identities')
    .set({
      remote_username: identity.username,
      email: identity.email,
      access_token_sealed: identity.accessTokenSealed,
      updated_at: new Date(),
    })
    .where('provider', '=', identity.provider)
    .where('subject', '=', identity.subject)
    .returning('user_id')
    .executeTakeFirst();
  if (!row) return undefined;
  return db.selectFrom('users').select(['id', 'name']).where('id', '=', row.user_id).executeTakeFirst();
}

/** A first-time identity becomes a user, its namespace, its membership and the identity row: all or nothing. */
export async function createUserWithIdentity(
  db: Tx,
  input: { name: string; email: string | null },
  identity: ExternalIdentity,
): Promise<AccountUser> {
  const user = await createUser(db, { name: input.name, email: input.email }, async (tx, created) => {
    await tx
      .insertInto('identities')
      .values({
        user_id: created.id,
        provider: identity.provider,
        subject: identity.subject,
        remote_username: identity.username,
        email: identity.email,
        access_token_sealed: identity.accessTokenSealed,
      })
      .execute();
  });
  return { id: user.id, name: user.name };
}

export async function createLocalUser(db: Tx, input: { name: string; email: string | null; password: string }): Promise<AccountUser> {
  checkNewPassword(input.password);
  const passwordHash = await hashPassword(input.password);
  const user = await createUser(db, { name: input.name, email: input.email, passwordHash });
  return { id: user.id, name: user.name };
}

// Verified when the name is unknown, so that unknown names take as long as wrong passwords.
let decoyHash: Promise<string> | undefined;

/** The user when the name and password match a local account; undefined otherwise. */
export async function verifyLocalSignIn(db: Tx, name: string, password: string): Promise<AccountUser | undefined> {
  if (password.length > PASSWORD_MAX_LENGTH) return undefined;
  const user = await db
    .selectFrom('users')
    .select(['id', 'name', 'password_hash'])
    .where('name', '=', name.trim().toLowerCase())
    .executeTakeFirst();
  if (!user?.password_hash) {
    decoyHash ??= hashPassword('decoy password for unknown accounts');
    await verifyPassword(await decoyHash, password);
    return undefined;
  }
  return (await verifyPassword(user.password_hash, password)) ? { id: user.id, name: user.name } : undefined;
}

export async function findAccountUser(db: Tx, id: number): Promise<AccountUser | undefined> {
  return db.selectFrom('users').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
}
