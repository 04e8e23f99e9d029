import type { TeamRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function teamRepository(_db: Executor): TeamRepository {
  return {};
}
