/**
 * Per-request checkers: validity (only issued requests are applied), exactly-once (no replica
 * applies one (client, timestamp) twice), in-order execution without gaps (except across a state
 * transfer), agreement of correct replicas' replies, client-observed order (a client's sequential
 * requests execute at increasing seqs), and completion (what a client accepted was applied by
 * enough correct replicas and equals what they replied).
 */

import { toHex } from '../crypto/hex.js';
import type { CheckerConfig, Report } from './checkers.js';
import type { Completion } from './closed-loop-client.js';

/** A batch (or log entry) a replica executed at `seq`, whatever the protocol. */
export interface ExecutedBatch {
  /** Its sequence number (log index). */
  readonly seq: number;
  /** Its requests, in order. */
  readonly requests: readonly { readonly body: { readonly client: number; readonly timestamp: number } }[];
  /** Per request: whether the state machine executed it. */
  readonly applied: readonly boolean[];
}

/** A replica's answer to a client, whatever the protocol. */
export interface ReplyRecordIn {
  /** The client. */
  readonly client: number;
  /** The request's timestamp. */
  readonly timestamp: number;
  /** Where it executed. */
  readonly seq: number;
  /** The result. */
  readonly result: Uint8Array;
}

/** The map key of one request. */
function keyOf(client: number, timestamp: number): string {
  return `${client}:${timestamp}`;
}

/** Validity, exactly-once and in-order execution. */
export class ExecutionChecker {
  /** Requests the simulated clients issued. */
  private readonly issuedKeys = new Set<string>();
  /** Per replica: the last executed seq (0 at genesis). */
  private readonly lastSeq = new Map<number, number>();
  /** Per replica: the requests it applied. */
  private readonly appliedBy = new Map<number, Set<string>>();
  /** Per request: seq -> correct replicas that applied it there. */
  readonly appliedAt = new Map<string, Map<number, Set<number>>>();
  /** Per correct replica: the highest seq it reached by state transfer. */
  readonly transferredTo = new Map<number, number>();
  /** Per correct replica: requests it holds only through a state transfer (never to be applied again). */
  private readonly heldBy = new Map<number, Set<string>>();

  constructor(
    /** The cluster and who is correct. */
    private readonly config: CheckerConfig,
    /** Where violations go. */
    private readonly report: Report,
  ) {}

  /** A client issued (client, timestamp). */
  issued(client: number, timestamp: number): void {
    this.issuedKeys.add(keyOf(client, timestamp));
  }

  /** A replica executed a batch. */
  executed(replica: number, out: ExecutedBatch): void {
    if (!this.config.isCorrect(replica)) return;
    const last = this.lastSeq.get(replica) ?? 0;
    if (out.seq !== last + 1) {
      this.report(
        'order',
        `replica ${replica} seq ${out.seq}: executed after seq ${last} (expected ${last + 1})`,
      );
    }
    this.lastSeq.set(replica, Math.max(last, out.seq));
    if (out.applied.length !== out.requests.length) {
      this.report(
        'validity',
        `replica ${replica} seq ${out.seq}: ${out.applied.length} flags for ${out.requests.length} requests`,
      );
    }
    let applied = this.appliedBy.get(replica);
    if (applied === undefined) {
      applied = new Set();
      this.appliedBy.set(replica, applied);
    }
    for (const [i, req] of out.requests.entries()) {
      if (out.applied[i] !== true) continue;
      const key = keyOf(req.body.client, req.body.timestamp);
      if (!this.issuedKeys.has(key)) {
        this.report(
          'validity',
          `replica ${replica} seq ${out.seq}: applied request ${key} that no client issued`,
        );
      }
      if (applied.has(key)) {
        this.report(
          'exactly-once',
          `replica ${replica} seq ${out.seq}: applied request ${key} a second time`,
        );
      } else if (this.heldBy.get(replica)?.has(key) === true) {
        this.report(
          'exactly-once',
          `replica ${replica} seq ${out.seq}: applied request ${key} that a state transfer already gave it`,
        );
      }
      applied.add(key);
      let bySeq = this.appliedAt.get(key);
      if (bySeq === undefined) {
        bySeq = new Map();
        this.appliedAt.set(key, bySeq);
      }
      const replicas = bySeq.get(out.seq) ?? new Set<number>();
      replicas.add(replica);
      bySeq.set(out.seq, replicas);
    }
  }

  /**
   * A replica jumped to `seq` by state transfer: the requests correct replicas applied in
   * (its last seq, seq] are now in its ledger, so it must never apply them itself.
   */
  transferred(replica: number, seq: number): void {
    if (!this.config.isCorrect(replica)) return;
    const last = this.lastSeq.get(replica) ?? 0;
    if (seq < last) {
      this.report('order', `replica ${replica} seq ${seq}: state transfer back from executed seq ${last}`);
    }
    this.lastSeq.set(replica, Math.max(last, seq));
    this.transferredTo.set(replica, Math.max(this.transferredTo.get(replica) ?? 0, seq));
    const applied = this.appliedBy.get(replica);
    let held = this.heldBy.get(replica);
    for (const [key, bySeq] of this.appliedAt) {
      if (applied?.has(key) === true || held?.has(key) === true) continue;
      if (![...bySeq.keys()].some((s) => s > last && s <= seq)) continue;
      if (held === undefined) {
        held = new Set();
        this.heldBy.set(replica, held);
      }
      held.add(key);
    }
  }

