/**
 * From a crash-fault replica's disk to its core. Every client REQUEST in the stored log is opened
 * again through the boundary, signature included, as PBFT's recovery does: the ledger then executes
 * only requests that verify under their client's key, whatever happened to the data directory. At
 * run time a follower takes its leader's entries on trust (crash-fault model); on disk nobody
 * vouches for the bytes, and the cost is bounded (the log is compacted every `snapshotInterval`
 * applied entries) and paid in parallel on libuv's pool. The log is cut before the first entry
 * holding a request that fails: what follows it cannot be applied in order anyway, and the leader
 * sends it again. Failures are counted, never thrown.
 */
import type { CftRecoveredState, LogEntry } from '../core/cft/types.js';
import { type BoundaryContext, parseFrame, verifyFrameAsync } from '../messages/boundary.js';
import type { Message } from '../messages/types.js';
import type { CftDurableState } from './cft-layout.js';

/** The state a crash-fault core restarts from, and what recovery refused. */
export interface CftRecovery {
  /** What the core restarts from. */
  readonly state: CftRecoveredState;
  /** Stored requests that failed the boundary, plus values the store found corrupt. */
  readonly refused: number;
  /** Log entries dropped because an earlier (or their own) request failed. */
  readonly droppedEntries: number;
}

/** Opens one stored request: parsed and verified, or undefined. */
async function openRequest(bytes: Uint8Array, ctx: BoundaryContext): Promise<Message<'request'> | undefined> {
  const parsed = parseFrame(bytes, ctx);
  if (!parsed.ok || parsed.value.message.kind !== 'request') return undefined;
  const checked = await verifyFrameAsync(parsed.value);
  return checked.ok && checked.value.kind === 'request' ? checked.value : undefined;
}

/** Re-opens every stored request of `durable` through the boundary; `ctx` carries no window. */
export async function recoverCftState(durable: CftDurableState, ctx: BoundaryContext): Promise<CftRecovery> {
  const opened = await Promise.all(
    durable.entries.map((e) => Promise.all(e.requests.map((r) => openRequest(r, ctx)))),
  );
  const entries: LogEntry[] = [];
  let refused = 0;
  for (const [i, e] of durable.entries.entries()) {
    const requests = opened[i]!;
    const bad = requests.filter((r) => r === undefined).length;
    if (bad > 0) {
      refused += bad;
      break;
    }
    entries.push({ index: e.index, term: e.term, requests: requests as Message<'request'>[] });
  }
  const { term, votedFor, commit, snapshot } = durable;
  return {
    state: { term, votedFor, commit, snapshot, entries },
    refused: refused + durable.corrupt,
    droppedEntries: durable.entries.length - entries.length,
  };
}
