import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, type RegistryProcess, TSX_LOADER } from './start-registry-process.ts';
import { waitForStart } from './wait-for-start.ts';

export interface WorkerProcess {
  /** the id it claims jobs under (`jobs.locked_by`): host:pid:random */
  workerId: string;
  pid: number;
  /** sends the signal and resolves when the process exited (its code, or the signal's name) */
  kill(signal: NodeJS.Signals): Promise<number | string>;
  output(): string;
}

/**
 * Starts `npm run worker` (packages/server/src/worker.ts, through tsx) beside a registry process,
 * with the registry's environment (its database, schema, data dir and blob store) and `env` on top;
 * resolves once it printed that its worker started. Only on PostgreSQL: PGlite belongs to one process.
 */
export async function startWorkerProcess(registry: RegistryProcess, env: Record<string, string> = {}): Promise<WorkerProcess> {
  let output = '';
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(REPO_ROOT, 'packages/server/src/worker.ts')], {
    cwd: registry.dataDir,
    env: { ...registry.env, ...env, ENTROPIC_PRINT_ADDRESS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const started = () => /ENTROPIC_WORKER_STARTED (\S+)/.exec(output)?.[1];
  await waitForStart({ what: 'the worker to print ENTROPIC_WORKER_STARTED', child, output: () => output, probe: async () => !!started() });
  return {
    workerId: started() as string,
    pid: child.pid as number,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? (child.signalCode as string);
      const exited = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig as string))));
      child.kill(signal);
      return exited;
    },
    output: () => output,
  };
}
