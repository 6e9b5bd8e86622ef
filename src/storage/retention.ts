/**
 * What a store keeps, decided once for every store: the index of the keys a store holds, and the
 * planner that turns each persist record into puts and deletes on that key space. A stable
 * checkpoint prunes by deleting the keys the index knows below it, in the same group as the
 * checkpoint itself, so pruning is as atomic as the append that caused it.
 */
import type { PersistRecord } from '../core/pbft/types.js';
import type { AnyMessage, Message } from '../messages/types.js';
import {
  type Entry,
  executedKey,
  NEW_VIEW_KEY,
  parseKey,
  preparedKey,
  STABLE_KEY,
  type StoreOp,
  VIEW_CHANGE_KEY,
  voteKey,
} from './layout.js';

/** Rank of a slot whose stored value was corrupt: any new value replaces it. */
const LOST = -1;

/** The keys a store holds and what the planner needs to know about them. */
export class RetentionIndex {
  /** Seq of the stored stable checkpoint; undefined before the first one or when it was lost. */
  private stableSeq: number | undefined;
  /** Seqs with an executed key (readable or not): pruning deletes them. */
  private readonly executed = new Set<number>();
  /** View of the prepared certificate stored per seq (LOST when unreadable). */
  private readonly prepared = new Map<number, number>();
  /** Vote keys with their seq, and whether the stored value is readable (an unreadable one is rewritten). */
  private readonly votes = new Map<string, { readonly seq: number; readonly readable: boolean }>();
  /** New view of the stored VIEW-CHANGE (LOST when unreadable). */
  private viewChangeRank: number | undefined;
  /** View of the stored NEW-VIEW (LOST when unreadable). */
  private newViewRank: number | undefined;
  /** Append position of the next signed entry: above every stored one. */
  private nextOrder = 0;

  /** The index of a store that holds `readable` entries and the unreadable keys `lost`. */
  static rebuild(readable: ReadonlyMap<string, Entry>, lost: Iterable<string>): RetentionIndex {
    const index = new RetentionIndex();
    for (const [key, entry] of readable) index.note(key, entry);
    for (const key of lost) index.note(key, undefined);
    return index;
  }

  /** Records that `key` holds `entry` (undefined: an unreadable value). */
  private note(key: string, entry: Entry | undefined): void {
    const info = parseKey(key);
    if (info === undefined) return;
    switch (info.slot) {
      case 'stable':
        this.stableSeq = entry?.type === 'stable' ? entry.checkpoint.seq : undefined;
        return;
      case 'executed':
        this.executed.add(info.seq);
        return;
      case 'prepared':
        this.prepared.set(info.seq, entry?.type === 'prepared' ? entry.view : LOST);
        return;
      case 'vote':
        this.votes.set(key, { seq: info.seq, readable: entry !== undefined });
        break;
      case 'view-change':
        this.viewChangeRank = entry?.type === 'signed' ? entry.rank : LOST;
        break;
      case 'new-view':
        this.newViewRank = entry?.type === 'signed' ? entry.rank : LOST;
        break;
    }
    if (entry?.type === 'signed') this.nextOrder = Math.max(this.nextOrder, entry.order + 1);
  }

  /** Whether `seq` is at or below the stable checkpoint (nothing there needs keeping). */
  private covered(seq: number): boolean {
    return this.stableSeq !== undefined && seq <= this.stableSeq;
  }

  /** The changes that make `record` durable; updates the index as if they were applied. */
  plan(record: PersistRecord): StoreOp[] {
    switch (record.type) {
      case 'signed':
        return this.planSigned(record.msg);
      case 'prepared':
        return this.planPrepared(record);
      case 'executed':
        return this.planExecuted(record);
      case 'stable-checkpoint':
        return this.planStable(record);
      default:
        return unreachable(record, 'persist record type');
    }
  }

