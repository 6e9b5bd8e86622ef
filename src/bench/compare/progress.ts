/**
 * Progress of a comparison on a terminal. On a TTY: one bar redrawn in place (runs done, the run in
 * progress, elapsed time and an estimate of what is left), with a permanent line per finished run
 * above it. Elsewhere (CI logs, pipes): plain lines only, one when a run starts and one when it ends,
 * and no control characters.
 */
import type { ProgressEvent } from './orchestrate.js';
import { formatRunSummary } from './table.js';

/** Where progress is written (process.stderr in the CLI). */
export interface ProgressStream {
  /** True on a terminal. */
  readonly isTTY?: boolean;
  /** Terminal width, when known. */
  readonly columns?: number;
  /** Writes text. */
  write(chunk: string): unknown;
}

/** What the bar shows at one moment. */
export interface BarState {
  /** Fraction of the planned work done, 0..1. */
  readonly fraction: number;
  /** 1-based number of the run in progress. */
  readonly current: number;
  /** Runs in all. */
  readonly total: number;
  /** The run in progress. */
  readonly label: string;
  /** Seconds since the comparison started. */
  readonly elapsedSeconds: number;
  /** Estimated seconds left, or null before there is anything to estimate from. */
  readonly etaSeconds: number | null;
}

/** `m:ss` (or `h:mm:ss`) for a number of seconds. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The bar's line, at most `width` characters: `[#####.....]  42% 3/12 label 1:05 left 1:30`. */
export function renderBar(state: BarState, width: number): string {
  const pct = `${String(Math.floor(state.fraction * 100)).padStart(3)}%`;
  const eta = state.etaSeconds === null ? '' : ` left ${formatDuration(state.etaSeconds)}`;
  const tail = ` ${state.current}/${state.total} ${state.label} ${formatDuration(state.elapsedSeconds)}${eta}`;
  const barWidth = Math.max(10, Math.min(30, width - pct.length - tail.length - 3));
  const filled = Math.round(Math.min(1, Math.max(0, state.fraction)) * barWidth);
  const line = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${pct}${tail}`;
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}

/** Shows a comparison's progress: pass `bar.onEvent` as `onProgress`, call `tick` now and then. */
export class ProgressBar {
  /** Whether to redraw in place (a TTY) or print plain lines. */
  readonly #tty: boolean;
  /** When the comparison started (first event). */
  #startMs: number | null = null;
  /** The last start event: the run in progress. */
  #current: ProgressEvent | null = null;
  /** When the run in progress started. */
  #currentStartMs = 0;
  /** Whether a bar is on screen (to clear before printing a line). */
  #drawn = false;

  constructor(
    /** Where to write. */
    private readonly stream: ProgressStream,
    /** Clock in milliseconds. */
    private readonly nowMs: () => number,
  ) {
    this.#tty = stream.isTTY === true;
  }

  /** Handles a start or end event of the comparison. */
  onEvent(e: ProgressEvent): void {
    const now = this.nowMs();
    this.#startMs ??= now;
    const tag = `[${e.index + 1}/${e.total}] ${e.label}`;
    if (e.phase === 'start') {
      this.#current = e;
      this.#currentStartMs = now;
      if (this.#tty) this.tick();
      else this.stream.write(`${tag}: running (about ${formatDuration(e.plannedSeconds)} after start-up)\n`);
      return;
    }
    const what =
      e.error !== undefined ? `failed: ${e.error}` : e.result ? formatRunSummary(e.result) : 'done';
    this.#clear();
    this.stream.write(`${tag}: ${what}\n`);
    this.#current = null;
  }

  /** The bar's state now, or null when no run is in progress. */
  state(): BarState | null {
    const e = this.#current;
    if (e === null || this.#startMs === null) return null;
    const now = this.nowMs();
    const inRun = Math.min(e.plannedSeconds, (now - this.#currentStartMs) / 1000);
    const fraction = e.totalPlannedSeconds > 0 ? (e.plannedSecondsBefore + inRun) / e.totalPlannedSeconds : 0;
    const elapsedSeconds = (now - this.#startMs) / 1000;
    const etaSeconds = fraction > 0.01 ? (elapsedSeconds * (1 - fraction)) / fraction : null;
    return { fraction, current: e.index + 1, total: e.total, label: e.label, elapsedSeconds, etaSeconds };
  }

  /** Redraws the bar in place (on a TTY; nothing otherwise). */
  tick(): void {
    const s = this.state();
    if (!this.#tty || s === null) return;
    this.stream.write(`\r${renderBar(s, (this.stream.columns ?? 80) - 1)}\u001b[K`);
    this.#drawn = true;
  }

  /** Prints a line of its own (above the bar on a terminal). */
  note(line: string): void {
    this.#clear();
    this.stream.write(`${line}\n`);
    this.tick();
  }

  /** Removes the bar from the screen. */
  close(): void {
    this.#clear();
  }

  /** Clears the bar's line if one is drawn. */
  #clear(): void {
    if (!this.#drawn) return;
    this.stream.write('\r\u001b[K');
    this.#drawn = false;
  }
}
