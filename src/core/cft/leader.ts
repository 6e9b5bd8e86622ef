/**
 * The leader's half of log replication. Client requests are verified at the boundary, then batched
 * into log entries the way our PBFT primary batches (adaptive: an entry is proposed at once when
 * nothing is in flight, otherwise only when full, with at most `maxInflight` entries appended but
 * not committed), so the comparison of the two protocols is fair. Each follower has a next index
 * (optimistic: it moves past what was sent, and a refusal moves it back to the follower's hint)
 * and a match index (what the follower acknowledged). An entry is committed once a majority holds
 * it, counted only for entries of the leader's own term (Raft, section 5.4.2): earlier entries are
 * then committed with it. A follower that needs entries the leader compacted away gets the
 * snapshot instead. A new leader appends a no-op of its term, so earlier entries commit promptly.
 */
import { requestKey } from '../../messages/batch-digest.js';
import type { CftVerified } from '../../messages/cft-types.js';
import { CFT_LIMITS, type CftWireEntry, NO_LEADER } from '../../messages/schema.js';
import type { VerifiedMessage } from '../../messages/types.js';
import { invariant } from '../quorum.js';
import { CftBase } from './base.js';
import type { LogEntry } from './types.js';

/** Leader-side replication state and rules. */
export abstract class CftLeader extends CftBase {
  /** Leader: per replica, the next index to send (past what is in flight). */
  protected readonly nextIndex: number[];
  /** Leader: per replica, the highest index known replicated there (its own: the last index). */
  protected readonly matchIndex: number[];
  /** Leader: per replica, the tick its snapshot was last sent at (resent at most once per min election timeout). */
  protected readonly snapshotSentAt: (number | undefined)[];
  /** Leader: ticks since the last heartbeat. */
  protected heartbeatElapsed = 0;
  /** Leader: requests waiting for an entry, one per client (the newest timestamp). */
  protected readonly pending = new Map<number, VerifiedMessage<'request'>>();
  /** Leader: requests (client:timestamp) in entries not yet applied: never appended twice. */
  protected readonly inLog = new Set<string>();

  constructor(...args: ConstructorParameters<typeof CftBase>) {
    super(...args);
    const n = this.config.n;
    this.nextIndex = Array<number>(n).fill(1);
    this.matchIndex = Array<number>(n).fill(0);
    this.snapshotSentAt = Array<number | undefined>(n).fill(undefined);
  }

  /** Whether this replica leads the current term. */
  get isLeader(): boolean {
    return this.currentRole === 'leader';
  }

  protected leaderLost(): void {
    this.pending.clear();
    this.inLog.clear();
  }

  protected requestsApplied(entry: LogEntry): void {
    for (const r of entry.requests) this.inLog.delete(requestKey(r.body.client, r.body.timestamp));
  }

  /** Wins the election: every follower starts at the end of the log; a no-op of this term goes first. */
  protected becomeLeader(): void {
    const { n, id } = this.config;
    this.currentRole = 'leader';
    this.leaderId = id;
    this.heartbeatElapsed = 0;
    this.nextIndex.fill(this.log.lastIndex + 1);
    this.matchIndex.fill(0);
    this.snapshotSentAt.fill(undefined);
    this.inLog.clear();
    for (let i = this.applied + 1; i <= this.log.lastIndex; i++) {
      for (const r of this.log.entryAt(i)?.requests ?? [])
        this.inLog.add(requestKey(r.body.client, r.body.timestamp));
    }
    this.emit({ type: 'leader-elected', term: this.currentTerm, leader: id });
    this.appendEntry([]);
    for (let to = 0; to < n; to++) if (to !== id) this.sendAppend(to);
  }

  // ---- client requests ----------------------------------------------------------------------

  /** Why a verified client request changes nothing here; answers a retry from the reply cache. */
  private ignoreRequest(
    req: VerifiedMessage<'request'>,
  ): 'stale-request' | 'already-executed' | 'duplicate' | null {
    const { client, timestamp } = req.body;
    const cached = this.deps.stateMachine.lastReply(client);
    if (cached !== undefined && timestamp < cached.timestamp) return 'stale-request';
    if (cached !== undefined && timestamp === cached.timestamp) {
      this.reply(req, cached.seq, cached.result);
      return 'already-executed';
    }
    if (this.inLog.has(requestKey(client, timestamp))) return 'duplicate';
    const queued = this.pending.get(client);
    if (queued !== undefined && queued.body.timestamp >= timestamp) return 'duplicate';
    return null;
  }

  /** A client request: the leader batches it; anyone else redirects the client to the leader it knows. */
  protected onRequest(req: VerifiedMessage<'request'>): void {
    const { client, timestamp } = req.body;
    if (!this.isLeader) {
      const leader = this.leaderId ?? NO_LEADER;
      const msg = this.message('redirect', { term: this.currentTerm, client, timestamp, leader });
      this.emit({ type: 'redirect', client, msg });
      return this.ignore(req.kind, client, 'not-leader-redirected');
    }
    const reason = this.ignoreRequest(req);
    if (reason !== null) return this.ignore(req.kind, client, reason);
    this.pending.set(client, req);
    this.tryPropose();
  }

  /**
   * Adaptive batching: propose at once when nothing is in flight (low latency at light load);
   * while entries are in flight, propose only full batches, up to `maxInflight` uncommitted entries.
   */
  protected tryPropose(): void {
    const { maxBatch, maxInflight } = this.config;
    while (this.isLeader && this.pending.size > 0) {
      const inflight = this.log.lastIndex - this.commit;
      if (inflight >= maxInflight || (inflight > 0 && this.pending.size < maxBatch)) return;
      const batch = [...this.pending.values()].slice(0, maxBatch);
      for (const r of batch) this.pending.delete(r.body.client);
      this.appendEntry(batch);
      this.replicate();
    }
  }