  /** A replica restarted from its store at `seq` (it re-executed up to there without outputs). */
  restarted(replica: number, seq: number): void {
    if (this.config.isCorrect(replica)) this.lastSeq.set(replica, seq);
  }

  /** Requests a replica applied itself, and those it holds through state transfers only. */
  tally(replica: number): { readonly applied: number; readonly heldByTransfer: number } {
    return {
      applied: this.appliedBy.get(replica)?.size ?? 0,
      heldByTransfer: this.heldBy.get(replica)?.size ?? 0,
    };
  }
}

/** What correct replicas replied to one request. */
interface ReplyRecord {
  /** The seq replied. */
  readonly seq: number;
  /** The result, hex. */
  readonly resultHex: string;
  /** The first correct replica that replied it. */
  readonly replica: number;
}

/** Reply agreement among correct replicas, and client completions against the replicas' record. */
export class CompletionChecker {
  /** Per request: what the first correct replica replied. */
  private readonly replies = new Map<string, ReplyRecord>();
  /** Every completion, checked at the end (when all executions are known). */
  private readonly completions: Completion[] = [];
  /** Per client: the seq of its last completion (a later request must execute later). */
  private readonly lastCompletedSeq = new Map<number, number>();

  constructor(
    /** The cluster and who is correct. */
    private readonly config: CheckerConfig,
    /** Where violations go. */
    private readonly report: Report,
    /** Where applications of each request are recorded. */
    private readonly execution: ExecutionChecker,
  ) {}

  /** A replica replied to a client. */
  reply(replica: number, body: ReplyRecordIn): void {
    if (!this.config.isCorrect(replica)) return;
    const key = keyOf(body.client, body.timestamp);
    const resultHex = toHex(body.result);
    const first = this.replies.get(key);
    if (first === undefined) {
      this.replies.set(key, { seq: body.seq, resultHex, replica });
    } else if (first.seq !== body.seq || first.resultHex !== resultHex) {
      this.report(
        'reply',
        `replica ${replica} seq ${body.seq}: replied ${resultHex} to ${key}, replica ${first.replica} replied ${first.resultHex} at seq ${first.seq}`,
      );
    }
  }

  /** A client accepted a result; its requests are sequential, so their seqs must increase. */
  completed(c: Completion): void {
    this.completions.push(c);
    const previous = this.lastCompletedSeq.get(c.client);
    if (previous !== undefined && c.seq <= previous) {
      this.report(
        'client-order',
        `client ${c.client} timestamp ${c.timestamp} seq ${c.seq}: accepted at or before seq ${previous} of its previous request`,
      );
    }
    this.lastCompletedSeq.set(c.client, c.seq);
  }

  /** Correct replicas needed to hold a completed request: f + 1 minus the faulty ones, at least 1. */
  private required(): number {
    let faulty = 0;
    for (let r = 0; r < this.config.n; r++) if (!this.config.isCorrect(r)) faulty++;
    return Math.max(1, this.config.f + 1 - faulty);
  }

  /** Checks every completion against the replicas' executions and replies. */
  finish(): void {
    const required = this.required();
    for (const c of this.completions) {
      const key = keyOf(c.client, c.timestamp);
      const where = `client ${c.client} timestamp ${c.timestamp} seq ${c.seq}`;
      const appliedAt = this.execution.appliedAt.get(key);
      const applied = appliedAt?.get(c.seq) ?? new Set<number>();
      if (appliedAt !== undefined && [...appliedAt.keys()].some((s) => s !== c.seq)) {
        this.report('completion', `${where}: also applied at seq ${[...appliedAt.keys()].join(', ')}`);
      }
      const holders = new Set(applied);
      for (const [replica, to] of this.execution.transferredTo) if (to >= c.seq) holders.add(replica);
      if (applied.size === 0) {
        this.report('completion', `${where}: accepted by the client but applied there by no correct replica`);
      } else if (holders.size < required) {
        this.report('completion', `${where}: held by ${holders.size} correct replicas, need ${required}`);
      }
      const record = this.replies.get(key);
      const resultHex = toHex(c.result);
      if (record === undefined) {
        this.report('completion', `${where}: no correct replica replied to it`);
      } else if (record.seq !== c.seq || record.resultHex !== resultHex) {
        this.report(
          'completion',
          `${where}: client accepted ${resultHex}, correct replica ${record.replica} replied ${record.resultHex} at seq ${record.seq}`,
        );
      }
    }
  }
}
