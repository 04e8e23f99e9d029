import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Peak resident memory of a process over a phase: polls VmRSS every `intervalMs` and, when the
 * kernel lets us reset it (`echo 5 > /proc/<pid>/clear_refs`), also reads the exact VmHWM.
 */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peak = 0;
  private hwmReset = false;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): void {
    this.stop();
    this.peak = statusField(this.pid, 'VmRSS') ?? 0;
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.timer = setInterval(() => {
      const rss = statusField(this.pid, 'VmRSS');
      if (rss !== undefined && rss > this.peak) this.peak = rss;
    }, this.intervalMs);
  }

  /** Stops sampling; the peak in bytes since start(). */
  stop(): number {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      const rss = statusField(this.pid, 'VmRSS') ?? 0;
      const hwm = this.hwmReset ? (statusField(this.pid, 'VmHWM') ?? 0) : 0;
      this.peak = Math.max(this.peak, rss, hwm);
    }
    return this.peak;
  }

  /** The current resident size in bytes. */
  current(): number {
    return statusField(this.pid, 'VmRSS') ?? 0;
  }
}

/** CPU time (ns) all threads of `pid` have run so far, from /proc/<pid>/task/<tid>/schedstat. */
export function processCpuNs(pid: number): number {
  let total = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return Number.NaN;
  }
  for (const tid of tasks) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return total;
}