  /** Appends an entry of the current term to the leader's log (durably, before it is sent). */
  private appendEntry(requests: LogEntry['requests']): void {
    const entry: LogEntry = { index: this.log.lastIndex + 1, term: this.currentTerm, requests };
    this.log.append([entry]);
    this.persist({ type: 'append', entries: [entry] });
    for (const r of requests) this.inLog.add(requestKey(r.body.client, r.body.timestamp));
    this.matchIndex[this.config.id] = entry.index;
    this.advanceCommit();
  }

  /** Sends what each follower has not been sent yet. */
  private replicate(): void {
    const { n, id } = this.config;
    for (let to = 0; to < n; to++)
      if (to !== id && this.nextIndex[to]! <= this.log.lastIndex) this.sendAppend(to);
  }

  // ---- sending ------------------------------------------------------------------------------

  /** A leader's tick: a heartbeat to every follower every `heartbeatTicks`. */
  protected leaderTick(): void {
    if (++this.heartbeatElapsed < this.config.heartbeatTicks) return;
    this.heartbeatElapsed = 0;
    for (let to = 0; to < this.config.n; to++) if (to !== this.config.id) this.sendAppend(to);
  }

  /**
   * Sends follower `to` the entries from its next index (none: a heartbeat), as many as the limits
   * allow, and moves its next index past them; the snapshot when those entries were compacted.
   */
  protected sendAppend(to: number): void {
    const next = this.nextIndex[to]!;
    if (next <= this.log.snapshotIndex) return this.sendSnapshot(to);
    const prevIndex = next - 1;
    const prevTerm = this.log.termAt(prevIndex);
    invariant(prevTerm !== undefined, `term of ${prevIndex} is known`);
    const last = Math.min(this.log.lastIndex, next + this.config.maxAppendEntries - 1);
    const entries: CftWireEntry[] = [];
    let bytes = 0;
    for (const e of next <= last ? this.log.slice(next, last) : []) {
      const size = e.requests.reduce((sum, r) => sum + r.bytes.length, 0);
      if (entries.length > 0 && bytes + size > CFT_LIMITS.maxAppendBytes) break;
      bytes += size;
      entries.push({ term: e.term, requests: e.requests.map((r) => r.bytes) });
    }
    const body = { term: this.currentTerm, prevIndex, prevTerm, leaderCommit: this.commit, entries };
    this.send(to, 'append-entries', body);
    this.nextIndex[to] = next + entries.length;
  }

  /**
   * Sends the snapshot to a follower that needs compacted entries, in chunks; at most once per
   * minimum election timeout (meanwhile a heartbeat at the snapshot point keeps it following).
   */
  private sendSnapshot(to: number): void {
    const snap = this.snapshot;
    invariant(
      snap !== undefined && snap.index === this.log.snapshotIndex,
      'a compacted log has its snapshot',
    );
    const sentAt = this.snapshotSentAt[to];
    if (sentAt !== undefined && this.now - sentAt < this.config.electionTimeoutMinTicks) {
      const { index: prevIndex, term: prevTerm } = snap;
      const body = { term: this.currentTerm, prevIndex, prevTerm, leaderCommit: this.commit, entries: [] };
      return this.send(to, 'append-entries', body);
    }
    this.snapshotSentAt[to] = this.now;
    const { chunkBytes } = this.config;
    const parts = Math.max(1, Math.ceil(snap.snapshot.length / chunkBytes));
    for (let part = 0; part < parts; part++) {
      this.send(to, 'install-snapshot', {
        term: this.currentTerm,
        lastIncludedIndex: snap.index,
        lastIncludedTerm: snap.term,
        stateDigest: snap.stateDigest,
        part,
        parts,
        data: snap.snapshot.subarray(part * chunkBytes, (part + 1) * chunkBytes),
      });
    }
    this.nextIndex[to] = snap.index + 1;
  }

  // ---- acknowledgements and commit ----------------------------------------------------------

  /** A follower's answer of the current term: record what it holds, commit, send what it lacks. */
  protected onAck(msg: CftVerified<'append-ack'>): void {
    if (!this.isLeader) return this.ignore(msg.kind, msg.sender, 'not-leader');
    const from = msg.sender;
    const { success, index } = msg.body;
    if (success) {
      invariant(index <= this.log.lastIndex, 'a follower acknowledges only what the leader sent');
      this.matchIndex[from] = Math.max(this.matchIndex[from]!, index);
      this.nextIndex[from] = Math.max(this.nextIndex[from]!, index + 1);
      this.advanceCommit();
      if (this.isLeader && this.nextIndex[from]! <= this.log.lastIndex) this.sendAppend(from);
      return;
    }
    const back = Math.max(this.matchIndex[from]! + 1, index + 1);
    if (back >= this.nextIndex[from]!) return;
    this.nextIndex[from] = back;
    this.sendAppend(from);
  }

  /**
   * Commits the highest index a majority holds, but only through an entry of the current term:
   * an older term's entry is never committed by counting replicas (it may still be overwritten).
   */
  protected advanceCommit(): void {
    const held = [...this.matchIndex].sort((a, b) => b - a);
    const candidate = held[this.quorum - 1]!;
    if (candidate <= this.commit || this.log.termAt(candidate) !== this.currentTerm) return;
    this.commitTo(candidate);
    this.tryPropose();
  }
}
