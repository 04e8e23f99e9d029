import type { RepackCandidate, RepackReport } from '@entropic/blobs';
import { type Integrity, isIntegrity } from '@entropic/types';
import type { CoreDeps } from './deps.ts';

/** Every blob the database references: version documents, files and derived files. */
export async function referencedIntegrities(deps: Pick<CoreDeps, 'repos'>): Promise<Set<string>> {
  return deps.repos.objects.referencedIntegrities();
}

export interface GcReport {
  scanned: number;
  deleted: number;
  freedBytes: number;
  keptYoung: number;
  /** temp files of cut-off uploads removed */
  tempFiles: number;
  /** packed storage: segments rewritten without their deleted objects, and the bytes that freed */
  segmentsRewritten: number;
  segmentBytesFreed: number;
}

/**
 * Deletes blobs nothing references and that are older than the grace period, so a publish in
 * progress (blobs written, transaction not yet committed) is never raced.
 */
export async function collectGarbage(
  deps: Pick<CoreDeps, 'repos' | 'blobs' | 'clock'>,
  input: { graceSeconds: number },
): Promise<GcReport> {
  const { graceSeconds } = input;
  const cutoff = deps.clock.now().getTime() - graceSeconds * 1000;
  const { blobs } = deps;
  // Temp files of uploads cut off (client gone, process killed) get the same grace as blobs.
  const tempFiles = typeof blobs.cleanTemp === 'function' ? Number(await blobs.cleanTemp(graceSeconds * 1000)) : 0;
  const report: GcReport = { scanned: 0, deleted: 0, freedBytes: 0, keptYoung: 0, tempFiles, segmentsRewritten: 0, segmentBytesFreed: 0 };
  // Read the referenced set after listing starts: a blob written after this point is young anyway.
  const referenced = await referencedIntegrities(deps);
  for await (const blob of deps.blobs.list()) {
    report.scanned += 1;
    if (referenced.has(blob.integrity)) continue;
    if (blob.mtime.getTime() > cutoff) {
      report.keptYoung += 1;
      continue;
    }
    // Re-check just before deleting: a publish may have committed a reference meanwhile.
    if (await deps.repos.objects.isReferenced(blob.integrity)) continue;
    if (await deps.blobs.delete(blob.integrity)) {
      report.deleted += 1;
      report.freedBytes += blob.storedSize;
    }
  }
  if (blobs.packing) {
    // deleted packed objects free space only when their segment is rewritten without them
    const compacted = await blobs.packing.compact();
    report.segmentsRewritten = compacted.segmentsRewritten;
    report.segmentBytesFreed = compacted.freedBytes;
  }
  return report;
}

/**
 * What repack encodes each blob against: the blob at the same path in the previous version of
 * the same package (version documents against the previous document), in publish order, so a
 * base is packed before the objects encoded against it.
 */
export async function* repackCandidates(deps: Pick<CoreDeps, 'repos'>): AsyncGenerator<RepackCandidate> {
  const previous = new Map<string, { integrity: string; files: Record<string, string>; derived: Record<string, string> }>();
  let lastId = 0;
  for (;;) {
    const rows = await deps.repos.objects.listVersionBlobs(lastId, 200);
    if (rows.length === 0) return;
    for (const row of rows) {
      lastId = row.id;
      const key = `${row.ns}@${row.host ?? ''}/${row.name}`;
      const before = previous.get(key);
      const pairs: Array<[string, string | undefined]> = [
        [row.integrity, before?.integrity],
        ...Object.entries(row.files).map(([path, integrity]): [string, string | undefined] => [integrity, before?.files[path]]),
        ...Object.entries(row.derived_files).map(([path, integrity]): [string, string | undefined] => [integrity, before?.derived[path]]),
      ];
      for (const [integrity, base] of pairs) {
        if (!isIntegrity(integrity)) continue;
        const usable = base !== undefined && base !== integrity && isIntegrity(base);
        yield usable ? { integrity, base: base as Integrity } : { integrity };
      }
      previous.set(key, { integrity: row.integrity, files: row.files, derived: row.derived_files });
    }
  }
}

/**
 * Moves raw blobs written longer ago than the grace into packed segments (BLOB_PACKING=on), with
 * delta bases from repackCandidates; undefined when the store is not packed. Resumable: each run
 * starts from what is raw now.
 */
export async function repackBlobs(
  deps: Pick<CoreDeps, 'repos' | 'blobs'>,
  input: { graceSeconds: number },
): Promise<RepackReport | undefined> {
  if (!deps.blobs.packing) return undefined;
  return deps.blobs.packing.repack({ olderThanMs: input.graceSeconds * 1000, candidates: repackCandidates(deps) });
}

export interface FsckProblem {
  version: string;
  path: string;
  integrity: string;
  problem: 'missing' | 'corrupt' | 'malformed';
}

export interface FsckReport {
  versions: number;
  blobs: number;
  problems: FsckProblem[];
}

/** Checks that every version's blobs exist and hash to their names. */
export async function checkIntegrity(deps: Pick<CoreDeps, 'repos' | 'blobs' | 'host'>): Promise<FsckReport> {
  const report: FsckReport = { versions: 0, blobs: 0, problems: [] };
  const verified = new Map<string, FsckProblem['problem'] | null>();
  let lastId = 0;
  for (;;) {
    const rows = await deps.repos.objects.listVersionBlobs(lastId, 200);
    if (rows.length === 0) break;
    for (const row of rows) {
      lastId = row.id;
      report.versions += 1;
      const label = `${row.ns}@${row.host ?? deps.host}/${encodeURIComponent(row.name)}@${row.version}`;
      const entries: Array<[string, string]> = [
        ['(version document)', row.integrity],
        ...Object.entries(row.files),
        ...Object.entries(row.derived_files),
      ];
      for (const [path, integrity] of entries) {
        let problem = verified.get(integrity);
        if (problem === undefined) {
          report.blobs += 1;
          if (!isIntegrity(integrity)) problem = 'malformed';
          else if (!(await deps.blobs.stat(integrity as Integrity))) problem = 'missing';
          else problem = (await deps.blobs.verify(integrity as Integrity)) ? null : 'corrupt';
          verified.set(integrity, problem);
        }
        if (problem) report.problems.push({ version: label, path, integrity, problem });
      }
    }
  }
  return report;
}
