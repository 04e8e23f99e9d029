import type { UserRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function userRepository(db: Executor): UserRepository {
  return {
    async findByName(name) {
      return db
        .selectFrom('users')
        .select(['id', 'name', 'email', 'password_hash', 'created_at'])
        .where('name', '=', name)
        .executeTakeFirst();
    },
  };
}
