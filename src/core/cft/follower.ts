/**
 * The follower's half of log replication. An append-entries is accepted only where the follower's
 * log holds the leader's previous entry (same index and term); then entries it already has are
 * kept, a conflicting suffix (never a committed entry) is truncated, and the new ones are appended,
 * all durably before the acknowledgement leaves. The follower commits what the leader committed, as
 * far as this message vouches for its log. A refusal carries a hint (before the conflicting term,
 * or the end of a shorter log) so the leader backs up fast. A follower behind the leader's snapshot
 * receives it in chunks and restores its ledger only if the bytes match the snapshot's digest.
 */
import type { CftVerified } from '../../messages/cft-types.js';
import { hexOf, invariant } from '../quorum.js';
import { CftLeader } from './leader.js';
import type { LogEntry } from './types.js';

/** A snapshot being received in chunks. */
interface IncomingSnapshot {
  /** Identifies the snapshot: index, term, parts and digest. */
  readonly key: string;
  /** The chunks received so far, by part number. */
  readonly parts: (Uint8Array | undefined)[];
  /** How many distinct parts arrived. */
  received: number;
}

/** Follower-side replication rules. */
export abstract class CftFollower extends CftLeader {
  /** The snapshot whose chunks are arriving, if any. */
  protected incoming: IncomingSnapshot | undefined;

  /** Answers the leader of the current term (or a stale one, which then learns the term). */
  private ack(to: number, success: boolean, index: number): void {
    this.send(to, 'append-ack', { term: this.currentTerm, success, index });
  }

  protected onAppendEntries(msg: CftVerified<'append-entries'>): void {
    const { term, leaderCommit } = msg.body;
    if (term < this.currentTerm) {
      this.ack(msg.sender, false, 0);
      return this.ignore(msg.kind, msg.sender, 'stale-term');
    }
    this.follow(msg.sender);
    let { prevIndex, prevTerm } = msg.body;
    let entries = msg.entries;
    const base = this.log.snapshotIndex;
    if (prevIndex < base) {
      // Entries up to the snapshot are committed, so they match the leader's: skip them.
      const skip = base - prevIndex;
      if (skip >= entries.length) return this.ack(msg.sender, true, base);
      entries = entries.slice(skip);
      prevIndex = base;
      prevTerm = this.log.snapshotTerm;
    }
    if (this.log.termAt(prevIndex) !== prevTerm) {
      this.ack(msg.sender, false, this.log.hintFor(prevIndex, this.commit));
      return this.ignore(msg.kind, msg.sender, 'log-mismatch');
    }
    const fresh: LogEntry[] = [];
    for (const [k, e] of entries.entries()) {
      const index = prevIndex + 1 + k;
      if (fresh.length === 0) {
        const have = this.log.termAt(index);
        if (have === e.term) continue;
        if (have !== undefined) {
          invariant(index > this.commit, `never truncate committed entry ${index}`);
          this.log.truncateFrom(index);
          this.persist({ type: 'truncate', from: index });
        }
      }
      fresh.push({ index, term: e.term, requests: e.requests });
    }
    if (fresh.length > 0) {
      this.log.append(fresh);
      this.persist({ type: 'append', entries: fresh });
    }
    const lastNew = prevIndex + entries.length;
    this.commitTo(Math.min(leaderCommit, lastNew));
    this.ack(msg.sender, true, lastNew);
  }

  protected onInstallSnapshot(msg: CftVerified<'install-snapshot'>): void {
    const b = msg.body;
    if (b.term < this.currentTerm) {
      this.ack(msg.sender, false, 0);
      return this.ignore(msg.kind, msg.sender, 'stale-term');
    }
    this.follow(msg.sender);
    // Committed entries match the leader's: nothing to install, and the log matches up to the commit.
    if (b.lastIncludedIndex <= this.commit) return this.ack(msg.sender, true, this.commit);
    const key = `${b.lastIncludedIndex}:${b.lastIncludedTerm}:${b.parts}:${hexOf(b.stateDigest)}`;
    if (this.incoming?.key !== key) {
      this.incoming = { key, parts: Array<Uint8Array | undefined>(b.parts).fill(undefined), received: 0 };
    }
    const incoming = this.incoming;
    if (incoming.parts[b.part] === undefined) {
      incoming.parts[b.part] = b.data;
      incoming.received++;
    }
    if (incoming.received < b.parts) return;
    this.incoming = undefined;
    const size = incoming.parts.reduce((sum, p) => sum + (p?.length ?? 0), 0);
    const data = new Uint8Array(size);
    let at = 0;
    for (const p of incoming.parts) {
      data.set(p!, at);
      at += p!.length;
    }
    this.install(msg, data);
  }

  /** Replaces the ledger by the leader's snapshot, if its bytes match the digest, and acknowledges it. */
  private install(msg: CftVerified<'install-snapshot'>, data: Uint8Array): void {
    const { lastIncludedIndex: index, lastIncludedTerm: term, stateDigest } = msg.body;
    if (!this.deps.stateMachine.restore(data, stateDigest)) {
      return this.ignore(msg.kind, msg.sender, 'bad-snapshot');
    }
    if (!this.log.resetTo(index, term)) this.persist({ type: 'truncate', from: index + 1 });
    this.snapshot = { index, term, stateDigest, snapshot: data };
    this.persist({ type: 'snapshot', how: 'installed', snapshot: this.snapshot });
    this.applied = index;
    this.commit = Math.max(this.commit, index);
    this.hardStateChanged();
    this.emit({ type: 'snapshot-installed', index, stateDigest });
    this.ack(msg.sender, true, index);
  }
}
