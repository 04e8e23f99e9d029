import type { SecurityRepository, WebAuthnCredentialRow } from '@entropic/core';
import type { Executor } from './executor.ts';

const toPasskey = (row: {
  id: string;
  user_id: number;
  public_key: string;
  counter: string | number;
  transports: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}): WebAuthnCredentialRow => ({
  id: row.id,
  userId: row.user_id,
  publicKey: row.public_key,
  counter: Number(row.counter),
  transports: row.transports ? row.transports.split(',') : [],
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at ?? undefined,
});

export function securityRepository(db: Executor): SecurityRepository {
  return {
    async findSecondFactor(userId) {
      const row = await db.selectFrom('user_second_factors').selectAll().where('user_id', '=', userId).executeTakeFirst();
      if (!row) return undefined;
      return {
        userId: row.user_id,
        totpSecretSealed: row.totp_secret_sealed,
        enabledAt: row.enabled_at ?? undefined,
        forWrites: row.for_writes,
        lastStep: Number(row.last_step),
      };
    },

    async startTotp(userId, secretSealed) {
      const row = await db
        .insertInto('user_second_factors')
        .values({ user_id: userId, totp_secret_sealed: secretSealed })
        .onConflict((oc) =>
          oc
            .column('user_id')
            .doUpdateSet({ totp_secret_sealed: secretSealed, last_step: 0 })
            .where('user_second_factors.enabled_at', 'is', null),
        )
        .returning('user_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    async enableTotp(userId, input) {
      const row = await db
        .updateTable('user_second_factors')
        .set({ enabled_at: input.now, last_step: input.step, for_writes: input.forWrites })
        .where('user_id', '=', userId)
        .where('enabled_at', 'is', null)
        .returning('user_id')
        .executeTakeFirst();
      if (!row) return false;
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      if (input.recoveryCodeHashes.length > 0) {
        await db
          .insertInto('recovery_codes')
          .values(input.recoveryCodeHashes.map((hash) => ({ user_id: userId, hash })))
          .execute();
      }
      return true;
    },

    async disableTotp(userId) {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      await db.deleteFrom('user_second_factors').where('user_id', '=', userId).execute();
    },

    async setTotpForWrites(userId, forWrites) {
      await db.updateTable('user_second_factors').set({ for_writes: forWrites }).where('user_id', '=', userId).execute();
    },

    async consumeTotpStep(userId, step) {
      const row = await db
        .updateTable('user_second_factors')
        .set({ last_step: step })
        .where('user_id', '=', userId)
        .where('last_step', '<', step)
        .returning('user_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    async consumeRecoveryCode(userId, hash, now) {
      const row = await db
        .updateTable('recovery_codes')
        .set({ used_at: now })
        .where('user_id', '=', userId)
        .where('hash', '=', hash)
        .where('used_at', 'is', null)
        .returning('user_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    async countUnusedRecoveryCodes(userId) {
      const row = await db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async namespaceRequiresSecondFactor(namespaceId) {
      const row = await db.selectFrom('namespaces').select('require_tfa').where('id', '=', namespaceId).executeTakeFirst();
      return row?.require_tfa === true;
    },

    async setNamespaceRequiresSecondFactor(namespaceId, required) {
      await db.updateTable('namespaces').set({ require_tfa: required }).where('id', '=', namespaceId).execute();
    },

    async listPasskeys(userId) {
      const rows = await db.selectFrom('webauthn_credentials').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
      return rows.map(toPasskey);
    },

    async findPasskey(id) {
      const row = await db.selectFrom('webauthn_credentials').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toPasskey(row) : undefined;
    },

    async addPasskey(credential) {
      await db
        .insertInto('webauthn_credentials')
        .values({
          id: credential.id,
          user_id: credential.userId,
          public_key: credential.publicKey,
          counter: credential.counter,
          transports: credential.transports.join(','),
          name: credential.name,
        })
        .execute();
    },

    async usePasskey(id, counter, now) {
      const result = await db
        .updateTable('webauthn_credentials')
        .set({ counter: counter.next, last_used_at: now })
        .where('id', '=', id)
        .where('counter', '=', counter.previous)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async deletePasskey(userId, id) {
      const result = await db.deleteFrom('webauthn_credentials').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
