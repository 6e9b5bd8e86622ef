/**
 * A Byzantine replica: the honest PBFT core, unchanged, whose outputs pass through a chain of
 * behaviours before they leave. The protocol code is never forked; the lies live in the rewrites.
 * Each behaviour gets its own rng stream (forked from the replica's by position and name), so adding
 * a behaviour never shifts the draws another one sees, and a run is reproducible from its seed.
 */
import { PbftReplica } from '../core/pbft/replica.js';
import type { Input, Output, PbftConfig, RecoveredState } from '../core/pbft/types.js';
import type { Prng } from '../core/prng.js';
import { invariant } from '../core/quorum.js';
import type { Rng } from '../core/types.js';
import type { Signer } from '../crypto/types.js';
import { sealMessage } from '../messages/reply-batch.js';
import type { BodyOf, Kind } from '../messages/schema.js';
import type { Message } from '../messages/types.js';
import type { Behaviour, BehaviourContext, SentHistory } from './types.js';

/** The injected dependencies of a core, as `PbftReplica`'s constructor takes them. */
export type ReplicaDeps = ConstructorParameters<typeof PbftReplica>[1];

/** Tuning of the wrapper itself. */
export interface ByzantineReplicaOptions {
  /** Messages remembered for replaying (default 256). */
  readonly historyCapacity?: number;
}

/** A ring buffer of the messages the honest core sent, oldest first. */
export class MessageHistory implements SentHistory {
  /** The remembered messages; once full, `start` marks the oldest. */
  private readonly ring: Message[] = [];
  /** Index of the oldest message once the ring is full. */
  private start = 0;

  constructor(
    /** Most messages kept. */
    readonly capacity: number,
  ) {
    invariant(Number.isInteger(capacity) && capacity > 0, 'history capacity is a positive integer');
  }

  get size(): number {
    return this.ring.length;
  }

  at(i: number): Message | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.ring.length) return undefined;
    return this.ring[(this.start + i) % this.ring.length];
  }

  /** Remembers a message, forgetting the oldest when full. */
  record(msg: Message): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(msg);
      return;
    }
    this.ring[this.start] = msg;
    this.start = (this.start + 1) % this.capacity;
  }
}

/** What the context reads from the replica it belongs to. */
interface ContextSource {
  readonly config: PbftConfig;
  readonly view: number;
  readonly isPrimary: boolean;
  readonly changingView: boolean;
  readonly ticks: number;
  readonly lowWatermark: number;
  readonly lastExecuted: number;
  primary(): number;
}

/** One behaviour's view of the replica: live getters, its own rng, the step's input. */
class StepContext implements BehaviourContext {
  /** The input of the step being rewritten (set before each rewrite). */
  input: Input = { type: 'tick' };

  constructor(
    /** The replica whose state the getters read. */
    private readonly source: ContextSource,
    /** The replica's own key. */
    readonly signer: Signer,
    /** The core's hash. */
    readonly hash: (data: Uint8Array) => Uint8Array,
    /** This behaviour's stream. */
    readonly rng: Rng,
    /** The honest core's past sends. */
    readonly history: SentHistory,
  ) {}

  get config(): PbftConfig {
    return this.source.config;
  }
  get view(): number {
    return this.source.view;
  }
  get primary(): number {
    return this.source.primary();
  }
  get isPrimary(): boolean {
    return this.source.isPrimary;
  }
  get changingView(): boolean {
    return this.source.changingView;
  }
  get tick(): number {
    return this.source.ticks;
  }
  get lowWatermark(): number {
    return this.source.lowWatermark;
  }
  get lastExecuted(): number {
    return this.source.lastExecuted;
  }

  sign<K extends Kind>(kind: K, body: BodyOf[K]): Message<K> {
    return sealMessage(this.signer, this.hash, this.config.cluster, kind, this.config.id, body);
  }
}

/** The honest core wrapped by behaviours that rewrite its outputs. */
export class ByzantineReplica extends PbftReplica {
  /** The rewrites, applied in this order to every step's outputs. */
  readonly behaviours: readonly Behaviour[];
  /** One context per behaviour, in the same order (each with its own rng stream). */
  private readonly contexts: readonly StepContext[];
  /** What the honest core sent in earlier steps: the material `replay` resends. */
  private readonly history: MessageHistory;

  constructor(
    config: PbftConfig,
    deps: ReplicaDeps,
    behaviours: readonly Behaviour[],
    rng: Prng,
    options: ByzantineReplicaOptions = {},
  ) {
    super(config, deps);
    this.behaviours = [...behaviours];
    this.history = new MessageHistory(options.historyCapacity ?? 256);
    this.contexts = this.behaviours.map(
      (b, i) => new StepContext(this, deps.signer, deps.hash, rng.fork(`${i}:${b.name}`), this.history),
    );
  }

  /**
   * A Byzantine replica restarted from its durable state, like `PbftReplica.recover`: the honest
   * core resumes exactly where it was; the behaviours start afresh (what they held is lost).
   */
  static recoverByzantine(
    config: PbftConfig,
    deps: ReplicaDeps,
    state: RecoveredState,
    behaviours: readonly Behaviour[],
    rng: Prng,
    options: ByzantineReplicaOptions = {},
  ): ByzantineReplica {
    const replica = new ByzantineReplica(config, deps, behaviours, rng, options);
    restoreInto(replica, state);
    return replica;
  }

  /** Ticks seen so far (the core's clock), for the behaviours. */
  get ticks(): number {
    return this.now;
  }

  /** The honest step, then each behaviour's rewrite in order; `persist` outputs are checked kept. */
  override step(input: Input): Output[] {
    const honest = super.step(input);
    let outs = honest;
    for (const [i, behaviour] of this.behaviours.entries()) {
      const ctx = this.contexts[i]!;
      ctx.input = input;
      const next = behaviour.rewrite(outs, ctx);
      assertPersistsKept(outs, next, behaviour.name);
      outs = next;
    }
    for (const o of honest) if (o.type === 'send' || o.type === 'broadcast') this.history.record(o.msg);
    return outs;
  }
}

/**
 * Runs the core's own restore routine on a freshly built replica. `PbftReplica.recover` builds a
 * `PbftReplica`, not a subclass, and its restore step is private to the core; the routine is looked
 * up by name and a missing one fails loudly (tests restart a Byzantine replica to catch a rename).
 */
function restoreInto(replica: PbftReplica, state: RecoveredState): void {
  const routine = (PbftReplica.prototype as unknown as Record<string, unknown>).restore;
  invariant(typeof routine === 'function', 'the core exposes its restore routine');
  (routine as (this: PbftReplica, s: RecoveredState) => void).call(replica, state);
}

/** A behaviour must hand back the very same `persist` outputs, in the same order, and add none. */
function assertPersistsKept(before: readonly Output[], after: readonly Output[], name: string): void {
  const a = before.filter((o) => o.type === 'persist');
  const b = after.filter((o) => o.type === 'persist');
  invariant(
    a.length === b.length && a.every((o, i) => o === b[i]),
    `behaviour ${name} changed persist outputs`,
  );
}
