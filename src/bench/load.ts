/**
 * Closed-loop load: C clients, each with one request outstanding, submit the workload's operation as
 * fast as the cluster answers. Latencies are recorded only for requests that start and finish inside
 * the measured window (after the warm-up); `summarise` turns them into throughput and percentiles.
 */
import type { LedgerClient } from '../client/ledger-client.js';

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** What one load run measured. */
export interface LoadResult {
  /** Clients (one outstanding request each). */
  readonly clients: number;
  /** Measured window, seconds (after the warm-up). */
  readonly seconds: number;
  /** Requests completed in the measured window. */
  readonly completed: number;
  /** Requests that failed (timeouts or ledger errors). */
  readonly failed: number;
  /** Completed requests per second. */
  readonly throughput: number;
  /** Latency percentiles in milliseconds. */
  readonly latencyMs: LatencySummary;
}

/** Raw samples of a closed loop, mergeable across processes. */
export interface LoadSamples {
  /** Latency of each request completed inside the window, ms. */
  readonly latenciesMs: number[];
  /** Requests inside the window that failed. */
  failed: number;
  /**
   * Successes per whole second of the run, warm-up included, by completion time: how throughput
   * ramped up (JIT compilation, caches) and whether the warm-up covered the ramp.
   */
  readonly perSecond: number[];
  /**
   * When asked for: when each request that succeeded inside the window completed, ms after the
   * window opened, whenever it started (a kill run's throughput over time).
   */
  completionsMs?: number[];
}

/** The p-th percentile (0..100) of sorted values, or 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Element-wise sum of per-second counts (of client processes that ran the same schedule). */
export function sumPerSecond(series: readonly (readonly number[])[]): number[] {
  const out = new Array<number>(Math.max(0, ...series.map((s) => s.length))).fill(0);
  for (const s of series) for (const [i, x] of s.entries()) out[i]! += x;
  return out;
}

/** Mean of `counts`, 0 for none. */
function mean(counts: readonly number[]): number {
  return counts.length === 0 ? 0 : counts.reduce((a, b) => a + b, 0) / counts.length;
}

/** Mean per-second rate of each `step`-second chunk of `counts` (a shorter last chunk counts as is). */
function chunkRates(counts: readonly number[], step: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < counts.length; i += step) out.push(Math.round(mean(counts.slice(i, i + step))));
  return out;
}

/**
 * Throughput over the run in `step`-second chunks, warm-up and measured window apart, e.g.
 * `210 340 | 480 470`; `rising` when the warm-up's last chunk ran under 90% of the window's rate
 * (the window then still contains part of the ramp: warm up longer).
 */
export function ramp(
  perSecond: readonly number[],
  warmupS: number,
  step = 5,
): { line: string; rising: boolean } {
  const warm = chunkRates(perSecond.slice(0, warmupS), step);
  const window = perSecond.slice(warmupS);
  const measured = chunkRates(window, step);
  const lastWarm = warm.at(-1);
  const rising = lastWarm !== undefined && lastWarm < 0.9 * mean(window);
  const line = warm.length > 0 ? `${warm.join(' ')} | ${measured.join(' ')}` : measured.join(' ');
  return { line, rising };
}

/** Throughput and percentiles of samples gathered over `seconds` by `clients` clients. */
export function summarise(samples: LoadSamples, clients: number, seconds: number): LoadResult {
  const latencies = [...samples.latenciesMs].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    clients,
    seconds,
    completed: latencies.length,
    failed: samples.failed,
    throughput: Math.round(latencies.length / seconds),
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? 0),
    },
  };
}

/**
 * Runs client i submitting `ops[i]` in a closed loop from now until `warmupMs + durationMs` have
 * passed; with `recordCompletions`, also keeps every success's completion time in the window.
 */
export async function closedLoop(
  clients: readonly LedgerClient[],
  ops: readonly Uint8Array[],
  warmupMs: number,
  durationMs: number,
  recordCompletions = false,
): Promise<LoadSamples> {
  const seconds = Math.ceil((warmupMs + durationMs) / 1000);
  const samples: LoadSamples = { latenciesMs: [], failed: 0, perSecond: new Array<number>(seconds).fill(0) };
  const start = performance.now();
  const completions: number[] | undefined = recordCompletions ? [] : undefined;
  if (completions) samples.completionsMs = completions;
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  await Promise.all(
    clients.map(async (client, i) => {
      const op = ops[i]!;
      while (performance.now() < end) {
        const t0 = performance.now();
        const ok = await client.submit(op).then(
          (o) => o.result.code === 'ok',
          () => false,
        );
        const t1 = performance.now();
        const second = Math.floor((t1 - start) / 1000);
        if (ok && second < seconds) samples.perSecond[second]!++;
        if (ok && completions && t1 >= measureFrom && t1 < end) completions.push(t1 - measureFrom);
        if (t0 < measureFrom || t1 > end) continue;
        if (ok) samples.latenciesMs.push(t1 - t0);
        else samples.failed++;
      }
    }),
  );
  return samples;
}
