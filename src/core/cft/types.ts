/**
 * The crash-fault (Raft-like) core's contract: configuration, injected dependencies, inputs and
 * outputs of `CftReplica.step`, what it persists and what it restarts from.
 *
 * Ordering contract: the runtime carries out a step's outputs in order, and a `persist` output is
 * durable before any later `send`, `broadcast`, `reply` or `redirect` of the same step leaves the
 * process. The core emits every persist of a step before the step's first message, so one sync per
 * step (or per event-loop turn, for a group of steps) suffices. What this buys: a replica never
 * grants two votes in one term, and never acknowledges log entries it could lose, even across a
 * crash and restart (Raft's persistent state: current term, vote, log).
 *
 * Trust model (DESIGN section 5): replicas may crash but never lie, so their messages are unsigned
 * and the transport authenticates the sender. Clients are not trusted: their REQUESTs are signed
 * and the boundary verifies each one before the leader sees it; followers take the requests inside
 * an append-entries from their leader without verifying them again.
 */
import type { AnyCftVerified, CftEntryIn, CftMessage } from '../../messages/cft-types.js';
import type { Message, VerifiedMessage } from '../../messages/types.js';
import type { Rng, StateMachine } from '../types.js';

/** Protocol parameters every replica of a crash-fault cluster shares (except `id`). */
export interface CftConfig {
  /** Number of replicas; a majority floor(n / 2) + 1 commits, so n = 2f + 1 tolerates f crashes. */
  readonly n: number;
  /** This replica's id, 0 <= id < n. */
  readonly id: number;
  /** 16-byte cluster id: every envelope carries it, and client signatures cover it. */
  readonly cluster: Uint8Array;
  /** Most client requests the leader puts in one log entry. */
  readonly maxBatch: number;
  /** Most entries the leader has appended but not committed at once (its own no-op included). */
  readonly maxInflight: number;
  /** Most entries in one append-entries (also bounded by `CFT_LIMITS.maxAppendBytes`). */
  readonly maxAppendEntries: number;
  /** Ticks between two heartbeats (append-entries to every follower) of a leader. */
  readonly heartbeatTicks: number;
  /** Smallest election timeout, ticks: a follower that hears no leader for this long may stand. */
  readonly electionTimeoutMinTicks: number;
  /** Largest election timeout, ticks: each timeout is drawn uniformly in [min, max] from the Rng. */
  readonly electionTimeoutMaxTicks: number;
  /** K: the log is compacted to a ledger snapshot every K applied entries. */
  readonly snapshotInterval: number;
  /** Bytes per install-snapshot chunk (at most `LIMITS.maxChunkBytes`). */
  readonly chunkBytes: number;
}

/** What the core needs injected. */
export interface CftDeps {
  /** The replicated state machine (the ledger): exactly-once through its per-client reply cache. */
  readonly stateMachine: StateMachine;
  /** Seeded randomness: election timeouts only. */
  readonly rng: Rng;
}

/** A replica's role in its current term. */
export type CftRole = 'follower' | 'candidate' | 'leader';

/** One entry of the replicated log. */
export interface LogEntry {
  /** Its position, from 1. */
  readonly index: number;
  /** The term of the leader that created it. */
  readonly term: number;
  /** Client REQUEST envelopes, decoded; empty for a leader's no-op. */
  readonly requests: readonly Message<'request'>[];
}

/** Something that happens to a replica. */
export type CftInput =
  /** A message from replica `msg.sender`, as the transport authenticated it and the boundary checked it. */
  | { readonly type: 'message'; readonly msg: AnyCftVerified }
  /** A client REQUEST whose signature the boundary verified. */
  | { readonly type: 'request'; readonly request: VerifiedMessage<'request'> }
  /** A time step; heartbeats and election timeouts are counted in ticks. */
  | { readonly type: 'tick' };

/** A ledger snapshot and the log position it stands for. */
export interface CftSnapshot {
  /** The last log index it includes. */
  readonly index: number;
  /** The term of that entry. */
  readonly term: number;
  /** The ledger digest of the snapshot: `restore` checks it. */
  readonly stateDigest: Uint8Array;
  /** The ledger's canonical encoding. */
  readonly snapshot: Uint8Array;
}

/** What a replica must make durable (see the ordering contract above). */
export type CftPersistRecord =
  /** Raft's hard state: the current term, the vote cast in it, and the commit index known. */
  | {
      readonly type: 'hard-state';
      readonly term: number;
      /** The candidate voted for in `term`, or undefined. */
      readonly votedFor: number | undefined;
      /** Entries up to here are committed (a restart applies them again before anything else). */
      readonly commit: number;
    }
  /** Entries appended at the end of the log, in index order (right after the current last one). */
  | { readonly type: 'append'; readonly entries: readonly LogEntry[] }
  /** Every entry at index >= `from` is removed (a follower's conflicting, uncommitted suffix). */
  | { readonly type: 'truncate'; readonly from: number }
  /**
   * The ledger snapshot at `snapshot.index` replaces the previous one, and entries at or below it
   * may be dropped: `taken` when this replica compacted its own log, `installed` when its leader sent
   * it (then a `truncate` record precedes it if the rest of the log did not match).
   */
  | { readonly type: 'snapshot'; readonly how: 'taken' | 'installed'; readonly snapshot: CftSnapshot };

