/**
 * The PBFT replica as a pure state machine: `step(input) -> Output[]`. No I/O, no clock, no
 * randomness: time arrives as ticks, signing through an injected synchronous signer, hashing
 * through an injected function. The runtime and the simulator drive this very class.
 *
 * On top of the normal case (`normal-case.ts`) this adds time: retransmission of a replica's own
 * votes, fetching what it missed, the view-change timer, and the view change itself (Castro &
 * Liskov, TOCS 2002, section 3: VIEW-CHANGE with the stable checkpoint's proof and the prepared
 * certificates above it; NEW-VIEW with 2f + 1 VIEW-CHANGEs and the recomputed pre-prepares).
 */
import type { AnyVerified, Message, VerifiedMessage } from '../../messages/types.js';
import { equalBytes, hexOf, invariant, primaryOf } from '../quorum.js';
import { CatchUp } from './catch-up.js';
import type { PbftDeps } from './normal-case.js';
import { type PrePrepare, Slot } from './slot.js';
import type { Input, Output, PbftConfig, RecoveredState } from './types.js';
import {
  matchesPlan,
  type NewViewPlan,
  planNewView,
  type ViewChange,
  viewTimeoutTicks,
  viewToJoin,
} from './view-change.js';

export type { PbftDeps } from './normal-case.js';

/** One PBFT replica. */
export class PbftReplica extends CatchUp {
  /** Tick at which the view-change timer started; undefined while it is stopped. */
  protected timerStart: number | undefined;
  /** The latest VIEW-CHANGE of each replica (own included): the join rule and the new view use them. */
  protected readonly viewChanges = new Map<number, ViewChange>();
  /** This replica's VIEW-CHANGE for the current view change, retransmitted until a new view. */
  protected ownViewChange: Message<'view-change'> | undefined;
  /**
   * A replica restarted from its durable state alone: the stable checkpoint's snapshot, the batches
   * executed after it (re-executed, deterministically), its prepared certificates, and everything it
   * signed, so it resumes in the view it was in and never signs a vote that conflicts with one it
   * signed before the crash.
   */
  static recover(config: PbftConfig, deps: PbftDeps, state: RecoveredState): PbftReplica {
    const replica = new PbftReplica(config, deps);
    replica.restore(state);
    return replica;
  }

  private restore(state: RecoveredState): void {
    this.beginStep();
    const { stable } = state;
    if (stable && stable.seq > 0 && this.deps.stateMachine.restore(stable.snapshot, stable.stateDigest)) {
      this.stable = stable;
      this.executed = stable.seq;
      this.lastProposed = stable.seq;
    }
    for (const pp of state.executed) {
      if (pp.body.seq !== this.executed + 1) continue;
      const slot = new Slot(pp.body.seq);
      slot.digestHex = hexOf(pp.body.digest);
      this.execute(slot, pp);
    }
    for (const cert of state.prepared) {
      const { seq, view } = cert.prePrepare.body;
      const known = this.preparedCerts.get(seq);
      if (seq > this.stable.seq && (!known || known.prePrepare.body.view < view))
        this.preparedCerts.set(seq, cert);
    }
    this.restoreSigned(state.signed);
    this.endStep();
    this.lastProgressTick = this.now;
  }

  /** Rebuilds the vote guard, the view and this replica's own open votes from what it signed. */
  private restoreSigned(signed: readonly AnyVerified[]): void {
    let voteView = 0;
    for (const m of signed) {
      if (m.kind === 'pre-prepare' || m.kind === 'prepare' || m.kind === 'commit') {
        this.signedVotes.set(`${m.kind}:${m.body.view}:${m.body.seq}`, hexOf(m.body.digest));
        voteView = Math.max(voteView, m.body.view);
      } else if (m.kind === 'new-view' && m.body.view >= voteView) {
        voteView = m.body.view;
        this.newViewMsg = m;
      } else if (m.kind === 'view-change' && m.body.newView > (this.ownViewChange?.body.newView ?? 0)) {
        this.ownViewChange = m;
        this.viewChanges.set(this.config.id, m);
      }
    }
    this.currentView = this.installedView = voteView;
    const vc = this.ownViewChange;
    if (vc && vc.body.newView > voteView) {
      this.mode = 'view-change';
      this.currentView = vc.body.newView;
      this.timerStart = this.now;
    } else {
      this.ownViewChange = undefined;
      this.viewChanges.clear();
    }
    for (const m of signed) if (m.kind !== 'request') this.restoreVote(m);
  }

