/**
 * One simulated replica: the real core, its ledger behind a recording wrapper, its disk (an
 * in-memory store that survives crashes), and the boundary context its incoming frames are checked
 * against (the receiver's view and watermarks, as the runtime passes them).
 *
 * Each step's `persist` outputs are appended to the store as one group before the driver carries
 * out that step's sends (the persist-before-send contract). A crash discards the core and the
 * ledger; a restart rebuilds both from the store alone, every envelope re-opened by the boundary.
 */

import { pbftConfig } from '../core/pbft/index.js';
import { PbftReplica } from '../core/pbft/replica.js';
import type { Input, Output, PbftConfig, PersistRecord, RecoveredState } from '../core/pbft/types.js';
import { sha256 } from '../crypto/hash.js';
import { LedgerStateMachine } from '../ledger/state-machine.js';
import { type BoundaryContext, type Checked, parseFrame, verifyFrame } from '../messages/boundary.js';
import type { AnyVerified } from '../messages/types.js';
import { MemoryStore } from '../storage/memory-store.js';
import { recoverState } from '../storage/recover.js';
import { RetentionIndex } from '../storage/retention.js';
import type { LedgerView } from './checkers.js';
import type { DriverHost, HostStatus, Step } from './driver-host.js';
import { type ResolvedSimOptions, SIM_DEFAULTS } from './options.js';
import { type BoundaryDigest, RecordingStateMachine } from './recording-state-machine.js';
import type { SimWorld } from './setup.js';

/** The simulator's protocol defaults, under the caller's overrides. */
export function simConfig(o: ResolvedSimOptions, id: number, cluster: Uint8Array): PbftConfig {
  const k = o.configOverrides.checkpointInterval ?? SIM_DEFAULTS.checkpointInterval;
  return pbftConfig(o.replicas, id, cluster, {
    checkpointInterval: k,
    watermarkWindow: k * SIM_DEFAULTS.windowCheckpoints,
    maxBatch: SIM_DEFAULTS.maxBatch,
    ...o.configOverrides,
  });
}

export type { HostStatus } from './driver-host.js';

/** What one step did. */
export type HostStep = Step<Output>;

/** A replica with its state machine, store and boundary. */
export class ReplicaHost implements DriverHost<Input, Output> {
  /** The replica's configuration. */
  readonly config: PbftConfig;
  /** The simulated disk: it survives crashes, and a restart reads it alone. */
  readonly store = new MemoryStore();
  /** The protocol core of the current life (honest, or whatever the factory built). */
  replica: PbftReplica;
  /** The ledger of the current life, watched for checkpoint digests. */
  stateMachine: RecordingStateMachine;
  /** Whether the replica runs. */
  status: HostStatus = 'up';
  /** Crashes so far. */
  crashes = 0;
  /** State transfers completed, over all its lives. */
  stateTransfers = 0;
  /** A mirror of the store's retention index: it tells whether a persist group wrote anything. */
  private readonly writes: RetentionIndex | undefined;
  /** The context without a window (also used when windows are off, and to re-open the store). */
  private readonly base: BoundaryContext;
  /** The last windowed context handed out: reused while the receiver's view and h stay put. */
  private windowed: BoundaryContext;

  constructor(
    /** Replica id. */
    readonly id: number,
    /** Keys and genesis: a restart rebuilds the ledger from genesis. */
    private readonly world: SimWorld,
    /** The run's options (protocol overrides, the replica factory). */
    private readonly options: ResolvedSimOptions,
    /** Where the ledger's checkpoint digests go. */
    private readonly onBoundaryDigest: BoundaryDigest,
    /** Whether crash points are tracked (the crash-point mode's replica). */
    trackWrites: boolean,
  ) {
    this.config = simConfig(options, id, world.cluster);
    this.base = { cluster: world.cluster, principals: world.principals, maxBatch: this.config.maxBatch };
    this.windowed = this.base;
    this.writes = trackWrites ? new RetentionIndex() : undefined;
    const built = this.build(undefined);
    this.replica = built.replica;
    this.stateMachine = built.stateMachine;
  }

