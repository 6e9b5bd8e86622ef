/**
 * Optional per-stage latency tracing of the replica runtime, for finding where the time of a
 * request goes. Off unless the environment sets `BFTLEDGER_TRACE=1`: then every stage records its
 * durations and a summary (count, p50, p99, max per stage, in ms, plus event-loop delay) is logged
 * every `BFTLEDGER_TRACE_EVERY_MS` (default 5000) and at stop. When off, every call is a no-op on a
 * shared disabled instance, so the hot path pays one branch.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Stage durations, by stage name. */
export class StageTrace {
  /** Durations recorded since the last summary, ms, by stage. */
  private readonly samples = new Map<string, number[]>();
  /** Event-loop delay histogram while tracing. */
  private readonly loopDelay: IntervalHistogram | undefined;
  /** The summary timer. */
  private timer: NodeJS.Timeout | undefined;

  /** Use `fromEnv`; `new StageTrace(false)` is a tracer that records nothing. */
  constructor(
    /** Whether anything is recorded. */
    readonly enabled: boolean,
    private readonly report?: (summary: Record<string, unknown>) => void,
    everyMs = 5000,
  ) {
    if (!enabled) return;
    this.loopDelay = monitorEventLoopDelay({ resolution: 1 });
    this.loopDelay.enable();
    this.timer = setInterval(() => this.flush(), everyMs);
    this.timer.unref();
  }

  /** A tracer enabled by `BFTLEDGER_TRACE=1`, reporting through `report`; otherwise the no-op one. */
  static fromEnv(report: (summary: Record<string, unknown>) => void): StageTrace {
    if (process.env.BFTLEDGER_TRACE !== '1') return DISABLED;
    const every = Number(process.env.BFTLEDGER_TRACE_EVERY_MS ?? 5000);
    return new StageTrace(true, report, Number.isFinite(every) && every > 0 ? every : 5000);
  }

  /** The current time (ms) when tracing, else 0 (so callers skip the clock read). */
  now(): number {
    return this.enabled ? performance.now() : 0;
  }

  /** Records the time since `since` (a `now()` value) under `stage`. */
  since(stage: string, since: number): void {
    if (this.enabled) this.record(stage, performance.now() - since);
  }

  /** Records a duration (ms) under `stage`. */
  record(stage: string, ms: number): void {
    if (!this.enabled) return;
    let list = this.samples.get(stage);
    if (list === undefined) {
      list = [];
      this.samples.set(stage, list);
    }
    list.push(ms);
  }

  /** Reports what was recorded since the last report, then forgets it. */
  flush(): void {
    if (!this.enabled || this.report === undefined) return;
    const stages: Record<string, string> = {};
    for (const [stage, list] of [...this.samples.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (list.length === 0) continue;
      list.sort((a, b) => a - b);
      const pick = (p: number) => list[Math.min(list.length - 1, Math.floor(p * list.length))]!.toFixed(2);
      stages[stage] = `n=${list.length} p50=${pick(0.5)} p99=${pick(0.99)} max=${list.at(-1)!.toFixed(2)}`;
    }
    this.samples.clear();
    const d = this.loopDelay;
    const loop = d
      ? `p50=${(d.percentile(50) / 1e6).toFixed(2)} p99=${(d.percentile(99) / 1e6).toFixed(2)} max=${(d.max / 1e6).toFixed(2)}`
      : '';
    d?.reset();
    this.report({ stages, loopDelayMs: loop });
  }

  /** Stops the timer after a last report. */
  stop(): void {
    if (!this.enabled) return;
    clearInterval(this.timer);
    this.flush();
    this.loopDelay?.disable();
  }
}

/** The shared no-op tracer. */
const DISABLED = new StageTrace(false);
