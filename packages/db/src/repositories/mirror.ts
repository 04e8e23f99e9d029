import type { MirrorRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function mirrorRepository(_db: Executor): MirrorRepository {
  return {};
}
