/**
 * Prometheus metrics of one replica (prom-client, its own registry so tests can run several
 * replicas in one process). Names follow the `bftledger_` prefix; units are in the names. What every
 * runtime exports (traffic, refusals, batches, latency, storage, peers) is in `RuntimeMetrics`; each
 * protocol adds its own (PBFT's views and checkpoints here, the crash-fault ones in cft-metrics.ts).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ALL_REJECT_REASONS } from '../messages/reject.js';

/** The metrics every replica runtime exports, whatever its protocol. */
export class RuntimeMetrics {
  /** The registry to expose on /metrics. */
  readonly registry = new Registry();
  /** Messages received and accepted by the boundary, by kind. */
  readonly messagesIn = new Counter({
    name: 'bftledger_messages_in_total',
    help: 'Messages that passed the boundary, by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  /** Messages sent, by kind. */
  readonly messagesOut = new Counter({
    name: 'bftledger_messages_out_total',
    help: 'Messages sent (a broadcast counts once per peer), by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  /** Frames refused at the boundary, by reason. */
  readonly rejected = new Counter({
    name: 'bftledger_messages_rejected_total',
    help: 'Frames refused at the boundary, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  /** Verified messages the core ignored, by reason. */
  readonly ignored = new Counter({
    name: 'bftledger_messages_ignored_total',
    help: 'Verified messages that changed nothing in the core, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  /** Requests per executed batch. */
  readonly batchSize = new Histogram({
    name: 'bftledger_batch_size',
    help: 'Requests per executed batch',
    buckets: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  /** From a request reaching this replica to its execution here. */
  readonly commitLatency = new Histogram({
    name: 'bftledger_commit_latency_seconds',
    help: 'Time from a request reaching this replica to its execution here',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  /** Durable groups appended to the store. */
  readonly persistGroups = new Gauge({
    name: 'bftledger_persist_groups',
    help: 'Groups of records made durable (one sync each)',
    registers: [this.registry],
  });
  /** Peers currently connected. */
  readonly peersConnected = new Gauge({
    name: 'bftledger_peers_connected',
    help: 'Peers with an open connection',
    registers: [this.registry],
  });
  /** The transport's counters since start (frames and bytes in/out, drops, refusals). */
  readonly transport = new Gauge({
    name: 'bftledger_transport',
    help: 'Transport counters since start: frames and bytes in and out, drops by cause, refused connections',
    labelNames: ['counter'],
    registers: [this.registry],
  });

  /** Metrics in a fresh registry; every boundary reject reason starts at 0 so it shows on /metrics. */
  constructor(rejectReasons: readonly string[]) {
    for (const reason of rejectReasons) this.rejected.inc({ reason }, 0);
  }
}

/** Every metric a PBFT replica exports. */
export class ReplicaMetrics extends RuntimeMetrics {
  /** Current view. */
  readonly view = new Gauge({ name: 'bftledger_view', help: 'Current view', registers: [this.registry] });
  /** Highest sequence number executed. */
  readonly lastExecuted = new Gauge({
    name: 'bftledger_last_executed_seq',
    help: 'Highest sequence number executed',
    registers: [this.registry],
  });
  /** Last stable checkpoint. */
  readonly stableCheckpoint = new Gauge({
    name: 'bftledger_stable_checkpoint_seq',
    help: 'Sequence number of the last stable checkpoint',
    registers: [this.registry],
  });
  /** View changes started. */
  readonly viewChanges = new Counter({
    name: 'bftledger_view_changes_total',
    help: 'View changes this replica started',
    registers: [this.registry],
  });
  /** New views installed. */
  readonly newViews = new Counter({
    name: 'bftledger_new_views_total',
    help: 'New views installed',
    registers: [this.registry],
  });
  /** State transfers completed. */
  readonly stateTransfers = new Counter({
    name: 'bftledger_state_transfers_total',
    help: 'Snapshots installed by state transfer',
    registers: [this.registry],
  });
  /**
   * Reply roots signed (one per executed batch with replies, one per reply re-sent from the cache):
   * with `bftledger_messages_out_total{kind="reply"}` it gives the replies carried per signature.
   */
  readonly replyRoots = new Counter({
    name: 'bftledger_reply_roots_total',
    help: 'Signed reply roots sent (each covers the replies of one executed batch, or one re-sent reply)',
    registers: [this.registry],
  });
  /** Prepares and commits dropped unverified because their slot already had that phase's quorum. */
  readonly surplusVotes = new Counter({
    name: 'bftledger_surplus_votes_total',
    help: 'Prepares and commits dropped before signature checks: their slot already had the quorum they count towards',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  /** Evidence of misbehaviour collected, by kind (equivocation, forged-certificate). */
  readonly evidence = new Counter({
    name: 'bftledger_evidence_total',
    help: 'Proofs of misbehaviour collected, by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  constructor() {
    super(ALL_REJECT_REASONS);
    for (const kind of ['equivocation', 'forged-certificate']) this.evidence.inc({ kind }, 0);
    for (const kind of ['prepare', 'commit']) this.surplusVotes.inc({ kind }, 0);
  }
}
