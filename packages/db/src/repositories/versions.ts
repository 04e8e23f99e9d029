import type { VersionRepository } from '@entropic/core';
import type { Executor } from './executor.ts';

export function versionRepository(_db: Executor): VersionRepository {
  return {};
}
