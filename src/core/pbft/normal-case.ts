/**
 * The PBFT normal case as the base of the replica state machine: request intake with the reply
 * cache, adaptive batching at the primary, PRE-PREPARE / PREPARE / COMMIT with the quorum rules,
 * in-order execution, replies, checkpoints and log truncation, on the shared state of
 * `replica-state.ts`; `catch-up.ts` and `replica.ts` add catching up, time (ticks) and view changes.
 *
 * Normal case (Castro & Liskov, signature variant): the primary of view v (v mod n) assigns a
 * sequence number to a batch of client requests in a PRE-PREPARE; backups that accept it send a
 * PREPARE; a replica with the pre-prepare and 2f matching prepares from distinct backups is
 * prepared and sends a COMMIT; with a quorum of matching commits it has committed and executes in
 * sequence order. Every K sequence numbers it signs a CHECKPOINT of the ledger digest; a quorum of
 * matching checkpoints makes it stable and the log below it is discarded.
 */
import { batchDigestWith, requestKey } from '../../messages/batch-digest.js';
import { type ReplyEntry, sealReplies } from '../../messages/reply-batch.js';
import type { Message, VerifiedMessage } from '../../messages/types.js';
import { equalBytes, hexOf, primaryOf } from '../quorum.js';
import type { CheckpointCertificate } from './checkpoints.js';
import { ReplicaState, type StableCheckpoint } from './replica-state.js';
import type { PrePrepare, Slot } from './slot.js';
import type { IgnoreReason } from './types.js';

export type { PbftDeps, StableCheckpoint } from './replica-state.js';

/** The normal-case half of a PBFT replica. */
export abstract class NormalCase extends ReplicaState {
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
}