  /** Puts one of this replica's own votes of the installed view back into its slot. */
  private restoreVote(m: AnyVerified): void {
    if (m.kind !== 'pre-prepare' && m.kind !== 'prepare' && m.kind !== 'commit') return;
    const { view, seq } = m.body;
    if (view !== this.installedView || this.ignoreAgreement(view, seq) !== null) return;
    const slot = this.slot(seq);
    if (m.kind === 'pre-prepare') {
      if (!slot.prePrepare) this.accept(slot, m);
      if (m.sender === this.config.id) this.lastProposed = Math.max(this.lastProposed, seq);
    } else if (m.kind === 'prepare') slot.addPrepare(m);
    else slot.addCommit(m);
  }

  /** Feeds one input; returns the outputs to carry out in order (see the contract in types.ts). */
  step(input: Input): Output[] {
    this.beginStep();
    if (input.type === 'tick') this.onTick();
    else this.onMessage(input.msg);
    return this.endStep();
  }

  private onMessage(msg: AnyVerified): void {
    switch (msg.kind) {
      case 'request':
        return this.onRequest(msg);
      case 'pre-prepare':
        return this.onPrePrepare(msg);
      case 'prepare':
        return this.onPrepare(msg);
      case 'commit':
        return this.onCommit(msg);
      case 'checkpoint':
        return this.onCheckpoint(msg);
      case 'view-change':
        return this.onViewChange(msg);
      case 'new-view':
        return this.onNewView(msg);
      case 'fetch-state':
        return this.onFetchState(msg);
      case 'state-chunk':
        return this.onStateChunk(msg);
      default:
        return this.ignore(msg, 'unexpected-kind');
    }
  }

  // ---- time ---------------------------------------------------------------------------------

  private onTick(): void {
    this.now++;
    this.retransmit();
    this.checkViewTimer();
    if (this.now - this.lastProgressTick < this.config.fetchTicks) return;
    if (this.fetch) {
      this.lastProgressTick = this.now;
      this.fetch.nextPeer();
      this.requestSnapshot();
    } else if (this.highestSeen > this.executed) {
      this.lastProgressTick = this.now;
      this.requestLog();
    }
  }

  protected progress(): void {
    this.lastProgressTick = this.now;
    if (this.mode === 'normal') {
      this.consecutiveViewChanges = 0;
      this.timerStart = this.waiting.size > 0 ? this.now : undefined;
    }
  }

  /** The view-change timeout now: doubled per consecutive view change, capped. */
  protected viewTimeout(): number {
    const { requestTimeoutTicks, maxViewTimeoutTicks } = this.config;
    return viewTimeoutTicks(requestTimeoutTicks, this.consecutiveViewChanges, maxViewTimeoutTicks);
  }

  /**
   * A backup waiting for a request runs the timer; on expiry it starts a view change. While
   * changing view, the timer runs only once a quorum asks for the same view (a lone replica does
   * not escalate); on expiry the replica moves on to the next view.
   */
  private checkViewTimer(): void {
    if (this.mode === 'normal') {
      if (this.isPrimary || this.waiting.size === 0) {
        this.timerStart = undefined;
        return;
      }
      this.timerStart ??= this.now;
    } else if (this.supporters(this.currentView) < this.quorum) {
      this.timerStart = this.now;
      return;
    }
    if (this.timerStart !== undefined && this.now - this.timerStart >= this.viewTimeout()) {
      this.startViewChange(this.currentView + 1);
    }
  }

