/**
 * The PBFT core's contract: configuration, inputs and outputs of `PbftReplica.step`.
 *
 * Ordering contract: the runtime carries out a step's outputs in order, and a `persist` output is
 * durable before any later `send`, `broadcast` or `reply` of the same step leaves the process.
 * A correct replica never signs two different messages for one (view, seq, phase), even across a
 * crash and restart: what it signed is persisted before it is sent.
 */
import type { AnyVerified, Message, VerifiedCertificate, VerifiedMessage } from '../../messages/types.js';

/** Protocol parameters every replica of a cluster shares. */
export interface PbftConfig {
  /** Number of replicas, n >= 3f + 1. */
  readonly n: number;
  /** Faults tolerated. */
  readonly f: number;
  /** This replica's id, 0 <= id < n. */
  readonly id: number;
  /** 16-byte cluster id: part of every signature's domain. */
  readonly cluster: Uint8Array;
  /** K: a checkpoint is taken every K sequence numbers. */
  readonly checkpointInterval: number;
  /** L: sequence numbers accepted above the low watermark h, i.e. (h, h + L]; a multiple of K. */
  readonly watermarkWindow: number;
  /** Most requests the primary puts in one batch. */
  readonly maxBatch: number;
  /** Most batches the primary has in flight (proposed, not executed) at once. */
  readonly maxInflight: number;
  /** Ticks after which a replica resends its own votes for a slot that has not committed. */
  readonly retransmitTicks: number;
  /** Ticks without progress, while knowing of later slots, after which a replica fetches state. */
  readonly fetchTicks: number;
  /** Bytes per state-transfer chunk. */
  readonly chunkBytes: number;
  /** Ticks a backup waits for a request it has seen before it starts a view change. */
  readonly requestTimeoutTicks: number;
  /** Cap on the view-change timeout, which doubles per consecutive failed view. */
  readonly maxViewTimeoutTicks: number;
}

/** Something that happens to a replica. */
export type Input =
  /** A verified message from a replica (possibly relayed by another). */
  | { readonly type: 'message'; readonly msg: AnyVerified }
  /** A time step; timeouts are counted in ticks. */
  | { readonly type: 'tick' };

/** What a replica must make durable (see the ordering contract above). */
export type PersistRecord =
  /** A message this replica signed, before it is sent. */
  | { readonly type: 'signed'; readonly msg: Message }
  /** A prepared certificate, before this replica's commit for it is sent: a VIEW-CHANGE needs it. */
  | {
      readonly type: 'prepared';
      readonly seq: number;
      readonly prePrepare: Message<'pre-prepare'>;
      readonly prepares: readonly Message<'prepare'>[];
    }
  /** A batch executed at `seq` (the commit certificate's pre-prepare). */
  | { readonly type: 'executed'; readonly seq: number; readonly prePrepare: Message<'pre-prepare'> }
  /** A checkpoint became stable: its proof and the snapshot at that point. */
  | {
      readonly type: 'stable-checkpoint';
      readonly seq: number;
      readonly stateDigest: Uint8Array;
      readonly proof: readonly Message<'checkpoint'>[];
      readonly snapshot: Uint8Array;
    };

/** Why a message did not change the replica's state; stable strings used as metric labels. */
export type IgnoreReason =
  | 'wrong-view'
  | 'outside-window'
  | 'not-primary'
  | 'conflicting-pre-prepare'
  | 'conflicting-vote'
  | 'duplicate'
  | 'stale-request'
  | 'already-executed'
  | 'unexpected-kind'
  | 'unknown-fetch'
  | 'bad-snapshot'
  | 'bad-view-change'
  | 'bad-new-view'
  | 'stale-view';

/** An action the runtime must carry out, in order. */
export type Output =
  /** Send to one replica. */
  | { readonly type: 'send'; readonly to: number; readonly msg: Message }
  /** Send to every other replica. */
  | { readonly type: 'broadcast'; readonly msg: Message }
  /** Send to a client. */
  | { readonly type: 'reply'; readonly client: number; readonly msg: Message<'reply'> }
  /** Make durable before any later send of this step. */
  | { readonly type: 'persist'; readonly record: PersistRecord }
  /** A batch was executed at `seq` (in order; for observers, checkers and metrics). */
  | {
      readonly type: 'executed';
      readonly seq: number;
      readonly view: number;
      readonly digest: Uint8Array;
      readonly requests: readonly VerifiedMessage<'request'>[];
      /** Per request: whether the state machine executed it (false: stale or duplicate). */
      readonly applied: readonly boolean[];
    }
  /** This replica started a view change to `view` (it stops voting until a NEW-VIEW). */
  | { readonly type: 'view-change'; readonly view: number }
  /** A new view was installed here. */
  | { readonly type: 'new-view'; readonly view: number; readonly primary: number }
  /** A checkpoint became stable here. */
  | { readonly type: 'stable'; readonly seq: number; readonly stateDigest: Uint8Array }
  /** The state was replaced by a snapshot verified against a checkpoint certificate. */
  | { readonly type: 'state-transferred'; readonly seq: number; readonly stateDigest: Uint8Array }
  /** A peer served state that did not match the certificate; it is skipped from now on. */
  | { readonly type: 'bad-peer'; readonly peer: number; readonly reason: string }
  /** Two validly signed, conflicting messages of replica `replica` for one slot: proof of misbehaviour. */
  | { readonly type: 'evidence'; readonly replica: number; readonly first: Message; readonly second: Message }
  /** A message was dropped by the core, with the reason (for logs and metrics). */
  | { readonly type: 'ignored'; readonly kind: string; readonly from: number; readonly reason: IgnoreReason };

/** What a replica restarts from: its durable state, every envelope re-verified by the boundary. */
export interface RecoveredState {
  /** The last stable checkpoint with its proof and snapshot, if any. */
  readonly stable:
    | {
        readonly seq: number;
        readonly stateDigest: Uint8Array;
        readonly proof: readonly VerifiedMessage<'checkpoint'>[];
        readonly snapshot: Uint8Array;
      }
    | undefined;
  /** Pre-prepares executed after it, in order. */
  readonly executed: readonly VerifiedMessage<'pre-prepare'>[];
  /** Prepared certificates above it. */
  readonly prepared: readonly VerifiedCertificate[];
  /** What this replica signed: votes, checkpoints, its latest VIEW-CHANGE and NEW-VIEW. */
  readonly signed: readonly AnyVerified[];
}
