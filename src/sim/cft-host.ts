/**
 * One simulated crash-fault replica: the real core, its ledger behind the recording wrapper (which
 * reports the ledger digest at every K-th applied index), its disk (a `CftMemoryStore` that
 * survives crashes), and its seeded Rng. Each step's persist records are appended to the store as
 * one group before the driver carries out that step's messages (the persist-before-send contract).
 * A crash discards the core and the ledger; a restart rebuilds both from the store alone.
 */
import { cftConfig } from '../core/cft/index.js';
import { CftReplica } from '../core/cft/replica.js';
import type {
  CftConfig,
  CftInput,
  CftOutput,
  CftPersistRecord,
  CftRecoveredState,
} from '../core/cft/types.js';
import type { Prng } from '../core/prng.js';
import { sha256 } from '../crypto/hash.js';
import { LedgerStateMachine } from '../ledger/state-machine.js';
import type { CftBoundaryContext } from '../messages/cft-boundary.js';
import { LIMITS } from '../messages/schema.js';
import { CftMemoryStore } from '../storage/cft-memory-store.js';
import type { LedgerView } from './checkers.js';
import type { DriverHost, HostStatus, Step } from './driver-host.js';
import { type ResolvedSimOptions, SIM_DEFAULTS, SimOptionError } from './options.js';
import { type BoundaryDigest, RecordingStateMachine } from './recording-state-machine.js';
import type { SimWorld } from './setup.js';

/**
 * The simulator's crash-fault defaults, at 10 ms ticks: a heartbeat every 50 ms, elections after
 * 150-300 ms of silence (the network's delays are 1-5 ms, up to 55 ms when reordered), batches and
 * K as PBFT's in the simulator, and small snapshot chunks so installs come in several parts.
 */
export const CFT_SIM_DEFAULTS = {
  heartbeatTicks: 5,
  electionTimeoutMinTicks: 15,
  electionTimeoutMaxTicks: 30,
  maxBatch: SIM_DEFAULTS.maxBatch,
  maxInflight: 4,
  maxAppendEntries: 64,
  snapshotInterval: SIM_DEFAULTS.checkpointInterval,
  chunkBytes: 512,
} as const;

/** Throws SimOptionError unless `v` is an integer in [lo, hi]. */
function within(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isSafeInteger(v) || v < lo || v > hi) {
    throw new SimOptionError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
}

/** The crash-fault configuration of replica `id` in a run; throws SimOptionError on bad overrides. */
export function cftSimConfig(o: ResolvedSimOptions, id: number, cluster: Uint8Array): CftConfig {
  const c = cftConfig(o.replicas, id, cluster, { ...CFT_SIM_DEFAULTS, ...o.cftOverrides });
  within('maxBatch', c.maxBatch, 1, LIMITS.maxBatch);
  within('maxInflight', c.maxInflight, 1, 1 << 20);
  within('maxAppendEntries', c.maxAppendEntries, 1, 256);
  within('snapshotInterval', c.snapshotInterval, 1, 1 << 20);
  within('chunkBytes', c.chunkBytes, 1, LIMITS.maxChunkBytes);
  within('electionTimeoutMinTicks', c.electionTimeoutMinTicks, 2, 1 << 20);
  within('electionTimeoutMaxTicks', c.electionTimeoutMaxTicks, c.electionTimeoutMinTicks, 1 << 20);
  within('heartbeatTicks', c.heartbeatTicks, 1, c.electionTimeoutMinTicks - 1);
  return c;
}

/** A crash-fault replica with its ledger, store and Rng. */
export class CftHost implements DriverHost<CftInput, CftOutput> {
  /** The replica's configuration. */
  readonly config: CftConfig;
  /** The simulated disk: it survives crashes, and a restart reads it alone. */
  readonly store = new CftMemoryStore();
  /** What frames arriving here are checked against. */
  readonly boundary: CftBoundaryContext;
  /** The core of the current life. */
  replica: CftReplica;
  /** The ledger of the current life. */
  stateMachine: RecordingStateMachine;
  /** Whether the replica runs. */
  status: HostStatus = 'up';
  /** Crashes so far. */
  crashes = 0;
  /** Snapshot installs completed, over all its lives. */
  stateTransfers = 0;

  constructor(
    /** Replica id. */
    readonly id: number,
    /** Keys and genesis: a restart rebuilds the ledger from genesis. */
    private readonly world: SimWorld,
    /** The run's options (protocol overrides, the replica factory). */
    private readonly options: ResolvedSimOptions,
    /** The run's root PRNG: each life forks its own election stream from it. */
    private readonly rng: Prng,
    /** Where the ledger's digests at every K-th index go. */
    private readonly onBoundaryDigest: BoundaryDigest,
  ) {
    this.config = cftSimConfig(options, id, world.cluster);
    const { maxBatch } = this.config;
    this.boundary = { cluster: world.cluster, principals: world.principals, maxBatch };
    const built = this.build(undefined);
    this.replica = built.replica;
    this.stateMachine = built.stateMachine;
  }

  /** Whether the replica takes inputs now. */
  get alive(): boolean {
    return this.status === 'up';
  }

  /** The last log index the current life applied. */
  get lastExecuted(): number {
    return this.replica.lastApplied;
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
  private build(recovered: CftRecoveredState | undefined): {
    replica: CftReplica;
    stateMachine: RecordingStateMachine;
  } {
    const ledger = new LedgerStateMachine(this.world.genesis, sha256);
    const k = this.config.snapshotInterval;
    const stateMachine = new RecordingStateMachine(ledger, k, this.onBoundaryDigest);
    const deps = { stateMachine, rng: this.rng.fork(`cft/replica/${this.id}/life/${this.crashes}`) };
    const factory = this.options.cftFactory;
    let replica: CftReplica;
    if (factory !== undefined) replica = factory(this.config, deps, recovered);
    else if (recovered !== undefined) replica = CftReplica.recover(this.config, deps, recovered);
    else replica = new CftReplica(this.config, deps);
    if (recovered !== undefined) stateMachine.endStep(replica.lastApplied, recovered.snapshot?.index);
    return { replica, stateMachine };
  }

  /** Steps the core and makes the step's persist records durable as one group. */
  step(input: CftInput): Step<CftOutput> {
    const outs = this.replica.step(input);
    let installedAt: number | undefined;
    const records: CftPersistRecord[] = [];
    for (const out of outs) {
      if (out.type === 'snapshot-installed') installedAt = out.index;
      else if (out.type === 'persist') records.push(out.record);
    }
    this.store.appendSync(records);
    this.stateMachine.endStep(this.replica.lastApplied, installedAt);
    return { outs, wrote: records.length > 0 };
  }

  /** Crashes the replica: it stops; its memory is gone. */
  crash(): void {
    if (this.status !== 'up') return;
    this.status = 'crashed';
    this.crashes++;
  }

  /** Restarts a crashed replica from its store alone, with a fresh ledger. Nothing is refused: 0. */
  restart(): number {
    const built = this.build(this.store.loadSync());
    this.replica = built.replica;
    this.stateMachine = built.stateMachine;
    this.status = 'up';
    return 0;
  }
}