  /** Resends this replica's own messages (same bytes, never re-signed) that may have been lost. */
  private retransmit(): void {
    const period = this.config.retransmitTicks;
    for (const slot of this.slots.values()) {
      if (slot.committed || this.now - slot.lastSentTick < period) continue;
      slot.lastSentTick = this.now;
      const own = this.isPrimary ? slot.prePrepare : slot.prepares.get(this.config.id)?.msg;
      if (own) this.emit({ type: 'broadcast', msg: own });
      const commit = slot.commits.get(this.config.id)?.msg;
      if (commit) this.emit({ type: 'broadcast', msg: commit });
    }
    if (this.now % period !== 0) return;
    for (const own of this.ownCheckpoints.values()) this.emit({ type: 'broadcast', msg: own.msg });
    if (this.mode === 'view-change' && this.ownViewChange)
      this.emit({ type: 'broadcast', msg: this.ownViewChange });
  }

  // ---- view change --------------------------------------------------------------------------

  /** Replicas whose latest VIEW-CHANGE asks for `view` or higher. */
  private supporters(view: number): number {
    let count = 0;
    for (const vc of this.viewChanges.values()) if (vc.body.newView >= view) count++;
    return count;
  }

  /** Moves to view `view`: stop voting, sign a VIEW-CHANGE with the checkpoint and certificates. */
  protected startViewChange(view: number): void {
    invariant(view > this.currentView, 'view changes only move forward');
    this.mode = 'view-change';
    this.currentView = view;
    this.timerStart = this.now;
    this.consecutiveViewChanges++;
    this.pending.clear();
    const certificates = [...this.preparedCerts.values()]
      .filter((c) => c.prePrepare.body.seq > this.stable.seq)
      .sort((a, b) => a.prePrepare.body.seq - b.prePrepare.body.seq);
    const msg = this.sign('view-change', {
      newView: view,
      stableSeq: this.stable.seq,
      stableDigest: this.stable.stateDigest,
      checkpointProof: this.stable.proof.map((p) => p.bytes),
      prepared: certificates.map((c) => ({
        prePrepare: c.prePrepare.bytes,
        prepares: c.prepares.map((p) => p.bytes),
      })),
    });
    this.ownViewChange = msg;
    this.viewChanges.set(this.config.id, { ...msg, proof: this.stable.proof, certificates });
    this.emit({ type: 'view-change', view });
    this.emit({ type: 'broadcast', msg });
    this.sendNewViewIfReady();
  }

  /** Why a VIEW-CHANGE's content is unusable here (the boundary checked its certificates). */
  private badViewChange(vc: ViewChange): string | null {
    const { stableSeq, stableDigest } = vc.body;
    if (stableSeq % this.config.checkpointInterval !== 0) return 'stable seq off a checkpoint boundary';
    if (stableSeq === 0 && !equalBytes(stableDigest, this.genesisDigest)) return 'wrong genesis digest';
    for (const c of vc.certificates) {
      if (c.prePrepare.body.seq > stableSeq + this.config.watermarkWindow)
        return 'certificate above the window';
    }
    return null;
  }

  /**
   * Certificates inside a VIEW-CHANGE are signed by their original senders: one that conflicts with
   * a pre-prepare or prepare this replica holds for the same slot proves equivocation.
   */
  private crossCheck(vc: ViewChange): void {
    for (const cert of vc.certificates) {
      const slot = this.slots.get(cert.prePrepare.body.seq);
      const mine = slot?.prePrepare;
      if (!slot || !mine || mine.body.view !== cert.prePrepare.body.view) continue;
      if (!equalBytes(mine.body.digest, cert.prePrepare.body.digest)) this.evidence(mine, cert.prePrepare);
      for (const p of cert.prepares) {
        const held = slot.prepares.get(p.sender)?.msg;
        if (held && !equalBytes(held.body.digest, p.body.digest)) this.evidence(held, p);
      }
    }
  }

