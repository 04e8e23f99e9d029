import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded database belongs to one process at a time. The server holds DATA_DIR/server.pid
 * while it runs; admin commands on the embedded database refuse to run beside it.
 */
export function lockPath(dataDir: string): string {
  return join(dataDir, 'server.pid');
}

export function runningPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockPath(dataDir), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export function acquireLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const other = runningPid(dataDir);
  if (other)
    throw new Error(
      `Another registry process (pid ${other}) is using the embedded database in ${dataDir}. Stop it first, or use POSTGRES_URL.`,
    );
  writeFileSync(lockPath(dataDir), String(process.pid));
  return () => rmSync(lockPath(dataDir), { force: true });
}
