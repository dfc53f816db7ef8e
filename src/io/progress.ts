/**
 * Progress on stderr for long runs: one updating line with the fraction done and an estimate of
 * the time left, shown only when stderr is a terminal and the run has lasted about 2 s, cleared at
 * the end (nothing at all when stderr is not a TTY, so pipes and tests stay clean).
 *
 * Long loops report through `progressTick(done, total)`, which costs one comparison when no
 * command has installed a reporter; a command installs one around its work with `withProgress`.
 */

/** Seconds before the line appears. */
export const PROGRESS_DELAY = 2;

export class ProgressLine {
  private readonly t0 = Date.now();
  private last = 0;
  private shown = false;
  /** Start and last count of the current pass: a count that goes down starts a new pass. */
  private passStart = Date.now();
  private lastDone = 0;
  constructor(
    private readonly write: (s: string) => void,
    private readonly enabled: boolean,
    private readonly unit = 'steps',
    private readonly delay = PROGRESS_DELAY,
  ) {}

  update(done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (done < this.lastDone) this.passStart = now;
    this.lastDone = done;
    const elapsed = (now - this.t0) / 1000;
    if (elapsed < this.delay || now - this.last < 200) return;
    this.last = now;
    this.shown = true;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 30;
    const fill = Math.round(frac * width);
    const eta = frac > 0 ? ((now - this.passStart) / 1000) * ((1 - frac) / frac) : NaN;
    this.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(100 * frac).toFixed(0).padStart(3)}%  ${done}/${total} ${this.unit}  ${elapsed.toFixed(1)} s${Number.isFinite(eta) ? `, ~${eta.toFixed(0)} s left` : ''}   `);
  }

  clear(): void {
    if (this.shown) this.write('\r' + ' '.repeat(96) + '\r');
    this.shown = false;
  }
}

let current: ProgressLine | undefined;

/** Report `done` of `total` units of the running command's work (no-op without a reporter). */
export function progressTick(done: number, total: number): void {
  if (current) current.update(done, total);
}

/** Run `work` with a progress line on `write` when `tty` (default: process.stderr.isTTY). */
export async function withProgress<T>(write: (s: string) => void, work: () => T | Promise<T>, unit = 'layers', tty = process.stderr.isTTY === true): Promise<T> {
  const previous = current;
  const line = new ProgressLine(write, tty, unit);
  current = line;
  try {
    return await work();
  } finally {
    line.clear();
    current = previous;
  }
}