  /**
   * Proof that the current primary equivocated: hand both pre-prepares to every replica (each can
   * verify them and reach the same conclusion) and start a view change, rather than wait for a
   * timer; a faulty primary is replaced as soon as f + 1 correct replicas hold the proof.
   */
  protected override evidence(first: Message, second: Message): boolean {
    if (!super.evidence(first, second)) return false;
    const againstPrimary =
      second.kind === 'pre-prepare' &&
      this.mode === 'normal' &&
      second.sender === primaryOf(this.installedView, this.config.n) &&
      (second.body as { view: number }).view === this.installedView;
    if (againstPrimary) {
      this.emit({ type: 'broadcast', msg: first });
      this.emit({ type: 'broadcast', msg: second });
      this.startViewChange(this.currentView + 1);
    }
    return true;
  }

  private onViewChange(msg: VerifiedMessage<'view-change'>): void {
    if (this.badViewChange(msg) !== null) return this.ignore(msg, 'bad-view-change');
    this.crossCheck(msg);
    const view = msg.body.newView;
    if (view <= this.installedView) {
      // The sender is still changing to a view we installed: hand it the NEW-VIEW.
      if (this.newViewMsg) this.emit({ type: 'send', to: msg.sender, msg: this.newViewMsg });
      return this.ignore(msg, 'stale-view');
    }
    const earlier = this.viewChanges.get(msg.sender);
    if (earlier && earlier.body.newView >= view) return this.ignore(msg, 'duplicate');
    this.viewChanges.set(msg.sender, msg);
    const asked = new Map([...this.viewChanges].map(([sender, vc]) => [sender, vc.body.newView]));
    const join = viewToJoin(asked, this.currentView, this.config.f);
    if (join !== undefined) return this.startViewChange(join);
    this.sendNewViewIfReady();
  }

  /** The new primary: with a quorum of VIEW-CHANGEs for its view, send NEW-VIEW and install it. */
  private sendNewViewIfReady(): void {
    if (this.mode !== 'view-change' || !this.isPrimary) return;
    const view = this.currentView;
    const vcs = [...this.viewChanges.values()]
      .filter((vc) => vc.body.newView === view)
      .sort((a, b) => a.sender - b.sender)
      .slice(0, this.quorum);
    if (vcs.length < this.quorum) return;
    const plan = planNewView(vcs, this.nullDigest);
    const prePrepares: PrePrepare[] = [];
    for (const e of plan.entries) {
      const pp = this.signVote('pre-prepare', {
        view,
        seq: e.seq,
        digest: e.digest,
        requests: [...e.requests],
      });
      if (pp) prePrepares.push({ ...pp, batch: e.batch });
    }
    const msg = this.sign('new-view', {
      view,
      viewChanges: vcs.map((vc) => vc.bytes),
      prePrepares: prePrepares.map((pp) => pp.bytes),
    });
    this.emit({ type: 'broadcast', msg });
    this.install(view, plan, prePrepares, msg);
  }

  private onNewView(msg: VerifiedMessage<'new-view'>): void {
    const view = msg.body.view;
    if (view < this.currentView || (view === this.currentView && this.mode === 'normal')) {
      return this.ignore(msg, 'stale-view');
    }
    if (msg.viewChanges.some((vc) => this.badViewChange(vc) !== null))
      return this.ignore(msg, 'bad-new-view');
    for (const vc of msg.viewChanges) this.crossCheck(vc);
    const plan = planNewView(msg.viewChanges, this.nullDigest);
    if (!matchesPlan(msg.prePrepares, plan)) return this.ignore(msg, 'bad-new-view');
    this.install(view, plan, msg.prePrepares, msg);
  }

