/**
 * The PBFT normal case as the base of the replica state machine: request intake with the reply
 * cache, adaptive batching at the primary, PRE-PREPARE / PREPARE / COMMIT with the quorum rules,
 * in-order execution, replies, checkpoints and log truncation. `replica.ts` adds time (ticks),
 * view changes and catching up on top of this.
 *
 * Normal case (Castro & Liskov, signature variant): the primary of view v (v mod n) assigns a
 * sequence number to a batch of client requests in a PRE-PREPARE; backups that accept it send a
 * PREPARE; a replica with the pre-prepare and 2f matching prepares from distinct backups is
 * prepared and sends a COMMIT; with a quorum of matching commits it has committed and executes in
 * sequence order. Every K sequence numbers it signs a CHECKPOINT of the ledger digest; a quorum of
 * matching checkpoints makes it stable and the log below it is discarded.
 */
import type { Signer } from '../../crypto/types.js';
import { batchDigestWith, requestKey } from '../../messages/batch-digest.js';
import { type BodySignedKind, seal } from '../../messages/envelope.js';
import { type ReplyEntry, sealReplies } from '../../messages/reply-batch.js';
import type { BodyOf } from '../../messages/schema.js';
import type { AnyMessage, Message, VerifiedMessage } from '../../messages/types.js';
import { equalBytes, hexOf, invariant, primaryOf, quorumSize } from '../quorum.js';
import type { StateMachine } from '../types.js';
import { type CheckpointCertificate, CheckpointVotes } from './checkpoints.js';
import { type PrePrepare, Slot } from './slot.js';
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

/** The normal-case half of a PBFT replica. */
export abstract class NormalCase {
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

  // ---- client requests ----------------------------------------------------------------------

  /** Why a request changes nothing here, or null. Answers a retry of the last request on the way. */
  protected ignoreRequest(msg: VerifiedMessage<'request'>): IgnoreReason | null {
    const { client, timestamp } = msg.body;
    const cached = this.deps.stateMachine.lastReply(client);
    if (cached && timestamp < cached.timestamp) return 'stale-request';
    if (cached && timestamp === cached.timestamp) {
      // Retries are rare: a tree of one leaf, signed on its own.
      this.reply(cached.seq, [{ client, timestamp, result: cached.result }]);
      return 'already-executed';
    }
    if (this.inLog.has(requestKey(client, timestamp))) return 'duplicate';
    return null;
  }

  protected onRequest(msg: VerifiedMessage<'request'>): void {
    const reason = this.ignoreRequest(msg);
    const { client, timestamp } = msg.body;
    if (reason !== null && reason !== 'duplicate') return this.ignore(msg, reason);
    // Seen and not executed: the view-change timer runs on it, even when it already sits in an
    // accepted pre-prepare that is stuck (a client retries because it got no answer).
    const known = this.waiting.get(client);
    if (!known || known.body.timestamp < timestamp) this.waiting.set(client, msg);
    if (reason !== null) return this.ignore(msg, reason);
    if (this.mode === 'view-change') return;
    if (this.isPrimary) {
      const queued = this.pending.get(client);
      if (queued && queued.body.timestamp >= timestamp) return this.ignore(msg, 'duplicate');
      this.pending.set(client, msg);
      this.tryPropose();
      return;
    }
    // A backup relays what reaches it to the primary, once per timestamp: the client went to all
    // replicas because the primary did not answer, so the primary cannot claim it never saw it.
    if ((this.forwarded.get(client) ?? -1) >= timestamp) return this.ignore(msg, 'duplicate');
    this.forwarded.set(client, timestamp);
    this.emit({ type: 'send', to: this.primary(), msg });
  }

  /**
   * Adaptive batching: propose at once when nothing is in flight (low latency at light load);
   * while batches are in flight, propose only full ones, up to `maxInflight` inside the window.
   */
  protected tryPropose(): void {
    if (!this.isPrimary || this.mode !== 'normal') return;
    const { maxBatch, maxInflight, watermarkWindow } = this.config;
    while (this.pending.size > 0) {
      const inflight = this.lastProposed - this.executed;
      if (inflight >= maxInflight || this.lastProposed + 1 > this.stable.seq + watermarkWindow) return;
      if (inflight > 0 && this.pending.size < maxBatch) return;
      const batch: VerifiedMessage<'request'>[] = [];
      for (const [client, req] of this.pending) {
        if (batch.length === maxBatch) break;
        this.pending.delete(client);
        if (this.ignoreRequest(req) === null) batch.push(req);
      }
      if (batch.length > 0) this.propose(batch);
    }
  }

