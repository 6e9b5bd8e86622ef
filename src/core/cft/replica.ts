/**
 * The crash-fault replica as a pure state machine: `step(input) -> CftOutput[]`, a Raft-like
 * protocol (Ongaro & Ousterhout, 2014) over the same ledger as our PBFT. No I/O, no clock, no
 * randomness of its own: time arrives as ticks, election timeouts come from the injected Rng.
 *
 * This file adds elections on top of replication (`leader.ts`, `follower.ts`): a follower that hears
 * no leader within its randomized timeout stands in the next term, voting for itself; a replica
 * grants one vote per term (durably, before the vote leaves), and only to a candidate whose log is
 * at least as up to date as its own (last term, then last index); a majority of votes makes a
 * leader. Any message of a higher term makes its receiver a follower of that term.
 */
import type { AnyCftVerified, CftVerified } from '../../messages/cft-types.js';
import { invariant } from '../quorum.js';
import { CftFollower } from './follower.js';
import type { CftConfig, CftDeps, CftInput, CftOutput, CftRecoveredState } from './types.js';

/** One crash-fault replica. */
export class CftReplica extends CftFollower {
  /** Candidate: the replicas that granted their vote in the current term (itself included). */
  protected readonly votes = new Set<number>();

  /**
   * A replica restarted from its durable state alone: term and vote, the snapshot, the log after
   * it; it applies the log again up to the persisted commit index, silently (it did so before the
   * crash), and resumes as a follower.
   */
  static recover<T extends CftReplica>(
    this: new (
      config: CftConfig,
      deps: CftDeps,
    ) => T,
    config: CftConfig,
    deps: CftDeps,
    state: CftRecoveredState,
  ): T {
    const replica = new this(config, deps);
    replica.restore(state);
    return replica;
  }

  private restore(state: CftRecoveredState): void {
    this.currentTerm = state.term;
    this.votedFor = state.votedFor;
    const snap = state.snapshot;
    if (snap !== undefined) {
      const ok = this.deps.stateMachine.restore(snap.snapshot, snap.stateDigest);
      invariant(ok, `the persisted snapshot at ${snap.index} restores to its digest`);
      this.log.resetTo(snap.index, snap.term);
      this.snapshot = snap;
      this.applied = snap.index;
    }
    this.log.append(state.entries.filter((e) => e.index > this.log.snapshotIndex));
    this.commit = Math.max(this.log.snapshotIndex, Math.min(state.commit, this.log.lastIndex));
    this.beginStep();
    this.restoring = true;
    this.applyCommitted();
    this.restoring = false;
    this.endStep();
  }

  /** Feeds one input; returns the outputs to carry out in order (see the contract in types.ts). */
  step(input: CftInput): CftOutput[] {
    this.beginStep();
    switch (input.type) {
      case 'tick':
        this.onTick();
        break;
      case 'request':
        this.onRequest(input.request);
        break;
      case 'message':
        this.onMessage(input.msg);
        break;
    }
    return this.endStep();
  }

  private onMessage(msg: AnyCftVerified): void {
    if (msg.kind === 'cft-reply' || msg.kind === 'redirect') {
      return this.ignore(msg.kind, msg.sender, 'unexpected-kind');
    }
    if (msg.body.term > this.currentTerm) this.enterTerm(msg.body.term);
    switch (msg.kind) {
      case 'request-vote':
        return this.onRequestVote(msg);
      case 'vote':
        return this.onVote(msg);
      case 'append-entries':
        return this.onAppendEntries(msg);
      case 'append-ack':
        if (msg.body.term < this.currentTerm) return this.ignore(msg.kind, msg.sender, 'stale-term');
        return this.onAck(msg);
      case 'install-snapshot':
        return this.onInstallSnapshot(msg);
    }
  }

  // ---- time and elections -------------------------------------------------------------------

  private onTick(): void {
    this.now++;
    if (this.isLeader) return this.leaderTick();
    if (++this.electionElapsed >= this.electionTimeout) this.startElection();
  }

