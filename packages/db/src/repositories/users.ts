import type { UserRepository } from '@entropic/core';
import { isUniqueViolation } from '../create-database.ts';
import type { Executor } from './executor.ts';

export function userRepository(db: Executor): UserRepository {
  return {
    async findById(id) {
      return db.selectFrom('users').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
    },

    async findByName(name) {
      return db
        .selectFrom('users')
        .select(['id', 'name', 'email', 'password_hash', 'created_at'])
        .where('name', '=', name)
        .executeTakeFirst();
    },

    async createWithNamespace(input) {
      try {
        const user = await db
          .insertInto('users')
          .values({ name: input.name, email: input.email, password_hash: input.passwordHash })
          .returning(['id', 'name'])
          .executeTakeFirstOrThrow();
        const namespace = await db
          .insertInto('namespaces')
          .values({ name: input.name, host: null, kind: 'user' })
          .returning('id')
          .executeTakeFirstOrThrow();
        await db
          .insertInto('namespace_members')
          .values({ namespace_id: namespace.id, user_id: user.id, accepted: true, invited_by: null })
          .execute();
        return { outcome: 'created', user: { id: user.id, name: user.name, namespaceId: namespace.id } };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        return { outcome: 'taken', constraint: String((error as { constraint?: string }).constraint ?? '') };
      }
    },

    async updateIdentity(identity, now) {
      const row = await db
        .updateTable('identities')
        .set({
          remote_username: identity.username,
          email: identity.email,
          access_token_sealed: identity.accessTokenSealed,
          updated_at: now,
        })
        .where('provider', '=', identity.provider)
        .where('subject', '=', identity.subject)
        .returning('user_id')
        .executeTakeFirst();
      return row?.user_id;
    },

    async insertIdentity(userId, identity) {
      try {
        await db
          .insertInto('identities')
          .values({
            user_id: userId,
            provider: identity.provider,
            subject: identity.subject,
            remote_username: identity.username,
            email: identity.email,
            access_token_sealed: identity.accessTokenSealed,
          })
          .execute();
        return 'linked';
      } catch (error) {
        if (isUniqueViolation(error)) return 'taken';
        throw error;
      }
    },
  };
}
