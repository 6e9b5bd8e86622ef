/**
 * The JSON a crash-fault replica reports on /status (and `bftledger status` prints): PBFT's shape
 * where the two protocols agree (id, lastExecuted, stateDigest, peers), the crash-fault names where
 * they differ (term for view, leader for primary, snapshotIndex for stableCheckpoint), and
 * `protocol`, so a reader knows which it has.
 */
import type { Cluster } from '../config/cluster.js';
import type { CftRole, CftStatus } from '../core/cft/types.js';
import { hexOf } from '../core/quorum.js';
import type { LedgerStateMachine } from '../ledger/state-machine.js';
import type { Transport } from '../net/types.js';
import type { ResourceSample } from './status.js';

/** One crash-fault replica's status. */
export interface CftReplicaStatus {
  /** Replica id. */
  readonly id: number;
  /** Always 'cft'. */
  readonly protocol: 'cft';
  /** Current term (PBFT's view). */
  readonly term: number;
  /** Follower, candidate or leader. */
  readonly role: CftRole;
  /** Leader of the current term as this replica knows it (PBFT's primary); null when none is known. */
  readonly leader: number | null;
  /** Highest log index known committed. */
  readonly commitIndex: number;
  /** Highest log index applied to the ledger (PBFT's highest sequence number executed). */
  readonly lastExecuted: number;
  /** Last log index the current snapshot includes (PBFT's stable checkpoint). */
  readonly snapshotIndex: number;
  /** Ledger state digest (Merkle root) after `lastExecuted`, hex. */
  readonly stateDigest: string;
  /** Number of peers (replicas and clients) connected. */
  readonly peersConnected: number;
  /** Replica ids connected. */
  readonly replicasConnected: readonly number[];
  /** Process CPU and traffic so far, so a benchmark can charge each transaction its cost. */
  readonly resources?: ResourceSample;
}

/** Builds the status of a running crash-fault replica. */
export function cftStatusOf(
  core: CftStatus,
  stateMachine: LedgerStateMachine,
  transport: Transport | undefined,
  cluster: Cluster,
  id: number,
): CftReplicaStatus {
  const connected = new Set(transport?.connectedPeers() ?? []);
  return {
    id,
    protocol: 'cft',
    term: core.term,
    role: core.role,
    leader: core.leader ?? null,
    commitIndex: core.commitIndex,
    lastExecuted: core.lastApplied,
    snapshotIndex: core.snapshotIndex,
    stateDigest: hexOf(stateMachine.digest()),
    peersConnected: connected.size,
    replicasConnected: cluster.replicas.filter((r) => connected.has(r.peerId)).map((r) => r.id),
  };
}
