/**
 * What a run reports, and its fingerprint: a SHA-256 over everything observable (completions,
 * agreed batch and checkpoint digests, final replica states, counters), so two runs can be
 * compared for determinism with one string.
 */
import { sha256 } from '../crypto/hash.js';
import { toHex } from '../crypto/hex.js';
import type { CheckerSuite } from './checkers.js';
import type { Completion } from './client.js';
import type { FaultTotals } from './injector.js';
import type { NetworkStats } from './network.js';
import type { HostStatus } from './replica-host.js';

/** A peer that served state not matching a checkpoint certificate, as the fetching replica saw it. */
export interface BadPeerEvent {
  /** The replica that detected it. */
  readonly replica: number;
  /** The peer it skips from then on. */
  readonly peer: number;
  /** The core's reason. */
  readonly reason: string;
  /** Virtual time, ms. */
  readonly atMs: number;
}

/** Counters the driver keeps during a run. */
export interface RunTotals {
  /** Events popped from the queue. */
  events: number;
  /** `executed` outputs over all replicas. */
  executedOutputs: number;
  /** `state-transferred` outputs over all replicas. */
  stateTransfers: number;
  /** `view-change` outputs (a replica moved to view change) over all replicas. */
  viewChanges: number;
  /** `new-view` outputs (a replica installed a new view) over all replicas. */
  newViews: number;
  /** Frames the boundary (or a client) refused, by reason. */
  rejected: Record<string, number>;
  /** Messages the cores ignored, by reason. */
  ignored: Record<string, number>;
  /** `bad-peer` outputs, in order. */
  badPeers: BadPeerEvent[];
  /** Requests still pending at their liveness deadline. */
  overdue: number;
}

/** The outcome of one simulated run. */
export interface SimResult {
  /** The run's seed. */
  readonly seed: number;
  /** Every violation found, in order; empty when the run is clean. */
  readonly violations: readonly string[];
  /** Requests clients accepted (f + 1 matching replies). */
  readonly committedRequests: number;
  /** Sequence numbers executed by at least one correct replica. */
  readonly executedBatches: number;
  /** Virtual time at the end of the run, ms. */
  readonly virtualMs: number;
  /** Events processed. */
  readonly events: number;
  /** Messages handed to the network (per receiver). */
  readonly messages: number;
  /** Messages the network dropped, by cause. */
  readonly dropped: { readonly loss: number; readonly blocked: number };
  /** Extra copies delivered by duplication. */
  readonly duplicated: number;
  /** Copies delayed for reordering. */
  readonly reordered: number;
  /** Frames refused at a boundary, by reason. */
  readonly rejected: Readonly<Record<string, number>>;
  /** Messages the cores ignored, by reason. */
  readonly ignored: Readonly<Record<string, number>>;
  /** State transfers completed over all replicas. */
  readonly stateTransfers: number;
  /** View changes started, over all replicas. */
  readonly viewChanges: number;
  /** New views installed, over all replicas. */
  readonly newViews: number;
  /** Highest final view among the replicas. */
  readonly maxView: number;
  /** Mean client latency (first send to acceptance), virtual ms; 0 without completions. */
  readonly meanLatencyMs: number;
  /** Largest client latency, virtual ms. */
  readonly maxLatencyMs: number;
  /** Replica crashes (scripted, random and crash points). */
  readonly crashes: number;
  /** Restarts from a replica's store. */
  readonly restarts: number;
  /** Crashes of the crash-point mode (right after a write to the store). */
  readonly crashPoints: number;
  /** Partitions and isolations started. */
  readonly partitions: number;
  /** Stored envelopes refused by the boundary on restarts (0 for a healthy store). */
  readonly refusedOnRestart: number;
  /** Every `bad-peer` output: peers caught serving state that did not match a certificate. */
  readonly badPeers: readonly BadPeerEvent[];
  /** No request was still pending at its liveness deadline (nor at the end of the run). */
  readonly livenessPassed: boolean;
  /**
   * Every running correct replica ends in the same view, none of them still changing view. Not a
   * violation (clients only need 2f + 1 replicas), but a replica left out is slack the cluster lost.
   */
  readonly converged: boolean;
  /** Each replica's final state, by id. */
  readonly replicas: readonly ReplicaSummary[];
  /** SHA-256 (hex) of everything observable in the run: equal for equal runs. */
  readonly fingerprint: string;
}

