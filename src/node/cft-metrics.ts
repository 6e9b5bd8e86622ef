/**
 * Prometheus metrics of a crash-fault replica: the runtime's shared ones (messages in and out by
 * kind, refusals by reason, batch size, commit latency, storage groups, peers, transport counters)
 * and the protocol's own: term, role, leader, commit and applied indices, snapshot index, elections,
 * leader changes, snapshots taken and installed.
 */
import { Counter, Gauge } from 'prom-client';
import type { CftRole } from '../core/cft/types.js';
import { ALL_CFT_REJECT_REASONS } from '../messages/cft-boundary.js';
import { RuntimeMetrics } from './metrics.js';

/** The roles, for the role gauge's labels. */
const ROLES: readonly CftRole[] = ['follower', 'candidate', 'leader'];

/** Every metric a crash-fault replica exports. */
export class CftMetrics extends RuntimeMetrics {
  /** Current term. */
  readonly term = new Gauge({ name: 'bftledger_term', help: 'Current term', registers: [this.registry] });
  /** 1 for the replica's current role, 0 for the others. */
  readonly role = new Gauge({
    name: 'bftledger_role',
    help: 'Current role: 1 for the role held, 0 for the others',
    labelNames: ['role'],
    registers: [this.registry],
  });
  /** Leader of the current term (-1: none known). */
  readonly leader = new Gauge({
    name: 'bftledger_leader',
    help: 'Leader of the current term as this replica knows it (-1: none)',
    registers: [this.registry],
  });
  /** Highest log index known committed. */
  readonly commitIndex = new Gauge({
    name: 'bftledger_commit_index',
    help: 'Highest log index known committed',
    registers: [this.registry],
  });
  /** Highest log index applied to the ledger. */
  readonly lastApplied = new Gauge({
    name: 'bftledger_last_applied_index',
    help: 'Highest log index applied to the ledger',
    registers: [this.registry],
  });
  /** Last log index the current snapshot includes. */
  readonly snapshotIndex = new Gauge({
    name: 'bftledger_snapshot_index',
    help: 'Last log index the current snapshot includes',
    registers: [this.registry],
  });
  /** Elections this replica stood in. */
  readonly elections = new Counter({
    name: 'bftledger_elections_total',
    help: 'Elections this replica started as a candidate',
    registers: [this.registry],
  });
  /** Pre-vote rounds started (an election timeout fired; a real election follows only if a majority agrees). */
  readonly preVotes = new Counter({
    name: 'bftledger_pre_votes_total',
    help: 'Pre-vote rounds this replica started after its election timeout',
    registers: [this.registry],
  });
  /** Times this replica gave up leadership because a majority stopped answering (check-quorum). */
  readonly stepDowns = new Counter({
    name: 'bftledger_step_downs_total',
    help: 'Times this replica stepped down as leader for want of a majority (check-quorum)',
    registers: [this.registry],
  });
  /** Leaders learned or won. */
  readonly leaderChanges = new Counter({
    name: 'bftledger_leader_changes_total',
    help: 'Leaders this replica learned of (or became)',
    registers: [this.registry],
  });
  /** Snapshots taken by compacting the log. */
  readonly snapshotsTaken = new Counter({
    name: 'bftledger_snapshots_taken_total',
    help: 'Ledger snapshots this replica took when compacting its log',
    registers: [this.registry],
  });
  /** Snapshots installed from the leader. */
  readonly snapshotsInstalled = new Counter({
    name: 'bftledger_snapshots_installed_total',
    help: "Ledger snapshots installed from the leader (this replica was behind the leader's log)",
    registers: [this.registry],
  });

  constructor() {
    super(ALL_CFT_REJECT_REASONS);
  }

  /** Sets the role gauge: 1 for `current`, 0 for the other roles. */
  setRole(current: CftRole): void {
    for (const role of ROLES) this.role.set({ role }, role === current ? 1 : 0);
  }
}
