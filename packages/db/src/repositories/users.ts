import type { UserRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function userRepository(_db: Executor): UserRepository {
  return {};
}
