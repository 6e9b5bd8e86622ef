/**
 * The arithmetic of a kill run: from the completion times of committed transactions (milliseconds
 * into the measured window) and the moment one replica was killed, the throughput over time, the
 * longest stall after the kill and the time until throughput recovered.
 *
 * Definitions (also in the report's reading guide):
 * - stall: the longest interval after the kill with no commit, from the later of the kill and the
 *   previous commit to the next commit (or to the end of the window when none came);
 * - recovery: from the kill to the end of the first bin, at or after the stall's end, whose
 *   throughput is at least `recoveredFraction` of the mean throughput before the kill;
 * - throughput after: the mean over the second half of the time after the kill.
 */
import type { KillResult, KillRunSpec, TimelineBin } from './types.js';

/** Throughput per `binMs` bin over [0, durationMs), from sorted completion times in ms. */
export function timeline(completionsMs: readonly number[], durationMs: number, binMs: number): TimelineBin[] {
  if (binMs <= 0) throw new Error('binMs must be positive');
  const bins = Math.ceil(durationMs / binMs);
  const counts = new Array<number>(bins).fill(0);
  for (const t of completionsMs) {
    if (t < 0 || t >= durationMs) continue;
    const i = Math.floor(t / binMs);
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts.map((n, i) => {
    const width = Math.min(binMs, durationMs - i * binMs) / 1000;
    return { tSeconds: (i * binMs) / 1000, throughput: n / width };
  });
}

/** Commits per second in [fromMs, toMs) of sorted completion times; 0 for an empty interval. */
export function rateBetween(sortedMs: readonly number[], fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  let n = 0;
  for (const t of sortedMs) if (t >= fromMs && t < toMs) n++;
  return n / ((toMs - fromMs) / 1000);
}

/** The longest commit-free interval after `killMs`: [startMs, startMs + lengthMs). */
export function longestStall(
  sortedMs: readonly number[],
  killMs: number,
  durationMs: number,
): { startMs: number; lengthMs: number } {
  let best = { startMs: killMs, lengthMs: 0 };
  let prev = killMs;
  for (const t of sortedMs) {
    if (t < killMs) continue;
    if (t >= durationMs) break;
    if (t - prev > best.lengthMs) best = { startMs: prev, lengthMs: t - prev };
    prev = t;
  }
  if (durationMs - prev > best.lengthMs) best = { startMs: prev, lengthMs: durationMs - prev };
  return best;
}

/** Everything a KillResult reports, from the run's completions (ms into the window, any order). */
export function analyseKill(
  spec: KillRunSpec,
  victimId: number,
  completionsMs: readonly number[],
  failed: number,
): KillResult {
  const durationMs = spec.durationSeconds * 1000;
  const killMs = spec.killAtSeconds * 1000;
  const sorted = [...completionsMs].filter((t) => t >= 0 && t < durationMs).sort((a, b) => a - b);
  const bins = timeline(sorted, durationMs, spec.binMs);
  const before = rateBetween(sorted, 0, killMs);
  const after = rateBetween(sorted, killMs + (durationMs - killMs) / 2, durationMs);
  const stall = longestStall(sorted, killMs, durationMs);
  const stallEndS = (stall.startMs + stall.lengthMs) / 1000;
  const binS = spec.binMs / 1000;
  const back = bins.find(
    (b) => b.tSeconds + binS > stallEndS && before > 0 && b.throughput >= spec.recoveredFraction * before,
  );
  const recoverySeconds = back
    ? Math.min(spec.durationSeconds, back.tSeconds + binS) - spec.killAtSeconds
    : null;
  return {
    spec,
    victimId,
    committed: sorted.length,
    failed,
    timeline: bins,
    throughputBefore: before,
    throughputAfter: after,
    stallStartSeconds: stall.startMs / 1000,
    stallSeconds: stall.lengthMs / 1000,
    recoverySeconds: recoverySeconds === null ? null : Math.max(0, recoverySeconds),
  };
}
