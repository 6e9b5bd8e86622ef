/**
 * A simulated PBFT client: a closed-loop client (see closed-loop-client.ts) that sends each request
 * to the primary of the view it believes current, and accepts a result only once f + 1 distinct
 * replicas sent replies, verified through the boundary, that agree on (timestamp, seq, result).
 */
import { toHex } from '../crypto/hex.js';
import { openFrame, primaryOf } from '../messages/boundary.js';
import type { Message } from '../messages/types.js';
import { ClosedLoopClient } from './closed-loop-client.js';

export type { ClientHost, Completion, Workload } from './closed-loop-client.js';

/** One distinct replica's latest reply to the outstanding request. */
interface ReplyVote {
  /** Match key: seq and result hex. */
  readonly key: string;
  /** The view the replica reported. */
  readonly view: number;
  /** The reply. */
  readonly msg: Message<'reply'>;
}

/** A closed-loop simulated PBFT client. */
export class SimClient extends ClosedLoopClient {
  /** The view the client believes current (from f + 1 replies), deciding where requests go. */
  private view = 0;
  /** Latest reply per replica id to the outstanding request (votes count once per replica). */
  private votes = new Map<number, ReplyVote>();

  protected firstTarget(): number {
    return primaryOf(this.view, this.host.n);
  }

  protected override started(): void {
    this.votes = new Map();
  }

  /** A frame arrived for this client: verify it, count it, and complete on f + 1 matching replies. */
  onFrame(bytes: Uint8Array, now: number): void {
    const opened = openFrame(bytes, this.host.boundary);
    if (!opened.ok) {
      this.host.rejected(opened.reason);
      return;
    }
    const msg = opened.value;
    if (msg.kind !== 'reply') {
      this.host.rejected('not-a-reply');
      return;
    }
    const o = this.outstanding;
    if (o === undefined || msg.body.client !== this.id || msg.body.timestamp !== o.timestamp) return;
    const key = `${msg.body.seq}:${toHex(msg.body.result)}`;
    this.votes.set(msg.sender, { key, view: msg.body.view, msg });
    let matching = 0;
    for (const vote of this.votes.values()) if (vote.key === key) matching++;
    if (matching < this.host.f + 1) return;
    this.view = Math.max(this.view, this.quorumView());
    this.complete(msg.body.seq, msg.body.result, now);
  }

  /** The highest view that at least f + 1 replicas reported: no f liars can push it higher. */
  private quorumView(): number {
    const views = [...this.votes.values()].map((v) => v.view).sort((a, b) => b - a);
    return views[this.host.f] ?? 0;
  }
}
