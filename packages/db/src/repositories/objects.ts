import type { ObjectReferenceRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function objectReferenceRepository(_db: Executor): ObjectReferenceRepository {
  return {};
}
