import type { TokenRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function tokenRepository(_db: Executor): TokenRepository {
  return {};
}