  /** Whether the replica takes inputs now. */
  get alive(): boolean {
    return this.status === 'up';
  }

  /** The last sequence number the current life executed. */
  get lastExecuted(): number {
    return this.replica.lastExecuted;
  }

  /** The current life's ledger, for the money checker. */
  get ledger(): LedgerView {
    return this.stateMachine.inner.ledger;
  }

  /** The core's invariants (throws on a violated one). */
  assertInvariants(): void {
    this.replica.assertInvariants();
  }

  /** A fresh ledger and a core: new, or recovered from `recovered`. */
  private build(recovered: RecoveredState | undefined): {
    replica: PbftReplica;
    stateMachine: RecordingStateMachine;
  } {
    const ledger = new LedgerStateMachine(this.world.genesis, sha256);
    const stateMachine = new RecordingStateMachine(
      ledger,
      this.config.checkpointInterval,
      this.onBoundaryDigest,
    );
    const key = this.world.replicas[this.id];
    if (key === undefined) throw new RangeError(`no key for replica ${this.id}`);
    const deps = { signer: key.signer, stateMachine, hash: sha256 };
    const factory = this.options.replicaFactory;
    let replica: PbftReplica;
    if (factory !== undefined) replica = factory(this.config, deps, recovered);
    else if (recovered !== undefined) replica = PbftReplica.recover(this.config, deps, recovered);
    else replica = new PbftReplica(this.config, deps);
    if (recovered !== undefined) stateMachine.endStep(replica.lastExecuted, recovered.stable?.seq);
    return { replica, stateMachine };
  }

  /** The boundary context for a frame arriving now (rebuilt only when the view or h moved). */
  boundary(): BoundaryContext {
    if (!this.options.boundaryWindow) return this.base;
    const view = this.replica.view;
    const low = this.replica.lowWatermark;
    const w = this.windowed.window;
    if (w === undefined || w.view !== view || w.low !== low) {
      this.windowed = { ...this.base, window: { view, low, high: low + this.config.watermarkWindow } };
    }
    return this.windowed;
  }

  /**
   * A frame through this replica's boundary as the runtime passes it: parsed, then dropped as
   * 'surplus' when it is a vote its slot no longer needs (never verified), else verified.
   */
  open(bytes: Uint8Array): Checked<AnyVerified> | 'surplus' {
    const parsed = parseFrame(bytes, this.boundary());
    if (!parsed.ok) return parsed;
    if (this.replica.isSurplusVote(parsed.value.message)) return 'surplus';
    return verifyFrame(parsed.value);
  }

  /**
   * Steps the core, makes the step's persist records durable as one group, and closes the
   * recording window. Exceptions propagate to the caller.
   */
  step(input: Input): HostStep {
    const outs = this.replica.step(input);
    let restoredTo: number | undefined;
    const records: PersistRecord[] = [];
    for (const out of outs) {
      if (out.type === 'state-transferred') restoredTo = out.seq;
      else if (out.type === 'persist') records.push(out.record);
    }
    let wrote = false;
    if (records.length > 0) {
      this.store.appendSync(records);
      // Plan every record, so the mirror index stays exactly in step with the store's.
      for (const record of records) wrote = (this.writes?.plan(record).length ?? 0) > 0 || wrote;
    }
    this.stateMachine.endStep(this.replica.lastExecuted, restoredTo);
    return { outs, wrote };
  }

  /** Crashes the replica: it stops; its memory is gone (a restart rebuilds from the store). */
  crash(): void {
    if (this.status !== 'up') return;
    this.status = 'crashed';
    this.crashes++;
  }

  /**
   * Restarts a crashed replica from its store alone, with a fresh ledger; returns how many stored
   * envelopes the boundary refused. Exceptions (a core bug) propagate; the replica stays down.
   */
  restart(): number {
    const { state, refused } = recoverState(this.store.loadSync(), this.base);
    const built = this.build(state);
    this.replica = built.replica;
    this.stateMachine = built.stateMachine;
    this.windowed = this.base;
    this.status = 'up';
    return refused;
  }
}