  private propose(batch: VerifiedMessage<'request'>[]): void {
    const seq = ++this.lastProposed;
    const requests = batch.map((r) => r.bytes);
    const digest = batchDigestWith(this.deps.hash, requests);
    const msg = this.signVote('pre-prepare', { view: this.currentView, seq, digest, requests });
    if (!msg) return;
    this.accept(this.slot(seq), { ...msg, batch });
    this.emit({ type: 'broadcast', msg });
  }

  // ---- agreement ----------------------------------------------------------------------------

  /** Why an agreement message for (view, seq) is not for this replica's log, or null. */
  protected ignoreAgreement(view: number, seq: number): IgnoreReason | null {
    const inWindow = seq > this.stable.seq && seq <= this.stable.seq + this.config.watermarkWindow;
    // Messages inside the window, of this view or a later one, say this replica may be behind (a
    // later view: it missed a NEW-VIEW, which a log fetch brings). Far-future ones must not: a
    // flooding peer would make it fetch forever; checkpoint certificates cover being far behind.
    if (inWindow && view >= this.installedView && seq > this.highestSeen) this.highestSeen = seq;
    if (view !== this.installedView) return 'wrong-view';
    if (!inWindow) return 'outside-window';
    if (seq <= this.executed && !this.slots.has(seq)) return 'already-executed';
    return null;
  }

  protected onPrePrepare(msg: VerifiedMessage<'pre-prepare'>): void {
    const { view, seq } = msg.body;
    const reason =
      this.ignoreAgreement(view, seq) ??
      (msg.sender !== primaryOf(view, this.config.n) ? 'not-primary' : null);
    if (reason) return this.ignore(msg, reason);
    const slot = this.slot(seq);
    if (slot.prePrepare) {
      if (equalBytes(slot.prePrepare.body.digest, msg.body.digest)) return this.ignore(msg, 'duplicate');
      this.evidence(slot.prePrepare, msg);
      if (!slot.prepared) {
        slot.alternative = msg;
        this.checkPrepared(slot);
      }
      return this.ignore(msg, 'conflicting-pre-prepare');
    }
    this.accept(slot, msg);
    if (this.mode === 'normal') this.sendPrepare(slot);
    this.checkPrepared(slot);
  }

  /** Backups prepare an accepted pre-prepare, unless it conflicts with what they executed. */
  protected sendPrepare(slot: Slot): void {
    const pp = slot.prePrepare;
    if (!pp || this.isPrimary) return;
    const executed = this.executedDigests.get(slot.seq);
    if (executed !== undefined && executed !== slot.digestHex) return;
    const { view, seq, digest } = pp.body;
    const prepare = this.signVote('prepare', { view, seq, digest });
    if (!prepare) return;
    slot.addPrepare(prepare);
    this.emit({ type: 'broadcast', msg: prepare });
  }

  /** Accepts a pre-prepare into a slot. */
  protected accept(slot: Slot, msg: PrePrepare): void {
    slot.prePrepare = msg;
    slot.digestHex = hexOf(msg.body.digest);
    slot.lastSentTick = this.now;
    if (slot.seq > this.executed)
      for (const r of msg.batch) this.inLog.add(requestKey(r.body.client, r.body.timestamp));
  }

  protected onPrepare(msg: VerifiedMessage<'prepare'>): void {
    const { view, seq } = msg.body;
    const reason =
      this.ignoreAgreement(view, seq) ??
      (msg.sender === primaryOf(view, this.config.n) ? 'not-primary' : null);
    if (reason) return this.ignore(msg, reason);
    const slot = this.slot(seq);
    const added = slot.addPrepare(msg);
    if (added !== 'added') return this.refuseVote(msg, added);
    this.checkPrepared(slot);
  }

