/**
 * The state every crash-fault replica keeps and the rules every role shares: terms (a higher term
 * makes a replica a follower of it), the durable hard state, output collection with the
 * persist-before-send ordering, applying committed entries in order to the state machine with the
 * reply cache's exactly-once rule, and log compaction to a ledger snapshot every K applied entries.
 * `leader.ts`, `follower.ts` and `replica.ts` add the roles on top.
 */
import type { CftMessage } from '../../messages/cft-types.js';
import type { CftBodyOf, CftKind } from '../../messages/schema.js';
import type { Message } from '../../messages/types.js';
import { invariant } from '../quorum.js';
import { RaftLog } from './log.js';
import type {
  CftConfig,
  CftDeps,
  CftIgnoreReason,
  CftOutput,
  CftPersistRecord,
  CftRole,
  CftSnapshot,
  CftStatus,
  LogEntry,
} from './types.js';

/** The majority of n: floor(n / 2) + 1. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Shared state and rules of a crash-fault replica. */
export abstract class CftBase implements CftStatus {
  /** The latest term this replica has seen (durable). */
  protected currentTerm = 0;
  /** The candidate this replica voted for in `currentTerm` (durable). */
  protected votedFor: number | undefined;
  /** Follower, candidate or leader of `currentTerm`. */
  protected currentRole: CftRole = 'follower';
  /** The leader of `currentTerm`, once known. */
  protected leaderId: number | undefined;
  /** The log (durable) after the last snapshot. */
  protected readonly log = new RaftLog();
  /** Highest index known committed (durable, so a restart re-applies up to it). */
  protected commit = 0;
  /** Highest index applied to the state machine. */
  protected applied = 0;
  /** The latest snapshot (taken or installed): what a lagging follower is sent. */
  protected snapshot: CftSnapshot | undefined;
  /** Ticks seen: the core's only clock. */
  protected now = 0;
  /** Ticks since the leader was last heard from (or this replica last voted or stood). */
  protected electionElapsed = 0;
  /** The current randomized election timeout, in [min, max] ticks. */
  protected electionTimeout: number;
  /** While restoring from disk: apply silently and take no snapshot (the disk already has one). */
  protected restoring = false;
  /** The hard state changed in this step: one record goes out with the step's persists. */
  private hardStateDirty = false;
  /** Outputs of the step in progress. */
  private out: CftOutput[] = [];
  /** Votes, acks and commits need this many replicas: floor(n / 2) + 1. */
  readonly quorum: number;

  constructor(
    /** Protocol parameters. */
    readonly config: CftConfig,
    /** Injected state machine and randomness. */
    protected readonly deps: CftDeps,
  ) {
    const { n, id, electionTimeoutMinTicks: lo, electionTimeoutMaxTicks: hi } = config;
    invariant(n >= 1 && id >= 0 && id < n, 'replica id in range');
    invariant(lo >= 1 && hi >= lo, 'election timeout range');
    invariant(config.heartbeatTicks >= 1 && config.heartbeatTicks < lo, 'heartbeats beat elections');
    invariant(config.maxBatch >= 1 && config.maxInflight >= 1 && config.maxAppendEntries >= 1, 'limits');
    invariant(config.snapshotInterval >= 1 && config.chunkBytes >= 1, 'snapshot parameters');
    this.quorum = majority(n);
    this.electionTimeout = this.drawTimeout();
  }

  /** The current term. */
  get term(): number {
    return this.currentTerm;
  }
  /** Follower, candidate or leader. */
  get role(): CftRole {
    return this.currentRole;
  }
  /** The leader of the current term, when known. */
  get leader(): number | undefined {
    return this.leaderId;
  }
  /** Highest log index known committed. */
  get commitIndex(): number {
    return this.commit;
  }
  /** Highest log index applied. */
  get lastApplied(): number {
    return this.applied;
  }
  /** Index of the last log entry. */
  get lastIndex(): number {
    return this.log.lastIndex;
  }
  /** Entries held after the snapshot. */
  get logLength(): number {
    return this.log.length;
  }
  /** The last index the current snapshot includes. */
  get snapshotIndex(): number {
    return this.log.snapshotIndex;
  }

  // ---- outputs ------------------------------------------------------------------------------

  /** Starts collecting a step's outputs. */
  protected beginStep(): void {
    this.out = [];
    this.hardStateDirty = false;
  }

  /**
   * Ends a step: its persist records first (the hard state last among them, if it changed), then
   * every other output in the order it was made. So the whole step's durable state is written
   * before any of its messages leave, whatever order the handlers produced them in.
   */
  protected endStep(): CftOutput[] {
    const persists = this.out.filter((o) => o.type === 'persist');
    if (this.hardStateDirty) {
      const { currentTerm: term, votedFor, commit } = this;
      persists.push({ type: 'persist', record: { type: 'hard-state', term, votedFor, commit } });
    }
    const rest = this.out.filter((o) => o.type !== 'persist');
    this.out = [];
    this.hardStateDirty = false;
    return [...persists, ...rest];
  }

  /** Adds an output. */
  protected emit(o: CftOutput): void {
    this.out.push(o);
  }

  /** Adds a persist record. */
  protected persist(record: CftPersistRecord): void {
    this.emit({ type: 'persist', record });
  }

