export interface ProgressBar {
  /** Starts (or restarts) a phase with a total count of units. */
  phase(label: string, total: number, unit?: 'items' | 'bytes'): void;
  /** Raises the current phase's total (work discovered on the way, e.g. while resolving). */
  grow(by: number): void;
  tick(by?: number): void;
  done(): void;
}

const WIDTH = 24;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A one-line bar on stderr, drawn only on a TTY (a no-op otherwise, and under --json). */
export function createProgressBar(stream: NodeJS.WriteStream | undefined, enabled: boolean): ProgressBar {
  if (!enabled || !stream?.isTTY) return { phase() {}, grow() {}, tick() {}, done() {} };
  let label = '';
  let total = 0;
  let current = 0;
  let unit: 'items' | 'bytes' = 'items';
  let lastDraw = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 80) return;
    lastDraw = now;
    const ratio = total > 0 ? Math.min(1, current / total) : 0;
    const filled = Math.round(ratio * WIDTH);
    const count = unit === 'bytes' ? `${formatBytes(current)}/${formatBytes(total)}` : `${current}/${total}`;
    stream.write(`\r\x1b[2K${label.padEnd(8)} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${count}`);
  };
  return {
    phase(nextLabel, nextTotal, nextUnit = 'items') {
      label = nextLabel;
      total = nextTotal;
      current = 0;
      unit = nextUnit;
      draw(true);
    },
    grow(by) {
      total += by;
      draw();
    },
    tick(by = 1) {
      current += by;
      draw();
    },
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}