  protected onCommit(msg: VerifiedMessage<'commit'>): void {
    const { view, seq } = msg.body;
    const reason = this.ignoreAgreement(view, seq);
    if (reason) return this.ignore(msg, reason);
    const slot = this.slot(seq);
    const added = slot.addCommit(msg);
    if (added !== 'added') return this.refuseVote(msg, added);
    this.checkCommitted(slot);
  }

  /** A vote that did not count: a repeat, or a second vote for another digest (evidence). */
  private refuseVote(msg: Message, earlier: 'duplicate' | Message): void {
    if (earlier === 'duplicate') return this.ignore(msg, 'duplicate');
    this.evidence(earlier, msg);
    this.ignore(msg, 'conflicting-vote');
  }

  /**
   * Two validly signed, conflicting messages of one replica for one slot: a portable proof of its
   * misbehaviour. Reported once per (sender, kind, view, seq); true when this one is new.
   */
  protected evidence(first: Message, second: Message): boolean {
    const b = second.body as { view?: number; newView?: number; seq?: number };
    const key = `${second.sender}:${second.kind}:${b.view ?? b.newView ?? 0}:${b.seq ?? 0}`;
    if (this.evidenceSeen.has(key)) return false;
    if (this.evidenceSeen.size >= 4096) this.evidenceSeen.clear();
    this.evidenceSeen.add(key);
    this.emit({ type: 'evidence', replica: second.sender, first, second });
    return true;
  }

  /** Prepared: the pre-prepare and 2f matching prepares from distinct backups. Then commit. */
  protected checkPrepared(slot: Slot): void {
    if (slot.prepared || !slot.prePrepare) return;
    const primary = primaryOf(slot.prePrepare.body.view, this.config.n);
    if (slot.matchingPrepares(primary) < 2 * this.config.f) {
      const alt = slot.alternative;
      if (!alt || slot.matchingPrepares(primary, hexOf(alt.body.digest)) < 2 * this.config.f) return;
      // The primary equivocated and a quorum prepared the other batch: follow the quorum.
      for (const r of slot.prePrepare.batch) this.inLog.delete(requestKey(r.body.client, r.body.timestamp));
      this.accept(slot, alt);
      slot.alternative = undefined;
    }
    const pp = slot.prePrepare;
    slot.prepared = true;
    const prepares = slot.matchingPrepareMessages(primary);
    this.preparedCerts.set(slot.seq, { prePrepare: pp, prepares });
    this.emit({ type: 'persist', record: { type: 'prepared', seq: slot.seq, prePrepare: pp, prepares } });
    if (this.mode === 'normal') this.sendCommit(slot);
    this.checkCommitted(slot);
  }

  /** Signs and sends this replica's commit for a prepared slot. */
  protected sendCommit(slot: Slot): void {
    const pp = slot.prePrepare;
    if (!pp || !slot.prepared || slot.commits.has(this.config.id)) return;
    const { view, seq, digest } = pp.body;
    const commit = this.signVote('commit', { view, seq, digest });
    if (!commit) return;
    slot.addCommit(commit);
    this.emit({ type: 'broadcast', msg: commit });
  }

  /** Committed-local: prepared and a quorum of matching commits. Then execute what is in order. */
  protected checkCommitted(slot: Slot): void {
    if (slot.committed || !slot.prepared) return;
    if (slot.matchingCommits() < this.quorum) return;
    slot.committed = true;
    this.executeReady();
  }

  // ---- execution and checkpoints ------------------------------------------------------------

  /** Executes committed slots strictly in sequence order. */
  protected executeReady(): void {
    for (;;) {
      const slot = this.slots.get(this.executed + 1);
      if (!slot?.committed || !slot.prePrepare || this.fetch) break;
      this.execute(slot, slot.prePrepare);
    }
    this.tryPropose();
  }