  /** Marks the hard state (term, vote, commit) for persisting in this step. */
  protected hardStateChanged(): void {
    this.hardStateDirty = true;
  }

  /** A message of this replica. */
  protected message<K extends CftKind>(kind: K, body: CftBodyOf[K]): CftMessage<K> {
    return { kind, sender: this.config.id, body };
  }

  /** Sends a message to one replica. */
  protected send<K extends CftKind>(to: number, kind: K, body: CftBodyOf[K]): void {
    this.emit({ type: 'send', to, msg: this.message(kind, body) });
  }

  /** Sends a message to every other replica. */
  protected broadcast<K extends CftKind>(kind: K, body: CftBodyOf[K]): void {
    this.emit({ type: 'broadcast', msg: this.message(kind, body) });
  }

  /** Records that an input changed nothing, and why. */
  protected ignore(kind: string, from: number, reason: CftIgnoreReason): void {
    this.emit({ type: 'ignored', kind, from, reason });
  }

  // ---- terms and timers ---------------------------------------------------------------------

  /** A random election timeout in [min, max] ticks. */
  private drawTimeout(): number {
    const { electionTimeoutMinTicks: lo, electionTimeoutMaxTicks: hi } = this.config;
    return lo + this.deps.rng.int(hi - lo + 1);
  }

  /** Restarts the election timer with a fresh random timeout. */
  protected resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.electionTimeout = this.drawTimeout();
  }

  /** Moves to a higher term as a follower with no vote (Raft: any message of a higher term). */
  protected enterTerm(term: number): void {
    invariant(term > this.currentTerm, 'terms only grow');
    this.currentTerm = term;
    this.votedFor = undefined;
    this.leaderId = undefined;
    this.hardStateChanged();
    this.emit({ type: 'term-changed', term });
    this.becomeFollower();
  }

  /** Becomes a follower of the current term (a leader or candidate steps down). */
  protected becomeFollower(): void {
    if (this.currentRole !== 'follower') this.resetElectionTimer();
    this.currentRole = 'follower';
    this.leaderLost();
  }

  /** Follows `leader`, the sender of an append-entries or snapshot of the current term. */
  protected follow(leader: number): void {
    invariant(this.currentRole !== 'leader' || leader === this.config.id, 'one leader per term');
    if (this.currentRole === 'candidate') this.becomeFollower();
    this.electionElapsed = 0;
    if (this.leaderId === leader) return;
    this.leaderId = leader;
    this.emit({ type: 'leader-elected', term: this.currentTerm, leader });
  }

  /** Hook: the leader's volatile state is gone (this replica is no longer leader). */
  protected abstract leaderLost(): void;

  // ---- applying committed entries -----------------------------------------------------------

  /** Raises the commit index (durably) and applies what became committed. */
  protected commitTo(index: number): void {
    const target = Math.min(index, this.log.lastIndex);
    if (target <= this.commit) return;
    this.commit = target;
    this.hardStateChanged();
    this.applyCommitted();
  }

  /** Applies every committed entry not yet applied, in index order, then compacts if due. */
  protected applyCommitted(): void {
    while (this.applied < this.commit) {
      const entry = this.log.entryAt(this.applied + 1);
      invariant(entry !== undefined, `entry ${this.applied + 1} held for applying`);
      this.apply(entry);
    }
    if (!this.restoring && this.applied - this.log.snapshotIndex >= this.config.snapshotInterval) {
      this.takeSnapshot();
    }
  }

  /**
   * Executes one entry's requests. The ledger refuses a (client, timestamp) at or below the
   * client's last executed one, so a request that sits in two entries runs once; a leader answers
   * each request, from the reply cache when it did not run here.
   */
  private apply(entry: LogEntry): void {
    const sm = this.deps.stateMachine;
    const applied: boolean[] = [];
    for (const req of entry.requests) {
      const { client, timestamp, op } = req.body;
      const result = sm.execute(client, timestamp, op, entry.index);
      applied.push(result !== null);
      if (this.currentRole !== 'leader') continue;
      const cached = sm.lastReply(client);
      if (cached !== undefined && cached.timestamp === timestamp) this.reply(req, cached.seq, cached.result);
    }
    this.applied = entry.index;
    this.requestsApplied(entry);
    const { index, term, requests } = entry;
    this.emit({ type: 'executed', index, term, requests, applied });
  }

  /** Hook: an entry was applied (the leader forgets its requests as in-flight). */
  protected abstract requestsApplied(entry: LogEntry): void;

  /** Answers a client's request with the result it got at log `index`. */
  protected reply(req: Message<'request'>, index: number, result: Uint8Array): void {
    const { client, timestamp } = req.body;
    const msg = this.message('cft-reply', { term: this.currentTerm, client, timestamp, index, result });
    this.emit({ type: 'reply', client, msg });
  }

  /** Compacts the log to a snapshot of the ledger at the last applied index. */
  private takeSnapshot(): void {
    const sm = this.deps.stateMachine;
    const index = this.applied;
    const term = this.log.termAt(index);
    invariant(term !== undefined, 'the applied entry is held');
    const snapshot: CftSnapshot = { index, term, stateDigest: sm.digest(), snapshot: sm.snapshot() };
    this.log.compactTo(index);
    this.snapshot = snapshot;
    this.persist({ type: 'snapshot', how: 'taken', snapshot });
  }
}
