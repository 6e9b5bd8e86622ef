/** The JSON a replica reports on /status and `bftledger status` prints, one object per replica. */
import type { Cluster } from '../config/cluster.js';
import type { PbftReplica } from '../core/pbft/replica.js';
import { hexOf } from '../core/quorum.js';
import type { LedgerStateMachine } from '../ledger/state-machine.js';
import type { Transport } from '../net/types.js';

/** One proof of misbehaviour a replica holds. */
export interface EvidenceSummary {
  /** The misbehaving replica. */
  readonly replica: number;
  /** Kind of the conflicting messages, or 'forged-certificate'. */
  readonly kind: string;
  /** The slot (for a forged certificate: the view it is for, and seq 0). */
  readonly view: number;
  readonly seq: number;
  /** For a forged certificate: the check it fails. */
  readonly check?: string;
  /** Where the evidence file is. */
  readonly file: string;
}

/** One replica's status. */
export interface ReplicaStatus {
  /** Replica id. */
  readonly id: number;
  /** The protocol it runs (a crash-fault replica reports `CftReplicaStatus`). */
  readonly protocol: 'pbft';
  /** Current view (the target view while a view change is in progress). */
  readonly view: number;
  /** Primary of the current view. */
  readonly primary: number;
  /** Whether a view change is in progress. */
  readonly changingView: boolean;
  /** Highest sequence number executed. */
  readonly lastExecuted: number;
  /** Last stable checkpoint. */
  readonly stableCheckpoint: number;
  /** Ledger state digest (Merkle root) after `lastExecuted`, hex. */
  readonly stateDigest: string;
  /** Number of peers (replicas and clients) connected. */
  readonly peersConnected: number;
  /** Replica ids connected. */
  readonly replicasConnected: readonly number[];
  /** Proofs of misbehaviour this replica collected. */
  readonly evidence?: readonly EvidenceSummary[];
  /** Process CPU and traffic so far, so a benchmark can charge each transaction its cost. */
  readonly resources?: ResourceSample;
}

/** Cumulative CPU and network traffic of one process, sampled at a window's ends by benchmarks. */
export interface ResourceSample {
  /** The process id. */
  readonly pid: number;
  /** User plus system CPU time since the process started, microseconds. */
  readonly cpuMicros: number;
  /** Frames handed to the transport for sending. */
  readonly framesOut: number;
  /** Socket writes (frames queued in one turn for one peer share a write). */
  readonly writesOut: number;
  /** Bytes written to streams (frames and length prefixes, before Noise and yamux). */
  readonly bytesOut: number;
}

/** This process's resource sample, with the transport's counters (zero without a transport). */
export function resourceSample(transport: Transport | undefined): ResourceSample {
  const cpu = process.cpuUsage();
  const c = transport?.counters;
  return {
    pid: process.pid,
    cpuMicros: cpu.user + cpu.system,
    framesOut: c?.framesQueued ?? 0,
    writesOut: c?.writes ?? 0,
    bytesOut: c?.bytesOut ?? 0,
  };
}

/** Builds the status of a running replica. */
export function statusOf(
  core: PbftReplica,
  stateMachine: LedgerStateMachine,
  transport: Transport | undefined,
  cluster: Cluster,
  id: number,
): ReplicaStatus {
  const connected = new Set(transport?.connectedPeers() ?? []);
  return {
    id,
    protocol: 'pbft',
    view: core.view,
    primary: core.primary(),
    changingView: core.changingView,
    lastExecuted: core.lastExecuted,
    stableCheckpoint: core.lowWatermark,
    stateDigest: hexOf(stateMachine.digest()),
    peersConnected: connected.size,
    replicasConnected: cluster.replicas.filter((r) => connected.has(r.peerId)).map((r) => r.id),
  };
}
