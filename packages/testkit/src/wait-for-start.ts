import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';

/**
 * How long a started server may take to answer. It bounds how long a broken start can hang, not
 * how fast a good one must be: on a loaded machine (load average 13 seen) a registry took longer
 * than 30 s. `ENTROPIC_TEST_START_TIMEOUT_MS` overrides it.
 */
export const START_TIMEOUT_MS = Number(process.env.ENTROPIC_TEST_START_TIMEOUT_MS) || 180_000;

export interface WaitForStartOptions {
  /** what is waited for, for the message: "the registry to answer GET http://…/ping" */
  what: string;
  child: ChildProcess;
  /** what the process printed so far */
  output: () => string;
  /** resolves true once the server answers */
  probe: () => Promise<boolean>;
  timeoutMs?: number;
  intervalMs?: number;
}

function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? ['…', ...all.slice(-lines)] : all).join('\n') || '(nothing)';
}

/** Polls `probe` until it answers; fails with what was waited for, for how long, the load, and the output's tail. */
export async function waitForStart(options: WaitForStartOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? START_TIMEOUT_MS;
  const started = Date.now();
  for (;;) {
    const { child } = options;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${options.what}: the process exited (${child.exitCode ?? child.signalCode}) after ${Date.now() - started} ms; it printed:\n${tail(options.output())}`,
      );
    }
    try {
      if (await options.probe()) return;
    } catch {}
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      const load = loadavg()
        .map((l) => l.toFixed(1))
        .join(' ');
      throw new Error(
        `gave up waiting ${Math.round(timeoutMs / 1000)} s for ${options.what} (load average ${load}); it printed:\n${tail(options.output())}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}
