export interface IdleQueueOptions {
  /** the queue waits until nothing called `touch()` for this long */
  quietMs: number;
  /** a task never waits longer than this, busy or not */
  maxDelayMs: number;
  /** above this many queued bytes the queue stops waiting for quiet */
  maxQueuedBytes: number;
}

interface Task {
  key: string;
  bytes: number;
  queuedAt: number;
  urgent: boolean;
  run: () => Promise<void>;
  settle: { resolve: () => void; reject: (error: unknown) => void };
}

/**
 * Background work that should not compete with answering requests: tasks run one at a time,
 * when the caller has been quiet for `quietMs` (it calls `touch()` on each request), or at once
 * when a task is urgent, has waited `maxDelayMs`, or the queued tasks hold too many bytes.
 */
export class IdleQueue {
  private readonly tasks: Task[] = [];
  private queuedBytes = 0;
  private running = false;
  private lastActivity = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: IdleQueueOptions) {}

  touch(): void {
    this.lastActivity = Date.now();
  }

  /** Queues `run` (first in line when `urgent`); the promise settles with it. */
  add(key: string, bytes: number, run: () => Promise<void>, urgent = false): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const task: Task = { key, bytes, queuedAt: Date.now(), urgent, run, settle: { resolve, reject } };
      if (urgent) this.tasks.unshift(task);
      else this.tasks.push(task);
      this.queuedBytes += bytes;
      this.pump();
    });
  }

  /** Someone waits for this task: it runs next, without waiting for quiet. */
  expedite(key: string): void {
    const index = this.tasks.findIndex((t) => t.key === key);
    if (index < 0) return;
    const [task] = this.tasks.splice(index, 1) as [Task];
    task.urgent = true;
    this.tasks.unshift(task);
    this.pump();
  }

  /** Everything queued runs now, one after the other (at shutdown). */
  flush(): void {
    for (const task of this.tasks) task.urgent = true;
    this.pump();
  }

  private pump(): void {
    if (this.running || this.tasks.length === 0) return;
    const first = this.tasks[0] as Task;
    const now = Date.now();
    const quietFor = now - this.lastActivity;
    const due =
      first.urgent ||
      quietFor >= this.options.quietMs ||
      now - first.queuedAt >= this.options.maxDelayMs ||
      this.queuedBytes > this.options.maxQueuedBytes;
    if (!due) {
      if (!this.timer) {
        const wait = Math.max(10, Math.min(this.options.quietMs - quietFor, first.queuedAt + this.options.maxDelayMs - now));
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        this.timer.unref();
      }
      return;
    }
    this.tasks.shift();
    this.running = true;
    first
      .run()
      .then(first.settle.resolve, first.settle.reject)
      .finally(() => {
        this.queuedBytes -= first.bytes;
        this.running = false;
        this.pump();
      });
  }
}
