import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** The core the servers under test run on, and the core of the load generator (this process). */
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

let tasksetAvailable: boolean | undefined;

/** True when `taskset` exists and the machine has at least two cores to split. */
export function canPin(): boolean {
  if (tasksetAvailable === undefined) {
    const probe = spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' });
    tasksetAvailable = probe.status === 0 && availableParallelism() >= 2;
  }
  return tasksetAvailable;
}

/** Pins every thread of `pid` (and the threads it creates later) to `cpu`; false when not possible. */
export function pinProcess(pid: number, cpu: number): boolean {
  if (!canPin()) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' }).status === 0;
}

/** The argv that runs `command` pinned to `cpu` (unpinned when taskset is missing). */
export function pinnedCommand(cpu: number, command: string, args: string[]): { command: string; args: string[] } {
  if (!canPin()) return { command, args };
  return { command: 'taskset', args: ['-c', String(cpu), command, ...args] };
}
