/**
 * Closed-loop load: C clients, each with one request outstanding, transfer 1 unit to the next
 * client as fast as the cluster answers. Latencies are recorded after a warm-up; the result holds
 * throughput and percentiles. Every request is a real signed transfer verified by every replica.
 */
import type { LedgerClient } from '../client/ledger-client.js';

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
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
}

/** The p-th percentile (0..100) of sorted values, or 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Runs the load on connected clients (client i pays `accounts[(i + 1) % n]`). */
export async function runLoad(
  clients: readonly LedgerClient[],
  accounts: readonly string[],
  warmupMs: number,
  durationMs: number,
  onProgress?: (completed: number, elapsedMs: number) => void,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  const progress = setInterval(() => onProgress?.(latencies.length, performance.now() - measureFrom), 500);
  await Promise.all(
    clients.map(async (client, i) => {
      const to = accounts[(i + 1) % accounts.length]!;
      while (performance.now() < end) {
        const t0 = performance.now();
        const ok = await client.transfer(to, 1n).then(
          (o) => o.result.code === 'ok',
          () => false,
        );
        const t1 = performance.now();
        if (t0 < measureFrom || t1 > end) continue;
        if (ok) latencies.push(t1 - t0);
        else failed++;
      }
    }),
  );
  clearInterval(progress);
  latencies.sort((a, b) => a - b);
  const seconds = durationMs / 1000;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    clients: clients.length,
    seconds,
    completed: latencies.length,
    failed,
    throughput: Math.round(latencies.length / seconds),
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? 0),
    },
  };
}
