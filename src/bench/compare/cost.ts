/**
 * The cost split: from each process's counters at the start and the end of the measured window
 * (CPU time, crypto counters, messages and bytes sent), the CPU seconds per committed transaction
 * spent signing, verifying, hashing and on everything else, the crypto operations per transaction,
 * and the traffic per transaction.
 *
 * With `timed` attribution, timed crypto (synchronous calls on the event loop) counts as measured,
 * less the timer's own cost per call, and work that could not be timed (verifications on libuv's
 * pool, processes that ran with timing off) counts as calls x the calibrated per-op cost. With
 * `counted` attribution every operation counts as calls x calibrated cost: on a machine shared by
 * more runnable threads than cores, a call's wall time includes the waits of a preempted thread. The
 * rest is the process's CPU time less its crypto, never below zero.
 */
import type { CryptoCalibration } from '../../crypto/index.js';
import { cryptoDelta } from '../../crypto/index.js';
import type {
  CostAccount,
  CostBreakdown,
  CryptoAttribution,
  CryptoOps,
  LoadFigures,
  ProcessCost,
  ProcessSample,
  RunResult,
  RunSpec,
} from './types.js';

/** A breakdown of zeros. */
export const ZERO_COST: CostBreakdown = { sign: 0, verify: 0, hash: 0, rest: 0, total: 0 };

/** What a process did between two samples (matched by name); throws if the two are not one process. */
export function sampleDelta(before: ProcessSample, after: ProcessSample): ProcessSample {
  if (before.name !== after.name || before.role !== after.role) {
    throw new Error(`samples of different processes: ${before.name} and ${after.name}`);
  }
  return {
    role: after.role,
    name: after.name,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    crypto: cryptoDelta(before.crypto, after.crypto),
    messagesOut: after.messagesOut - before.messagesOut,
    bytesOut: after.bytesOut - before.bytesOut,
    missing: [...new Set([...before.missing, ...after.missing])].sort(),
  };
}

/** Deltas of every process present in both lists (by name), in the order of `after`. */
export function sampleDeltas(
  before: readonly ProcessSample[],
  after: readonly ProcessSample[],
): ProcessSample[] {
  const first = new Map(before.map((s) => [s.name, s]));
  return after.flatMap((s) => {
    const b = first.get(s.name);
    return b ? [sampleDelta(b, s)] : [];
  });
}

/** Timed seconds less the timer's own cost per call, or null when the op ran untimed. */
function timed(seconds: number, count: number, cal: CryptoCalibration): number | null {
  if (count > 0 && seconds <= 0) return null;
  return Math.max(0, seconds - count * cal.timerSeconds);
}

/** One process's CPU over a window, split into sign, verify, hash and rest. */
export function processCost(
  delta: ProcessSample,
  cal: CryptoCalibration,
  attribution: CryptoAttribution = 'timed',
): ProcessCost {
  const { count, seconds, hashBytes } = delta.crypto;
  const estimated: (keyof CostBreakdown)[] = [];
  const use = (s: number, n: number) => (attribution === 'timed' ? timed(s, n, cal) : null);
  const signTimed = use(seconds.sign, count.sign);
  const inlineTimed = use(seconds['verify-inline'], count['verify-inline']);
  const hashTimed = use(seconds.hash, count.hash);
  if (signTimed === null) estimated.push('sign');
  if (inlineTimed === null || count['verify-pool'] > 0) estimated.push('verify');
  if (hashTimed === null) estimated.push('hash');
  const sign = signTimed ?? count.sign * cal.signSeconds;
  const verify =
    (inlineTimed ?? count['verify-inline'] * cal.verifySeconds) + count['verify-pool'] * cal.verifySeconds;
  const hash = hashTimed ?? count.hash * cal.sha256CallSeconds + (hashBytes / 1024) * cal.sha256KbSeconds;
  const crypto = sign + verify + hash;
  const rest = Math.max(0, delta.cpuSeconds - crypto);
  return {
    role: delta.role,
    name: delta.name,
    seconds: { sign, verify, hash, rest, total: crypto + rest },
    estimated,
    clipped: crypto > delta.cpuSeconds,
    ops: { sign: count.sign, verify: count['verify-inline'] + count['verify-pool'], hash: count.hash },
    timedSeconds: { sign: seconds.sign, verify: seconds['verify-inline'], hash: seconds.hash },
    messagesOut: delta.messagesOut,
    bytesOut: delta.bytesOut,
    missing: delta.missing,
  };
}

/** The part-by-part sum of breakdowns. */
export function addCosts(all: readonly CostBreakdown[]): CostBreakdown {
  const out = { ...ZERO_COST };
  for (const c of all) {
    out.sign += c.sign;
    out.verify += c.verify;
    out.hash += c.hash;
    out.rest += c.rest;
    out.total += c.total;
  }
  return out;
}

/** A breakdown divided by `n` (zeros when n is 0: nothing committed, no per-transaction cost). */
export function divideCost(c: CostBreakdown, n: number): CostBreakdown {
  if (n <= 0) return { ...ZERO_COST };
  return { sign: c.sign / n, verify: c.verify / n, hash: c.hash / n, rest: c.rest / n, total: c.total / n };
}

/** Operations per committed transaction summed over `processes` (zeros when nothing committed). */
function opsPerTx(processes: readonly ProcessCost[], committed: number): CryptoOps {
  const per = (k: keyof CryptoOps) =>
    committed > 0 ? processes.reduce((s, p) => s + p.ops[k], 0) / committed : 0;
  return { sign: per('sign'), verify: per('verify'), hash: per('hash') };
}

/** The cost account of a run from per-process window deltas and the transactions committed in it. */
export function costAccount(
  deltas: readonly ProcessSample[],
  committed: number,
  cal: CryptoCalibration,
  attribution: CryptoAttribution = 'timed',
): CostAccount {
  const processes = deltas.map((d) => processCost(d, cal, attribution));
  const replicaProcesses = processes.filter((p) => p.role === 'replica');
  const total = addCosts(processes.map((p) => p.seconds));
  const replicas = addCosts(replicaProcesses.map((p) => p.seconds));
  const messages = processes.reduce((s, p) => s + p.messagesOut, 0);
  const bytes = processes.reduce((s, p) => s + p.bytesOut, 0);
  return {
    total,
    perTx: divideCost(total, committed),
    replicaPerTx: divideCost(replicas, committed),
    attribution,
    opsPerTx: opsPerTx(processes, committed),
    replicaOpsPerTx: opsPerTx(replicaProcesses, committed),
    messagesPerTx: committed > 0 ? messages / committed : 0,
    bytesPerTx: committed > 0 ? bytes / committed : 0,
    processes,
  };
}

/**
 * A run's result from its load figures and every process's samples taken when the measured
 * window opened and when it closed (after the warm-up, so start-up and warm-up are not counted).
 */
export function buildRunResult(
  spec: RunSpec,
  load: LoadFigures,
  before: readonly ProcessSample[],
  after: readonly ProcessSample[],
  cal: CryptoCalibration,
  attribution: CryptoAttribution = 'timed',
): RunResult {
  return { spec, load, cost: costAccount(sampleDeltas(before, after), load.completed, cal, attribution) };
}
