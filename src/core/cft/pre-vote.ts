/**
 * Pre-vote (Ongaro's thesis, section 9.6; etcd's raft `PreVote`). Without it, a replica cut off by
 * a partition times out again and again, raising its term each time, and when the network heals
 * its higher term makes the working leader step down for nothing. With it, a replica whose
 * election timeout fires first asks every peer "would you vote for me in term + 1?" and changes
 * nothing of its own: not its term, not its vote. Only with a majority of yeses (its own included)
 * does it stand for real. A peer says yes only if the asker's log is at least as up to date as its
 * own, it would not have voted for anyone else in that term, and no live leader holds it (it
 * heard from the leader of its term less than a minimum election timeout ago, or it leads). A
 * pre-vote is durable nowhere and does not restart the granter's election timer.
 */
import type { CftVerified } from '../../messages/cft-types.js';
import { CftFollower } from './follower.js';

/** Pre-vote rules, on top of replication; `replica.ts` adds the real elections. */
export abstract class CftPreVote extends CftFollower {
  /** Stands for election in the next term (after a majority of pre-votes, or straight away without pre-vote). */
  protected abstract startElection(): void;

  /**
   * The election timeout fired: a candidate gives up its election (keeping its term and vote), and
   * the replica asks every other for a pre-vote for the next term, with its last log position.
   */
  protected startPreVote(): void {
    if (this.currentRole === 'candidate') this.becomeFollower();
    this.resetElectionTimer();
    this.preVotes = new Set([this.config.id]);
    const term = this.currentTerm + 1;
    this.emit({ type: 'pre-vote-started', term });
    const lastIndex = this.log.lastIndex;
    const lastTerm = this.log.lastTerm;
    this.broadcast('pre-vote', { term, lastIndex, lastTerm });
    this.countPreVotes();
  }

  /** With a majority of pre-votes the campaign ends and the real election begins. */
  private countPreVotes(): void {
    if (this.preVotes === undefined || this.preVotes.size < this.quorum) return;
    this.preVotes = undefined;
    this.startElection();
  }

  /** Why a pre-vote is refused, or null: the rules of a real vote, and no live leader. */
  protected refusePreVote(
    msg: CftVerified<'pre-vote'>,
  ): 'stale-term' | 'already-voted' | 'leader-lease' | 'stale-log' | null {
    const { term, lastIndex, lastTerm } = msg.body;
    if (term < this.currentTerm) return 'stale-term';
    const voted = this.votedFor !== undefined && this.votedFor !== msg.sender;
    if (term === this.currentTerm && voted) return 'already-voted';
    if (this.inLeaderLease()) return 'leader-lease';
    if (!this.log.isUpToDate(lastIndex, lastTerm)) return 'stale-log';
    return null;
  }

  /**
   * A pre-vote is answered whatever this replica's own setting, and changes nothing here: a yes
   * carries the term asked about, a no carries this replica's term (a pre-candidate behind it
   * learns the term from it).
   */
  protected onPreVote(msg: CftVerified<'pre-vote'>): void {
    const reason = this.refusePreVote(msg);
    if (reason !== null) {
      this.send(msg.sender, 'pre-vote-reply', { term: this.currentTerm, granted: false });
      return this.ignore(msg.kind, msg.sender, reason);
    }
    this.send(msg.sender, 'pre-vote-reply', { term: msg.body.term, granted: true });
  }

  /**
   * An answer to this replica's pre-vote: a yes for the term it asks about counts; a no of a
   * higher term moves it to that term as a follower (which ends the campaign); other answers are
   * stale.
   */
  protected onPreVoteReply(msg: CftVerified<'pre-vote-reply'>): void {
    const { term, granted } = msg.body;
    if (!granted) {
      if (term > this.currentTerm) return this.enterTerm(term);
      if (term < this.currentTerm) return this.ignore(msg.kind, msg.sender, 'stale-term');
      return;
    }
    if (term <= this.currentTerm) return this.ignore(msg.kind, msg.sender, 'stale-term');
    if (this.preVotes === undefined || term !== this.currentTerm + 1) {
      return this.ignore(msg.kind, msg.sender, 'not-candidate');
    }
    this.preVotes.add(msg.sender);
    this.countPreVotes();
  }
}
