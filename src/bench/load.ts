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
  const samples: LoadSamples = { latenciesMs: [], failed: 0 };
  const completions: number[] | undefined = recordCompletions ? [] : undefined;
  if (completions) samples.completionsMs = completions;
  const measureFrom = performance.now() + warmupMs;
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
        if (ok && completions && t1 >= measureFrom && t1 < end) completions.push(t1 - measureFrom);
        if (t0 < measureFrom || t1 > end) continue;
        if (ok) samples.latenciesMs.push(t1 - t0);
        else samples.failed++;
      }
    }),
  );
  return samples;
}
