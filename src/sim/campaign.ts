/**
 * Campaigns: the same options over many seeds, with aggregate figures and the failing seeds (each
 * replayable alone with `runSimulation({ ...options, seed })`).
 */
import type { SimOptions } from './options.js';
import type { SimResult } from './result.js';
import { runSimulation } from './run.js';

/** A seed that produced violations. */
export interface FailingSeed {
  /** The seed. */
  readonly seed: number;
  /** Its violations, in order. */
  readonly violations: readonly string[];
}

/** Aggregates over a campaign. */
export interface CampaignResult {
  /** Runs made. */
  readonly runs: number;
  /** Seeds with at least one violation, in run order. */
  readonly failing: readonly FailingSeed[];
  /** Violations over all runs. */
  readonly violations: number;
  /** Requests clients accepted, over all runs. */
  readonly committedRequests: number;
  /** Sequence numbers executed, over all runs. */
  readonly executedBatches: number;
  /** Virtual ms simulated, over all runs. */
  readonly virtualMs: number;
  /** Events processed, over all runs. */
  readonly events: number;
  /** Messages sent, over all runs. */
  readonly messages: number;
  /** State transfers, over all runs. */
  readonly stateTransfers: number;
  /** View changes started, over all runs and replicas. */
  readonly viewChanges: number;
  /** Runs that ended in a view other than 0. */
  readonly runsWithNewView: number;
  /** Replica crashes, over all runs. */
  readonly crashes: number;
  /** Restarts from a store, over all runs. */
  readonly restarts: number;
  /** Partitions and isolations, over all runs. */
  readonly partitions: number;
  /** Runs whose liveness phase passed (no request overdue). */
  readonly livenessPassed: number;
  /** Runs that ended with every running correct replica in one view (see SimResult.converged). */
  readonly converged: number;
  /** Frames refused at a boundary, by reason, over all runs. */
  readonly rejected: Readonly<Record<string, number>>;
}

/** Called after each run (progress, streaming output); `index` counts from 0. */
export type OnResult = (result: SimResult, index: number) => void;

/** Runs `options` once per seed, in order; deterministic like each run. */
export function runCampaign(
  options: Omit<SimOptions, 'seed'>,
  seeds: readonly number[],
  onResult?: OnResult,
): CampaignResult {
  const failing: FailingSeed[] = [];
  const rejected: Record<string, number> = {};
  const sums = {
    violations: 0,
    committed: 0,
    batches: 0,
    virtualMs: 0,
    events: 0,
    messages: 0,
    transfers: 0,
    viewChanges: 0,
    moved: 0,
    crashes: 0,
    restarts: 0,
    partitions: 0,
    live: 0,
    converged: 0,
  };
  for (const [index, seed] of seeds.entries()) {
    const result = runSimulation({ ...options, seed });
    if (result.violations.length > 0) failing.push({ seed, violations: result.violations });
    sums.violations += result.violations.length;
    sums.committed += result.committedRequests;
    sums.batches += result.executedBatches;
    sums.virtualMs += result.virtualMs;
    sums.events += result.events;
    sums.messages += result.messages;
    sums.transfers += result.stateTransfers;
    sums.viewChanges += result.viewChanges;
    if (result.maxView > 0) sums.moved++;
    sums.crashes += result.crashes;
    sums.restarts += result.restarts;
    sums.partitions += result.partitions;
    if (result.livenessPassed) sums.live++;
    if (result.converged) sums.converged++;
    for (const [reason, count] of Object.entries(result.rejected))
      rejected[reason] = (rejected[reason] ?? 0) + count;
    onResult?.(result, index);
  }
  return {
    runs: seeds.length,
    failing,
    violations: sums.violations,
    committedRequests: sums.committed,
    executedBatches: sums.batches,
    virtualMs: sums.virtualMs,
    events: sums.events,
    messages: sums.messages,
    stateTransfers: sums.transfers,
    viewChanges: sums.viewChanges,
    runsWithNewView: sums.moved,
    crashes: sums.crashes,
    restarts: sums.restarts,
    partitions: sums.partitions,
    livenessPassed: sums.live,
    converged: sums.converged,
    rejected,
  };
}