  /** A prepared certificate replaces one of a lower view for its seq. */
  private planPrepared(record: Extract<PersistRecord, { type: 'prepared' }>): StoreOp[] {
    const { seq, prePrepare } = record;
    const view = prePrepare.body.view;
    const stored = this.prepared.get(seq);
    if (this.covered(seq) || (stored !== undefined && view <= stored)) return [];
    this.prepared.set(seq, view);
    const prepares = record.prepares.map((p) => p.bytes);
    const entry: Entry = { type: 'prepared', seq, view, prePrepare: prePrepare.bytes, prepares };
    return [{ type: 'put', key: preparedKey(seq), entry }];
  }

  /** An executed batch above the checkpoint (a re-execution of a seq replaces the stored one). */
  private planExecuted(record: Extract<PersistRecord, { type: 'executed' }>): StoreOp[] {
    const { seq, prePrepare } = record;
    if (this.covered(seq)) return [];
    this.executed.add(seq);
    return [
      { type: 'put', key: executedKey(seq), entry: { type: 'executed', seq, prePrepare: prePrepare.bytes } },
    ];
  }

  /** A signed envelope: every vote above the checkpoint, the latest VIEW-CHANGE and NEW-VIEW. */
  private planSigned(msg: Message): StoreOp[] {
    const m = msg as AnyMessage;
    switch (m.kind) {
      case 'pre-prepare':
      case 'prepare':
      case 'commit':
        return this.planVote(
          voteKey(m.kind, m.body.view, m.body.seq, m.sender),
          m.body.seq,
          m.body.view,
          m.bytes,
        );
      case 'checkpoint':
        return this.planVote(voteKey(m.kind, 0, m.body.seq, m.sender), m.body.seq, 0, m.bytes);
      case 'view-change': {
        if (this.viewChangeRank !== undefined && m.body.newView <= this.viewChangeRank) return [];
        this.viewChangeRank = m.body.newView;
        return [this.putSigned(VIEW_CHANGE_KEY, m.body.newView, m.bytes)];
      }
      case 'new-view': {
        if (this.newViewRank !== undefined && m.body.view <= this.newViewRank) return [];
        this.newViewRank = m.body.view;
        return [this.putSigned(NEW_VIEW_KEY, m.body.view, m.bytes)];
      }
      // Nothing to protect: requests are the clients', the rest are neither votes nor proposals.
      case 'request':
      case 'reply':
      case 'fetch-state':
      case 'state-chunk':
        return [];
      default:
        return unreachable(m, 'message kind');
    }
  }

  /** A vote is kept once per key; the first envelope signed for a key stays. */
  private planVote(key: string, seq: number, rank: number, envelope: Uint8Array): StoreOp[] {
    if (this.covered(seq) || this.votes.get(key)?.readable) return [];
    this.votes.set(key, { seq, readable: true });
    return [this.putSigned(key, rank, envelope)];
  }

  /** Puts a signed envelope at the next append position. */
  private putSigned(key: string, rank: number, envelope: Uint8Array): StoreOp {
    return { type: 'put', key, entry: { type: 'signed', order: this.nextOrder++, rank, envelope } };
  }

  /** A newer stable checkpoint replaces the stored one and prunes everything at or below it. */
  private planStable(record: Extract<PersistRecord, { type: 'stable-checkpoint' }>): StoreOp[] {
    const { seq, stateDigest, snapshot } = record;
    if (this.covered(seq)) return [];
    this.stableSeq = seq;
    const proof = record.proof.map((p) => p.bytes);
    const ops: StoreOp[] = [
      {
        type: 'put',
        key: STABLE_KEY,
        entry: { type: 'stable', checkpoint: { seq, stateDigest, proof, snapshot } },
      },
    ];
    for (const s of this.executed) {
      if (s > seq) continue;
      this.executed.delete(s);
      ops.push({ type: 'del', key: executedKey(s) });
    }
    for (const s of this.prepared.keys()) {
      if (s > seq) continue;
      this.prepared.delete(s);
      ops.push({ type: 'del', key: preparedKey(s) });
    }
    for (const [key, vote] of this.votes) {
      if (vote.seq > seq) continue;
      this.votes.delete(key);
      ops.push({ type: 'del', key });
    }
    return ops;
  }
}

/** Compile-time exhaustiveness: a new record or message kind must be handled above. */
function unreachable(_: never, what: string): never {
  throw new Error(`storage: unhandled ${what}`);
}
