/**
 * The contract of a Byzantine behaviour: a rewrite of one step's outputs of an honest core. A
 * behaviour never reaches into protocol state; it sees the outputs, the input that caused them,
 * and a read-only view of the replica (its configuration, its own key, its view and position).
 *
 * Rules every behaviour keeps:
 * - `persist` outputs stay untouched and in place (the runtime's ordering contract), and a behaviour
 *   never adds one: what it signs on its own is a lie, and it is not made durable.
 * - It signs only with the replica's own key (a Byzantine replica has no other).
 * - It is deterministic given its rng stream: same inputs, same rewrites, bit for bit.
 */
import type { Input, Output, PbftConfig } from '../core/pbft/types.js';
import type { Rng } from '../core/types.js';
import type { Signer } from '../crypto/types.js';
import type { BodyOf, Kind } from '../messages/schema.js';
import type { Message } from '../messages/types.js';

/** The behaviour names, as the command line and the simulator spell them. */
export const BEHAVIOUR_NAMES = [
  'equivocate',
  'silent',
  'selective-silent',
  'slow-primary',
  'mutate',
  'replay',
  'bad-view-change',
  'lying-state-transfer',
  'censor',
  'flood',
] as const;

/** A behaviour's name. */
export type BehaviourName = (typeof BEHAVIOUR_NAMES)[number];

/** The outputs that carry a message out of the process: the only ones behaviours rewrite. */
export type MessageOutput = Extract<Output, { type: 'send' | 'broadcast' | 'reply' }>;

/** Messages the honest core sent in earlier steps, kept (bounded) for replaying. */
export interface SentHistory {
  /** How many messages are remembered now. */
  readonly size: number;
  /** The `i`-th remembered message, oldest first (0 <= i < size). */
  at(i: number): Message | undefined;
}

/** What a behaviour may know and do while it rewrites one step's outputs. */
export interface BehaviourContext {
  /** The replica's configuration: n, f, its id, the cluster id, timeouts, window. */
  readonly config: PbftConfig;
  /** The replica's own key: everything a behaviour forges is signed with it. */
  readonly signer: Signer;
  /** SHA-256 as the core uses it: batch digests of forged pre-prepares. */
  readonly hash: (data: Uint8Array) => Uint8Array;
  /** The input that produced the outputs being rewritten. */
  readonly input: Input;
  /** The replica's view after the step (the one being changed to during a view change). */
  readonly view: number;
  /** The primary of that view. */
  readonly primary: number;
  /** Whether this replica is that primary. */
  readonly isPrimary: boolean;
  /** Whether a view change is in progress. */
  readonly changingView: boolean;
  /** Ticks the replica has seen: a behaviour's clock. */
  readonly tick: number;
  /** Low watermark h (the last stable checkpoint's seq). */
  readonly lowWatermark: number;
  /** Highest sequence number executed. */
  readonly lastExecuted: number;
  /** This behaviour's own deterministic stream (forked per behaviour, so one never shifts another). */
  readonly rng: Rng;
  /** What the honest core sent in earlier steps, oldest first. */
  readonly history: SentHistory;
  /** Signs a body as this replica with its own key; never persisted. */
  sign<K extends Kind>(kind: K, body: BodyOf[K]): Message<K>;
}

/** An adversarial rewrite of an honest core's outputs. */
export interface Behaviour {
  /** Which behaviour this is (logs, metrics, the registry). */
  readonly name: BehaviourName;
  /** Rewrites one step's outputs; `persist` outputs must come back untouched and in order. */
  rewrite(outs: Output[], ctx: BehaviourContext): Output[];
}
