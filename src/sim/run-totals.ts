/**
 * Bookkeeping both simulation drivers share (the main one and the Twins one): the counters a run
 * reports, what each non-network output adds to them, and the requests still open at the end.
 */
import type { Output } from '../core/pbft/types.js';
import type { ClosedLoopClient } from './closed-loop-client.js';
import type { RunTotals } from './result.js';

/** Driver counters at the start of a run. */
export function emptyRunTotals(): RunTotals {
  return {
    events: 0,
    executedOutputs: 0,
    stateTransfers: 0,
    viewChanges: 0,
    newViews: 0,
    rejected: {},
    ignored: {},
    badPeers: [],
    overdue: 0,
  };
}

/**
 * Counts an output that is not a message (sends are the driver's own business); true when it
 * changed the replica's ledger (the checkers then look at it).
 */
export function countOutput(totals: RunTotals, replica: number, out: Output, atMs: number): boolean {
  switch (out.type) {
    case 'executed':
      totals.executedOutputs++;
      return true;
    case 'state-transferred':
      totals.stateTransfers++;
      return true;
    case 'bad-peer':
      totals.badPeers.push({ replica, peer: out.peer, reason: out.reason, atMs });
      return false;
    case 'view-change':
      totals.viewChanges++;
      return false;
    case 'new-view':
      totals.newViews++;
      return false;
    case 'ignored':
      totals.ignored[out.reason] = (totals.ignored[out.reason] ?? 0) + 1;
      return false;
    default:
      return false;
  }
}

/** Counts a refused frame by reason. */
export function countRejected(totals: RunTotals, reason: string): void {
  totals.rejected[reason] = (totals.rejected[reason] ?? 0) + 1;
}

/** Counts a vote the boundary dropped unverified because its slot had the quorum (see `isSurplusVote`). */
export function countSurplus(totals: RunTotals): undefined {
  totals.ignored['surplus-vote'] = (totals.ignored['surplus-vote'] ?? 0) + 1;
  return undefined;
}

/** The clients' requests still open, for the end-of-run liveness check. */
export function openRequests(clients: readonly ClosedLoopClient[]) {
  return clients
    .filter((c) => !c.done)
    .map((c) => ({
      client: c.id,
      done: c.completedCount,
      total: c.totalRequests,
      pending: c.pendingTimestamp,
    }));
}