/** One replica at the end of a run. */
export interface ReplicaSummary {
  /** Last executed seq. */
  readonly lastExecuted: number;
  /** Final view. */
  readonly view: number;
  /** Whether it ended in the middle of a view change (waiting for a NEW-VIEW). */
  readonly changingView: boolean;
  /** Whether the checkers hold it to the rules. */
  readonly correct: boolean;
  /** Final ledger digest, hex. */
  readonly digest: string;
  /** Running, crashed, or failed (its core threw). */
  readonly status: HostStatus;
  /** Times it crashed. */
  readonly crashes: number;
  /** State transfers it completed. */
  readonly stateTransfers: number;
  /** Distinct requests it applied itself. */
  readonly applied: number;
  /** Requests it holds only through state transfers. */
  readonly heldByTransfer: number;
}

/** One replica's final state, as the driver reports it. */
export type FinalReplica = Omit<ReplicaSummary, 'digest'> & {
  /** Final ledger digest. */
  readonly digest: Uint8Array;
};

/** What `buildResult` summarizes. */
export interface ResultParts {
  /** The run's seed. */
  readonly seed: number;
  /** Virtual time at the end. */
  readonly virtualMs: number;
  /** The checkers (violations and the agreed tables). */
  readonly checkers: CheckerSuite;
  /** Completions in acceptance order. */
  readonly completions: readonly Completion[];
  /** Network counters. */
  readonly network: NetworkStats;
  /** Driver counters. */
  readonly totals: RunTotals;
  /** Fault counters. */
  readonly faults: FaultTotals;
  /** Final replica states. */
  readonly replicas: readonly FinalReplica[];
}

/** Sorts a counter record by key, so its JSON never depends on insertion order. */
function sorted(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** SHA-256 over a canonical JSON of everything observable. */
function fingerprintOf(p: ResultParts): string {
  const doc = {
    seed: p.seed,
    virtualMs: p.virtualMs,
    violations: p.checkers.violations,
    completions: p.completions.map((c) => [c.client, c.timestamp, c.seq, toHex(c.result), c.completedAt]),
    batches: [...p.checkers.agreement.digests].map(([seq, d]) => [seq, d.hex]),
    checkpoints: [...p.checkers.checkpoints.digests].map(([seq, d]) => [seq, d.hex]),
    replicas: p.replicas.map((r) => ({ ...r, digest: toHex(r.digest) })),
    network: p.network,
    totals: { ...p.totals, rejected: sorted(p.totals.rejected), ignored: sorted(p.totals.ignored) },
    faults: p.faults,
  };
  return toHex(sha256(new TextEncoder().encode(JSON.stringify(doc))));
}

/** Whether every running correct replica ends in one view, none of them changing view. */
function convergedOf(replicas: readonly FinalReplica[]): boolean {
  const live = replicas.filter((r) => r.correct && r.status === 'up');
  return live.every((r) => !r.changingView && r.view === live[0]?.view);
}

/** Builds the result of a run. */
export function buildResult(p: ResultParts): SimResult {
  let total = 0;
  let max = 0;
  for (const c of p.completions) {
    const latency = c.completedAt - c.issuedAt;
    total += latency;
    max = Math.max(max, latency);
  }
  return {
    seed: p.seed,
    violations: [...p.checkers.violations],
    committedRequests: p.completions.length,
    executedBatches: p.checkers.agreement.digests.size,
    virtualMs: p.virtualMs,
    events: p.totals.events,
    messages: p.network.sent,
    dropped: { loss: p.network.lost, blocked: p.network.blocked },
    duplicated: p.network.duplicated,
    reordered: p.network.reordered,
    rejected: sorted(p.totals.rejected),
    ignored: sorted(p.totals.ignored),
    stateTransfers: p.totals.stateTransfers,
    viewChanges: p.totals.viewChanges,
    newViews: p.totals.newViews,
    maxView: p.replicas.reduce((m, r) => Math.max(m, r.view), 0),
    meanLatencyMs: p.completions.length === 0 ? 0 : total / p.completions.length,
    maxLatencyMs: max,
    crashes: p.faults.crashes,
    restarts: p.faults.restarts,
    crashPoints: p.faults.crashPoints,
    partitions: p.faults.partitions,
    refusedOnRestart: p.faults.refusedOnRestart,
    badPeers: [...p.totals.badPeers],
    livenessPassed: !p.checkers.violations.some((v) => v.startsWith('liveness: ')),
    converged: convergedOf(p.replicas),
    replicas: p.replicas.map((r) => ({ ...r, digest: toHex(r.digest) })),
    fingerprint: fingerprintOf(p),
  };
}
