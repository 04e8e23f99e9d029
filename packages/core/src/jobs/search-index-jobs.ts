import type { NewJob } from '../ports/jobs.ts';
import type { PackageRef } from '../ports/records.ts';
import type { Repositories } from '../ports/repositories.ts';

/**
 * Enqueues the package's `search-index` job in the caller's transaction (`repos` of
 * `deps.uow.transaction`): the change and its re-indexing commit together, or neither does.
 * Every change that alters what search shows of a package calls it (publish, yank, deprecate,
 * abandon, package settings, dist-tags, maintainers).
 */
export async function enqueueSearchIndex(repos: Repositories, ref: PackageRef): Promise<void> {
  await repos.jobs.enqueue(searchIndexJob(ref));
}

/** The package's `search-index` job, for a caller that enqueues it with others (`enqueueAll`). */
export function searchIndexJob(ref: PackageRef): NewJob<'search-index'> {
  return { kind: 'search-index', payload: { ref: { namespace: ref.namespace, host: ref.host, name: ref.name } } };
}
