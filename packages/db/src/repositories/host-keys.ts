import type { HostKeyRepository, StoredHostKey } from '@entropic/core';
import { sql } from 'kysely';
import type { Executor } from './executor.ts';

export function hostKeyRepository(db: Executor): HostKeyRepository {
  return {
    async list() {
      const rows = await db.selectFrom('host_keys').selectAll().orderBy('not_before').orderBy('created_at').orderBy('key_id').execute();
      return rows.map(
        (row): StoredHostKey => ({
          keyId: row.key_id,
          publicKey: row.public_key,
          sealedPrivateKey: row.sealed_private_key,
          notBefore: row.not_before,
          expires: row.expires,
        }),
      );
    },

    async lock() {
      await sql`LOCK TABLE host_keys IN SHARE ROW EXCLUSIVE MODE`.execute(db);
    },

    async insert(key) {
      await db
        .insertInto('host_keys')
        .values({
          key_id: key.keyId,
          public_key: key.publicKey,
          sealed_private_key: key.sealedPrivateKey,
          not_before: key.notBefore,
          expires: key.expires,
        })
        .execute();
    },

    async expireAll(at) {
      const result = await db
        .updateTable('host_keys')
        .set({ expires: at })
        .where((eb) => eb.or([eb('expires', 'is', null), eb('expires', '>', at)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}
