import type { Integrity } from '@entropic/types';
import type { CoreDeps } from '../deps.ts';
import type { PackageRef } from '../packages.ts';
import { renderReadme } from '../render-readme.ts';
import type { JobPayloads } from './job-kinds.ts';
import { enqueueSearchIndex } from './search-index-jobs.ts';

/** READMEs larger than this are not rendered (as before the queue; nor when a mirrored version's page renders it). */
export const MAX_README_BYTES = 1024 * 1024;
const README_HTML = './readme.html';

/**
 * The `render-readme` job: renders a version's README to sanitised HTML, stores it and records
 * it as the derived `./readme.html`, then announces `package-changed` so cached views follow.
 * Idempotent: the rendering is deterministic, so a second run stores the same blob and records
 * the same integrity (and announces nothing when it was recorded already).
 */
export async function renderVersionReadme(deps: CoreDeps, payload: JobPayloads['render-readme']): Promise<void> {
  const source = await deps.repos.versions.findDerivationSource(payload.versionId);
  const integrity = source?.files[payload.path];
  if (!source || !integrity) return;
  const ref = { namespace: source.ns, host: source.host ?? deps.host, name: source.name } as PackageRef;
  const bytes = await deps.blobs.getBytes(integrity as Integrity);
  if (!bytes) throw new Error(`the README ${payload.path} (${integrity}) of version ${payload.versionId} is missing from the blob store`);
  // not rendered: the package is still indexed (the publish left its search-index job to this one)
  if (bytes.length > MAX_README_BYTES) return void (await enqueueSearchIndex(deps.repos, ref));
  const html = renderReadme(bytes.toString('utf8'));
  const stored = await deps.blobs.putBytes(html);
  // recorded by an earlier try, whose transaction enqueued the search-index job with it
  if (source.derived_files[README_HTML] === stored.integrity) return;
  // README text is searchable: the package is re-indexed once the rendering is recorded (the
  // publish's own search-index job is this one).
  await deps.uow.transaction(async (repos) => {
    await repos.versions.setDerivedFile(source.id, README_HTML, stored.integrity);
    await enqueueSearchIndex(repos, ref);
  });
  await deps.events.emit({ type: 'package-changed', ref });
}
