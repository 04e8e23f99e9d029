import type { PackageRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function packageRepository(_db: Executor): PackageRepository {
  return {};
}
