/**
 * One simulated replica: the real core, its ledger behind a recording wrapper, and the boundary
 * context its incoming frames are checked against (the receiver's view and watermarks, as the
 * runtime passes them).
 */

import { pbftConfig } from '../core/pbft/index.js';
import { PbftReplica } from '../core/pbft/replica.js';
import type { Output, PbftConfig } from '../core/pbft/types.js';
import { sha256 } from '../crypto/hash.js';
import { LedgerStateMachine } from '../ledger/state-machine.js';
import type { BoundaryContext } from '../messages/boundary.js';
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

/** A replica with its state machine and boundary. */
export class ReplicaHost {
  /** The protocol core (honest, or whatever the factory built). */
  readonly replica: PbftReplica;
  /** The ledger, watched for checkpoint digests. */
  readonly stateMachine: RecordingStateMachine;
  /** The replica's configuration. */
  readonly config: PbftConfig;
  /** False once the core threw: it is never stepped again. */
  alive = true;
  /** The context without a window (also used when windows are off). */
  private readonly base: BoundaryContext;
  /** The last windowed context handed out: reused while the receiver's view and h stay put. */
  private windowed: BoundaryContext;

  constructor(
    /** Replica id. */
    readonly id: number,
    world: SimWorld,
    private readonly options: ResolvedSimOptions,
    onBoundaryDigest: BoundaryDigest,
  ) {
    this.config = simConfig(options, id, world.cluster);
    const ledger = new LedgerStateMachine(world.genesis, sha256);
    this.stateMachine = new RecordingStateMachine(ledger, this.config.checkpointInterval, onBoundaryDigest);
    const key = world.replicas[id];
    if (key === undefined) throw new RangeError(`no key for replica ${id}`);
    const deps = { signer: key.signer, stateMachine: this.stateMachine, hash: sha256 };
    this.replica = options.replicaFactory?.(this.config, deps) ?? new PbftReplica(this.config, deps);
    this.base = { cluster: world.cluster, principals: world.principals, maxBatch: this.config.maxBatch };
    this.windowed = this.base;
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

  /** Steps the core; closes the recording window afterwards. Exceptions propagate to the caller. */
  step(input: Parameters<PbftReplica['step']>[0]): Output[] {
    const outs = this.replica.step(input);
    let restoredTo: number | undefined;
    for (const out of outs) if (out.type === 'state-transferred') restoredTo = out.seq;
    this.stateMachine.endStep(this.replica.lastExecuted, restoredTo);
    return outs;
  }
}