  protected execute(slot: Slot, prePrepare: PrePrepare): void {
    const seq = slot.seq;
    this.emit({ type: 'persist', record: { type: 'executed', seq, prePrepare } });
    const applied: boolean[] = [];
    const replies: ReplyEntry[] = [];
    for (const req of prePrepare.batch) {
      const { client, timestamp, op } = req.body;
      this.inLog.delete(requestKey(client, timestamp));
      if ((this.waiting.get(client)?.body.timestamp ?? Number.POSITIVE_INFINITY) <= timestamp)
        this.waiting.delete(client);
      const result = this.deps.stateMachine.execute(client, timestamp, op, seq);
      applied.push(result !== null);
      if (result !== null) replies.push({ client, timestamp, result });
    }
    this.reply(seq, replies);
    this.executed = seq;
    this.executedDigests.set(seq, slot.digestHex);
    this.progress();
    const { view, digest } = prePrepare.body;
    this.emit({ type: 'executed', seq, view, digest, requests: prePrepare.batch, applied });
    if (seq % this.config.checkpointInterval === 0) this.takeCheckpoint(seq);
  }

  /** Execution moved forward: timers restart and the view timeout returns to its base. */
  protected abstract progress(): void;

  private takeCheckpoint(seq: number): void {
    const stateDigest = this.deps.stateMachine.digest();
    const msg = this.sign('checkpoint', { seq, stateDigest });
    this.ownCheckpoints.set(seq, { msg, snapshot: this.deps.stateMachine.snapshot() });
    this.emit({ type: 'broadcast', msg });
    this.addCheckpointVote(msg);
  }

  protected onCheckpoint(msg: VerifiedMessage<'checkpoint'>): void {
    const { seq } = msg.body;
    if (seq <= this.stable.seq || seq % this.config.checkpointInterval !== 0) {
      return this.ignore(msg, 'outside-window');
    }
    this.addCheckpointVote(msg);
  }

  private addCheckpointVote(msg: Message<'checkpoint'>): void {
    const cert = this.checkpointVotes.add(msg);
    if (cert === 'duplicate') return this.ignore(msg, 'duplicate');
    if (cert !== null && 'conflict' in cert) {
      this.evidence(cert.conflict, msg);
      return this.ignore(msg, 'conflicting-vote');
    }
    if (cert !== null) this.certifiedCheckpoint(cert);
  }

  /** A quorum certified the state at some seq: make it stable, or fetch it when we are behind. */
  protected certifiedCheckpoint(cert: CheckpointCertificate): void {
    if (cert.seq <= this.stable.seq) return;
    const own = this.ownCheckpoints.get(cert.seq);
    if (own && equalBytes(own.msg.body.stateDigest, cert.stateDigest)) {
      return this.makeStable({ ...cert, snapshot: own.snapshot });
    }
    if (cert.seq > this.executed) this.startFetch(cert);
  }

  /** Starts (or retargets) fetching the state of a certified checkpoint ahead of us. */
  protected abstract startFetch(cert: CheckpointCertificate): void;

  /** A checkpoint became stable: advance h, discard the log and votes at or below it. */
  protected makeStable(checkpoint: StableCheckpoint): void {
    const { seq, stateDigest, proof, snapshot } = checkpoint;
    this.stable = checkpoint;
    this.emit({ type: 'persist', record: { type: 'stable-checkpoint', seq, stateDigest, proof, snapshot } });
    this.emit({ type: 'stable', seq, stateDigest });
    for (const map of [this.slots, this.ownCheckpoints, this.preparedCerts, this.executedDigests]) {
      for (const s of [...map.keys()]) if (s <= seq) map.delete(s);
    }
    for (const key of [...this.signedVotes.keys()])
      if (Number(key.split(':')[2]) <= seq) this.signedVotes.delete(key);
    this.checkpointVotes.prune(seq);
    if (this.fetch && this.fetch.target.seq <= seq) this.fetch = undefined;
    this.tryPropose();
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

  /**
   * Answers the requests executed at `seq` (in execution order) under ONE signature: the root of a
   * Merkle tree with a leaf per reply; each reply carries its path (see `reply-batch.ts`).
   */
  protected reply(seq: number, entries: readonly ReplyEntry[]): void {
    if (entries.length === 0) return;
    const { signer, hash } = this.deps;
    const { cluster, id } = this.config;
    const at = { view: this.currentView, seq };
    for (const msg of sealReplies(signer, hash, cluster, id, at, entries)) {
      this.emit({ type: 'reply', client: msg.body.client, msg });
    }
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