  /** Enters `view`: adopt its stable checkpoint, accept its pre-prepares and prepare them. */
  private install(
    view: number,
    plan: NewViewPlan,
    prePrepares: readonly PrePrepare[],
    msg: Message<'new-view'>,
  ): void {
    this.currentView = view;
    this.installedView = view;
    this.mode = 'normal';
    this.newViewMsg = msg;
    this.ownViewChange = undefined;
    this.timerStart = undefined;
    for (const [sender, vc] of this.viewChanges) if (vc.body.newView <= view) this.viewChanges.delete(sender);
    this.slots.clear();
    this.inLog.clear();
    this.pending.clear();
    this.forwarded.clear();
    this.emit({ type: 'new-view', view, primary: this.primary() });
    const { stableFrom } = plan;
    const proof = stableFrom.proof;
    this.certifiedCheckpoint({ seq: plan.minS, stateDigest: stableFrom.body.stableDigest, proof });
    const high = this.stable.seq + this.config.watermarkWindow;
    for (const pp of prePrepares) {
      if (pp.body.seq <= this.stable.seq || pp.body.seq > high) continue;
      const slot = this.slot(pp.body.seq);
      this.accept(slot, pp);
      this.sendPrepare(slot);
    }
    if (this.isPrimary) {
      this.lastProposed = Math.max(plan.maxS, this.executed);
      for (const [client, req] of this.waiting)
        if (this.ignoreRequest(req) === null) this.pending.set(client, req);
      this.tryPropose();
    } else {
      for (const req of this.waiting.values()) {
        this.forwarded.set(req.body.client, req.body.timestamp);
        this.emit({ type: 'send', to: this.primary(), msg: req });
      }
    }
  }

  // ---- invariants ---------------------------------------------------------------------------

  /** Checks the replica's internal invariants; a failure is a bug (tests and the simulator call it). */
  assertInvariants(): void {
    const { stable, executed, config } = this;
    invariant(stable.seq <= executed, 'stable checkpoint <= last executed');
    invariant(stable.seq % config.checkpointInterval === 0, 'stable checkpoint on a K boundary');
    invariant(stable.seq === 0 || stable.proof.length >= this.quorum, 'stable checkpoint has a quorum proof');
    const senders = new Set(stable.proof.map((p) => p.sender));
    invariant(senders.size === stable.proof.length, 'checkpoint proof has distinct senders');
    for (const p of stable.proof)
      invariant(equalBytes(p.body.stateDigest, stable.stateDigest), 'proof matches');
    invariant(this.installedView <= this.currentView, 'installed view <= current view');
    invariant(
      this.mode === 'view-change' || this.installedView === this.currentView,
      'normal mode is installed',
    );
    const primary = primaryOf(this.installedView, config.n);
    for (const [seq, slot] of this.slots) {
      invariant(
        seq > stable.seq && seq <= stable.seq + config.watermarkWindow,
        `slot ${seq} inside the window`,
      );
      invariant(!slot.committed || slot.prepared, `slot ${seq}: committed implies prepared`);
      invariant(
        !slot.prepared || slot.prePrepare !== undefined,
        `slot ${seq}: prepared implies a pre-prepare`,
      );
      if (slot.prepared)
        invariant(slot.matchingPrepares(primary) >= 2 * config.f, `slot ${seq}: 2f prepares`);
      if (slot.committed) invariant(slot.matchingCommits() >= this.quorum, `slot ${seq}: quorum of commits`);
      const done = this.executedDigests.get(seq);
      // Its own prepare may name another batch if the primary equivocated; its commit never does.
      const own = slot.commits.get(config.id);
      if (done !== undefined && own)
        invariant(own.digestHex === done, `slot ${seq}: never commits against execution`);
    }
    for (const [seq, cert] of this.preparedCerts) {
      invariant(seq > stable.seq, `certificate ${seq} above h`);
      invariant(cert.prepares.length >= 2 * config.f, `certificate ${seq} has 2f prepares`);
      const d = cert.prePrepare.body.digest;
      for (const p of cert.prepares) invariant(equalBytes(p.body.digest, d), `certificate ${seq} matches`);
    }
  }
}
