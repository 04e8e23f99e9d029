import type { TagRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function tagRepository(_db: Executor): TagRepository {
  return {};
}
