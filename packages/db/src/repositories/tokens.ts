import type { TokenRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

const TOKEN_COLUMNS = ['id', 'description', 'scope', 'created_at', 'last_used_at', 'expires_at'] as const;

export function tokenRepository(db: Executor): TokenRepository {
  return {
    async insert(token) {
      return db
        .insertInto('tokens')
        .values({
          user_id: token.userId,
          hash: token.hash,
          description: token.description,
          scope: token.scope,
          expires_at: token.expiresAt,
        })
        .returning([...TOKEN_COLUMNS])
        .executeTakeFirstOrThrow();
    },

    async listActive(userId) {
      return db
        .selectFrom('tokens')
        .select([...TOKEN_COLUMNS])
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc')
        .execute();
    },

    async revoke(userId, tokenId, now) {
      const row = await db
        .updateTable('tokens')
        .set({ revoked_at: now })
        .where('id', '=', tokenId)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .returning('hash')
        .executeTakeFirst();
      return row?.hash;
    },

    async findByHash(hash) {
      return db
        .selectFrom('tokens')
        .innerJoin('users', 'users.id', 'tokens.user_id')
        .select([
          'tokens.id',
          'tokens.hash',
          'tokens.scope',
          'tokens.expires_at',
          'tokens.revoked_at',
          'tokens.last_used_at',
          'users.id as user_id',
          'users.name',
        ])
        .where('tokens.hash', '=', hash)
        .executeTakeFirst();
    },

    async touch(tokenId, now) {
      await db.updateTable('tokens').set({ last_used_at: now }).where('id', '=', tokenId).execute();
    },
  };
}
