/** Checkpoint votes and stable-checkpoint certificates. */
import type { Message } from '../../messages/types.js';
import { hexOf } from '../quorum.js';

/** A checkpoint that a quorum of replicas signed: proof that the state at `seq` has this digest. */
export interface CheckpointCertificate {
  /** Sequence number of the checkpoint. */
  readonly seq: number;
  /** The ledger digest after executing `seq`. */
  readonly stateDigest: Uint8Array;
  /** A quorum of matching CHECKPOINT envelopes from distinct replicas. */
  readonly proof: readonly Message<'checkpoint'>[];
}

/** Checkpoints a replica keeps per sender, newest first; bounds memory against a flooding peer. */
const PER_SENDER = 4;

/** Collects CHECKPOINT votes until some (seq, digest) gathers a quorum. */
export class CheckpointVotes {
  /** Votes by seq, then by sender. */
  private readonly bySeq = new Map<number, Map<number, Message<'checkpoint'>>>();
  /** Sequence numbers each sender has votes for, to evict the oldest. */
  private readonly bySender = new Map<number, number[]>();

  constructor(private readonly quorum: number) {}

  /**
   * Adds a vote. Returns the certificate when this vote completes a quorum for its (seq, digest),
   * 'duplicate' when the sender already voted at that seq for the same digest, its earlier vote
   * when it voted for another digest (equivocation), or null.
   */
  add(
    msg: Message<'checkpoint'>,
  ): CheckpointCertificate | 'duplicate' | { conflict: Message<'checkpoint'> } | null {
    const { seq } = msg.body;
    let votes = this.bySeq.get(seq);
    const earlier = votes?.get(msg.sender);
    if (earlier) {
      return hexOf(earlier.body.stateDigest) === hexOf(msg.body.stateDigest)
        ? 'duplicate'
        : { conflict: earlier };
    }
    if (!votes) {
      votes = new Map();
      this.bySeq.set(seq, votes);
    }
    votes.set(msg.sender, msg);
    this.remember(msg.sender, seq);
    const digestHex = hexOf(msg.body.stateDigest);
    const proof = [...votes.values()].filter((v) => hexOf(v.body.stateDigest) === digestHex);
    if (proof.length < this.quorum) return null;
    return { seq, stateDigest: msg.body.stateDigest, proof: proof.slice(0, this.quorum) };
  }

  /** Drops every vote at or below `seq` (after a checkpoint at `seq` became stable). */
  prune(seq: number): void {
    for (const s of [...this.bySeq.keys()]) if (s <= seq) this.bySeq.delete(s);
    for (const [sender, seqs] of this.bySender) {
      const kept = seqs.filter((s) => s > seq);
      if (kept.length > 0) this.bySender.set(sender, kept);
      else this.bySender.delete(sender);
    }
  }

  private remember(sender: number, seq: number): void {
    const seqs = this.bySender.get(sender) ?? [];
    seqs.push(seq);
    seqs.sort((a, b) => b - a);
    while (seqs.length > PER_SENDER) {
      const evicted = seqs.pop()!;
      this.bySeq.get(evicted)?.delete(sender);
      if (this.bySeq.get(evicted)?.size === 0) this.bySeq.delete(evicted);
    }
    this.bySender.set(sender, seqs);
  }
}
