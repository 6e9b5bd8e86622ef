/**
 * What every layer of a PBFT replica shares: its protocol state (view, mode, the log's slots,
 * prepared certificates, what was executed and signed, checkpoints, pending requests), the
 * questions the runtime asks before a message reaches the core (the boundary window, surplus
 * votes), and the helpers that sign and emit. The layers above add behaviour: the normal case and
 * checkpoints (normal-case.ts), catching up (catch-up.ts), time and view changes (replica.ts).
 */
import type { Signer } from '../../crypto/types.js';
import { batchDigestWith } from '../../messages/batch-digest.js';
import { type BodySignedKind, seal } from '../../messages/envelope.js';
import type { BodyOf } from '../../messages/schema.js';
import type { AnyMessage, Message, VerifiedMessage } from '../../messages/types.js';
import { hexOf, invariant, primaryOf, quorumSize } from '../quorum.js';
import type { StateMachine } from '../types.js';
import { type CheckpointCertificate, CheckpointVotes } from './checkpoints.js';
import { Slot } from './slot.js';
import type { SnapshotFetch } from './state-transfer.js';
import type { IgnoreReason, Output, PbftConfig } from './types.js';
import type { Certificate } from './view-change.js';

/** What the core needs injected. */
export interface PbftDeps {
  /** Signs this replica's messages (deterministic, synchronous). */
  readonly signer: Signer;
  /** The replicated state machine (the ledger). */
  readonly stateMachine: StateMachine;
  /** SHA-256, injected so the core imports no hashing library. */
  readonly hash: (data: Uint8Array) => Uint8Array;
}

/** A stable checkpoint this replica holds, with the snapshot it can serve to lagging peers. */
export interface StableCheckpoint extends CheckpointCertificate {
  /** The state at `seq`, encoded. */
  readonly snapshot: Uint8Array;
}

/** Normal operation, or collecting view changes for `currentView` (no voting until NEW-VIEW). */
export type Mode = 'normal' | 'view-change';

/** The state and helpers every layer of a PBFT replica shares. */
export abstract class ReplicaState {
  /** The view this replica is in, or is changing to while `mode` is 'view-change'. */
  protected currentView = 0;
  /** The last view installed (0, or by a NEW-VIEW): agreement messages are accepted for it only. */
  protected installedView = 0;
  /** Whether the replica votes (normal) or waits for a NEW-VIEW (view-change). */
  protected mode: Mode = 'normal';
  /** Log entries of the installed view inside the window (h, h + L], by sequence number. */
  protected readonly slots = new Map<number, Slot>();
  /** Prepared certificates above h, the highest view per seq: what a VIEW-CHANGE carries. */
  protected readonly preparedCerts = new Map<number, Certificate>();
  /** Highest sequence number executed, in order. */
  protected executed = 0;
  /** Digests executed above h, by seq: a replica never votes against what it executed. */
  protected readonly executedDigests = new Map<number, string>();
  /** Highest sequence number this replica proposed as primary. */
  protected lastProposed = 0;
  /** The last stable checkpoint (h is its seq). */
  protected stable: StableCheckpoint;
  /** Own checkpoints not yet stable, with the snapshot taken at that point. */
  protected readonly ownCheckpoints = new Map<number, { msg: Message<'checkpoint'>; snapshot: Uint8Array }>();
  /** Checkpoint votes from all replicas. */
  protected readonly checkpointVotes: CheckpointVotes;
  /** Primary only: requests waiting for a batch, one per client (the highest timestamp). */
  protected readonly pending = new Map<number, VerifiedMessage<'request'>>();
  /** Requests seen and not yet executed, one per client: a backup's view-change timer runs on these. */
  protected readonly waiting = new Map<number, VerifiedMessage<'request'>>();
  /** Requests (client:timestamp) in an accepted batch not yet executed: never ordered twice. */
  protected readonly inLog = new Set<string>();
  /** Backups: the highest timestamp per client forwarded to the current primary. */
  protected readonly forwarded = new Map<number, number>();
  /** What this replica signed per (phase, view, seq): it never signs a conflicting vote. */
  protected readonly signedVotes = new Map<string, string>();
  /** The snapshot being fetched, if this replica is behind a certified checkpoint. */
  protected fetch: SnapshotFetch | undefined;
  /** Slots for which evidence was already reported (bounded). */
  protected readonly evidenceSeen = new Set<string>();
  /** Ticks seen so far: the core's only notion of time. */
  protected now = 0;
  /** Tick of the last execution progress (or of the last fetch attempt). */
  protected lastProgressTick = 0;
  /** Consecutive view changes without execution progress: the view timeout doubles with each. */
  protected consecutiveViewChanges = 0;
  /** Highest sequence number seen in any agreement message: tells a replica it is behind. */
  protected highestSeen = 0;
  /** Outputs of the step in progress. */
  private out: Output[] = [];
  /** Quorum size: 2f + 1 when n = 3f + 1. */
  readonly quorum: number;
  /** Digest of the null request (the empty batch) that fills gaps in a new view. */
  protected readonly nullDigest: Uint8Array;
  /** Digest of the genesis state: the stable checkpoint at seq 0. */
  protected readonly genesisDigest: Uint8Array;

