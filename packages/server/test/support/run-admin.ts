import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, TSX_LOADER } from '@entropic/testkit';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after timeoutMs), whatever its exit code. */
export function runCommand(
  command: string,
  args: string[],
  options: { env: Record<string, string | undefined>; cwd: string; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `npm run admin -- …` as an operator runs it (same entry point), returning the exit code too. */
export function runAdmin(
  args: string[],
  options: { env: Record<string, string | undefined>; cwd: string; timeoutMs?: number },
): Promise<CommandResult> {
  return runCommand(process.execPath, ['--import', TSX_LOADER, join(REPO_ROOT, 'packages/server/src/admin.ts'), ...args], options);
}

/** The token printed on the last line of `admin user create`. */
export function lastLine(output: string): string {
  return output.trim().split('\n').at(-1) ?? '';
}