  /** Stands for election in the next term: votes for itself (durably) and asks every other replica. */
  protected startElection(): void {
    this.enterTerm(this.currentTerm + 1);
    this.currentRole = 'candidate';
    this.votedFor = this.config.id;
    this.votes.clear();
    this.votes.add(this.config.id);
    this.resetElectionTimer();
    this.emit({ type: 'election-started', term: this.currentTerm });
    const lastIndex = this.log.lastIndex;
    const lastTerm = this.log.lastTerm;
    this.broadcast('request-vote', { term: this.currentTerm, lastIndex, lastTerm });
    if (this.votes.size >= this.quorum) this.becomeLeader();
  }

  /** Why a vote is refused, or null: one vote per term, for an up-to-date log only. */
  protected refuseVote(msg: CftVerified<'request-vote'>): 'already-voted' | 'stale-log' | null {
    if (this.votedFor !== undefined && this.votedFor !== msg.sender) return 'already-voted';
    if (!this.log.isUpToDate(msg.body.lastIndex, msg.body.lastTerm)) return 'stale-log';
    return null;
  }

  private onRequestVote(msg: CftVerified<'request-vote'>): void {
    const deny = (): void => this.send(msg.sender, 'vote', { term: this.currentTerm, granted: false });
    if (msg.body.term < this.currentTerm) {
      deny();
      return this.ignore(msg.kind, msg.sender, 'stale-term');
    }
    const reason = this.refuseVote(msg);
    if (reason !== null) {
      deny();
      return this.ignore(msg.kind, msg.sender, reason);
    }
    if (this.votedFor !== msg.sender) {
      this.votedFor = msg.sender;
      this.hardStateChanged();
    }
    this.resetElectionTimer();
    this.send(msg.sender, 'vote', { term: this.currentTerm, granted: true });
  }

  private onVote(msg: CftVerified<'vote'>): void {
    if (msg.body.term < this.currentTerm) return this.ignore(msg.kind, msg.sender, 'stale-term');
    if (this.currentRole !== 'candidate') return this.ignore(msg.kind, msg.sender, 'not-candidate');
    if (!msg.body.granted) return;
    this.votes.add(msg.sender);
    if (this.votes.size >= this.quorum) this.becomeLeader();
  }

  // ---- invariants ---------------------------------------------------------------------------

  /** Checks the replica's internal invariants; a failure is a bug (tests and the simulator call it). */
  assertInvariants(): void {
    const { config, log } = this;
    invariant(log.snapshotIndex <= this.applied, 'snapshot <= applied');
    invariant(this.applied <= this.commit, 'applied <= committed');
    invariant(this.commit <= log.lastIndex, 'committed <= last index');
    invariant(log.lastTerm <= this.currentTerm, 'no entry of a future term');
    invariant(
      this.snapshot === undefined || this.snapshot.index === log.snapshotIndex,
      'snapshot matches the log',
    );
    invariant(log.snapshotIndex === 0 || this.snapshot !== undefined, 'a compacted log has its snapshot');
    if (this.currentRole !== 'follower')
      invariant(this.votedFor === config.id, 'a candidate voted for itself');
    if (this.currentRole === 'candidate')
      invariant(this.votes.size < this.quorum, 'a candidate lacks a majority');
    if (this.currentRole !== 'leader') {
      invariant(this.pending.size === 0 && this.inLog.size === 0, 'only a leader batches');
      return;
    }
    invariant(this.leaderId === config.id, 'a leader knows itself');
    invariant(this.matchIndex[config.id] === log.lastIndex, 'a leader holds its own log');
    for (let r = 0; r < config.n; r++) {
      if (r === config.id) continue;
      invariant(this.matchIndex[r]! < this.nextIndex[r]!, `follower ${r}: match < next`);
      invariant(this.nextIndex[r]! <= log.lastIndex + 1, `follower ${r}: next <= last + 1`);
    }
  }
}