/** Why an input did not change the replica's state; stable strings used as metric labels. */
export type CftIgnoreReason =
  /** A message of a term below the replica's current term. */
  | 'stale-term'
  /** A vote or ack for a role this replica no longer (or never) had in that term. */
  | 'not-candidate'
  | 'not-leader'
  /** A vote refused: already voted for another candidate in this term. */
  | 'already-voted'
  /** A vote refused: the candidate's log is less up to date than this replica's. */
  | 'stale-log'
  /** An append-entries whose (prevIndex, prevTerm) this log does not have (answered with a hint). */
  | 'log-mismatch'
  /** A client request already in the log (or the batch being filled), not yet executed. */
  | 'duplicate'
  /** A client request older than the client's last executed one. */
  | 'stale-request'
  /** A retried request: answered from the reply cache, not executed again. */
  | 'already-executed'
  /** A client request sent to a replica that is not the leader: answered with a redirect. */
  | 'not-leader-redirected'
  /** A snapshot whose bytes do not restore to its digest. */
  | 'bad-snapshot'
  /** A kind a replica never receives (client-bound messages). */
  | 'unexpected-kind';

/** An action the runtime must carry out, in order. */
export type CftOutput =
  /** Send to one replica. */
  | { readonly type: 'send'; readonly to: number; readonly msg: CftMessage }
  /** Send to every other replica. */
  | { readonly type: 'broadcast'; readonly msg: CftMessage }
  /** The leader's result for a client request. */
  | { readonly type: 'reply'; readonly client: number; readonly msg: CftMessage<'cft-reply'> }
  /** Tells a client which replica leads (or that none is known). */
  | { readonly type: 'redirect'; readonly client: number; readonly msg: CftMessage<'redirect'> }
  /** Make durable before any message of this step leaves. */
  | { readonly type: 'persist'; readonly record: CftPersistRecord }
  /** A committed entry was applied at `index`, in order (for observers, checkers and metrics). */
  | {
      readonly type: 'executed';
      readonly index: number;
      readonly term: number;
      readonly requests: readonly Message<'request'>[];
      /** Per request: whether the state machine executed it (false: stale or duplicate). */
      readonly applied: readonly boolean[];
    }
  /** The ledger was replaced by the leader's snapshot at `index` (verified against its digest). */
  | { readonly type: 'snapshot-installed'; readonly index: number; readonly stateDigest: Uint8Array }
  /** The current term rose (a higher term was seen, or this replica stood for election). */
  | { readonly type: 'term-changed'; readonly term: number }
  /** This replica stood for election in `term` (a candidate voting for itself). */
  | { readonly type: 'election-started'; readonly term: number }
  /** This replica learned (or, when `leader` is its own id, won) the leader of `term`. */
  | { readonly type: 'leader-elected'; readonly term: number; readonly leader: number }
  /** An input was dropped or refused by the core, with the reason (for logs and metrics). */
  | {
      readonly type: 'ignored';
      readonly kind: string;
      readonly from: number;
      readonly reason: CftIgnoreReason;
    };

/** What a replica restarts from: exactly what its persist records left on disk. */
export interface CftRecoveredState {
  /** The last hard state persisted (term 0, no vote, commit 0 on a fresh disk). */
  readonly term: number;
  /** The vote cast in `term`, if any. */
  readonly votedFor: number | undefined;
  /** The commit index persisted: the restart applies the log up to here. */
  readonly commit: number;
  /** The last snapshot persisted (taken or installed), if any. */
  readonly snapshot: CftSnapshot | undefined;
  /** The log after the snapshot, gapless and in index order. */
  readonly entries: readonly LogEntry[];
}

/** What the runtime's status and the simulator read from a replica; all read-only. */
export interface CftStatus {
  /** The current term. */
  readonly term: number;
  /** Follower, candidate or leader. */
  readonly role: CftRole;
  /** The leader of the current term, when known. */
  readonly leader: number | undefined;
  /** Highest log index known committed. */
  readonly commitIndex: number;
  /** Highest log index applied to the ledger. */
  readonly lastApplied: number;
  /** Index of the last log entry (the snapshot's index when the log after it is empty). */
  readonly lastIndex: number;
  /** Entries held in memory after the snapshot. */
  readonly logLength: number;
  /** The last log index the current snapshot includes (0: none). */
  readonly snapshotIndex: number;
}

/** Re-exported for the core's users: an append-entries entry as the boundary hands it over. */
export type { CftEntryIn };
