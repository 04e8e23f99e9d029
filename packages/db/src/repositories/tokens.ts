import type { TokenRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

const TOKEN_COLUMNS = [
  'id',
  'description',
  'scope',
  'prefix',
  'created_at',
  'last_used_at',
  'expires_at',
  'namespaces',
  'packages',
  'cidrs',
  'automation',
] as const;

export function tokenRepository(db: Executor): TokenRepository {
  return {
    async insert(token) {
      return db
        .insertInto('tokens')
        .values({
          user_id: token.userId,
          hash: token.hash,
          prefix: token.prefix,
          description: token.description,
          scope: token.scope,
          expires_at: token.expiresAt,
          namespaces: JSON.stringify(token.namespaces),
          packages: JSON.stringify(token.packages),
          cidrs: JSON.stringify(token.cidrs),
          automation: token.automation,
          trusted_publisher_id: token.trustedIdentity?.publisherId ?? null,
          trusted_identity: token.trustedIdentity ? JSON.stringify(token.trustedIdentity) : null,
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
        .where('trusted_publisher_id', 'is', null)
        .orderBy('created_at', 'desc')
        .execute();
    },

    async revoke(userId, match, now) {
      const row = await db
        .updateTable('tokens')
        .set({ revoked_at: now })
        .$if('id' in match, (q) => q.where('id', '=', (match as { id: string }).id))
        .$if('hash' in match, (q) => q.where('hash', '=', (match as { hash: string }).hash))
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
          'tokens.namespaces',
          'tokens.packages',
          'tokens.cidrs',
          'tokens.automation',
          'tokens.trusted_identity',
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