  constructor(
    /** Protocol parameters. */
    readonly config: PbftConfig,
    /** Injected signer, state machine and hash. */
    protected readonly deps: PbftDeps,
  ) {
    const { n, f, id, checkpointInterval: k, watermarkWindow: l } = config;
    invariant(n >= 3 * f + 1 && f >= 0, 'n >= 3f + 1');
    invariant(id >= 0 && id < n, 'replica id in range');
    invariant(k > 0 && l >= k && l % k === 0, 'watermark window is a positive multiple of K');
    this.quorum = quorumSize(n, f);
    this.checkpointVotes = new CheckpointVotes(this.quorum);
    this.nullDigest = batchDigestWith(deps.hash, []);
    this.genesisDigest = deps.stateMachine.digest();
    this.stable = {
      seq: 0,
      stateDigest: this.genesisDigest,
      proof: [],
      snapshot: deps.stateMachine.snapshot(),
    };
  }

  /** Current view (the one being changed to during a view change). */
  get view(): number {
    return this.currentView;
  }
  /** Highest sequence number executed. */
  get lastExecuted(): number {
    return this.executed;
  }
  /** Low watermark h: the last stable checkpoint's sequence number. */
  get lowWatermark(): number {
    return this.stable.seq;
  }
  /** Whether a view change is in progress. */
  get changingView(): boolean {
    return this.mode === 'view-change';
  }
  /** The primary of the current view. */
  primary(): number {
    return primaryOf(this.currentView, this.config.n);
  }
  /** Whether this replica is the current primary. */
  get isPrimary(): boolean {
    return this.primary() === this.config.id;
  }
  /** What the boundary may drop early: agreement messages outside (view, (h, h + L]). */
  boundaryWindow(): { view: number; low: number; high: number } {
    const low = this.stable.seq;
    return { view: this.installedView, low, high: low + this.config.watermarkWindow };
  }

  /**
   * Whether a prepare or commit, judged by its still unverified header, can change nothing here: it
   * is for the installed view and its slot already reached the quorum that kind of vote counts
   * towards (prepared, or committed). The runtime drops such votes before checking signatures:
   * with all n = 3f + 1 replicas voting, the last f votes of each phase arrive after the quorum, and
   * dropping a message is always safe (the network may lose any). The cost is forensic only: a
   * conflicting vote that arrives this late is not reported as evidence.
   */
  isSurplusVote(m: AnyMessage): boolean {
    if (m.kind !== 'prepare' && m.kind !== 'commit') return false;
    if (m.body.view !== this.installedView) return false;
    return this.slots.get(m.body.seq)?.settled(m.kind) === true;
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** The slot for `seq`, created on first use (callers have checked the window). */
  protected slot(seq: number): Slot {
    let slot = this.slots.get(seq);
    if (!slot) {
      slot = new Slot(seq);
      this.slots.set(seq, slot);
    }
    return slot;
  }

  /**
   * Signs a message and records it for persistence before it can be sent. State-transfer requests
   * and chunks promise nothing (signing another one later is no equivocation), so they are not.
   */
  protected sign<K extends BodySignedKind>(kind: K, body: BodyOf[K]): Message<K> {
    const msg = seal(this.deps.signer, this.config.cluster, kind, this.config.id, body);
    if (kind !== 'fetch-state' && kind !== 'state-chunk')
      this.emit({ type: 'persist', record: { type: 'signed', msg } });
    return msg;
  }

  /**
   * Signs a pre-prepare, prepare or commit unless this replica already signed another digest for
   * the same (phase, view, seq): then nothing is signed (undefined). Re-signing the same content
   * gives the same bytes (Ed25519 is deterministic), so a retry is never an equivocation.
   */
  protected signVote<K extends 'pre-prepare' | 'prepare' | 'commit'>(
    kind: K,
    body: BodyOf[K],
  ): Message<K> | undefined {
    const key = `${kind}:${body.view}:${body.seq}`;
    const digest = hexOf(body.digest);
    const earlier = this.signedVotes.get(key);
    if (earlier !== undefined && earlier !== digest) return undefined;
    this.signedVotes.set(key, digest);
    return this.sign(kind, body);
  }

  protected emit(output: Output): void {
    this.out.push(output);
  }

  /** Starts collecting the outputs of one step. */
  protected beginStep(): void {
    this.out = [];
  }

  /** The outputs collected since `beginStep`. */
  protected endStep(): Output[] {
    return this.out;
  }

  protected ignore(msg: Message, reason: IgnoreReason): void {
    this.emit({ type: 'ignored', kind: msg.kind, from: msg.sender, reason });
  }
}
