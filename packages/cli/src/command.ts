import type { CliContext } from './cli-context.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
}

/** A `ds` command: `run` returns data; `view` renders it for humans (`--json` prints the data). */
export interface Command<T = unknown> {
  name: string;
  aliases?: string[];
  summary: string;
  /** Usage lines, without the leading `ds `. */
  usage: string[];
  options?: Record<string, OptionSpec>;
  /** Extra help text (examples, notes). */
  details?: string;
  /** Commands that only read public data, or handle tokens themselves, set this to false. */
  run(ctx: CliContext): Promise<T>;
  view(data: T, ctx: CliContext): string;
  /** The exit status of a run that succeeded (default 0): `ds audit` exits 14 when it found advisories. */
  exitCode?(data: T): number;
}

export function defineCommand<T>(command: Command<T>): Command<unknown> {
  return command as Command<unknown>;
}
