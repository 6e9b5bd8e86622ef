/**
 * A simulated client of the crash-fault protocol: a closed-loop client (closed-loop-client.ts)
 * that sends each request to the replica it believes leads, follows a redirect to the leader it
 * names (once per hint), sends to every replica on each timeout, and accepts the first reply for
 * its request: in the crash-fault model a replica never lies, so one reply settles it.
 */
import { type CftBoundaryContext, openCftClientFrame } from '../messages/cft-boundary.js';
import { NO_LEADER } from '../messages/schema.js';
import { ClosedLoopClient } from './closed-loop-client.js';

/** A closed-loop simulated crash-fault client. */
export class CftSimClient extends ClosedLoopClient {
  /** The replica believed to lead. */
  private leader = 0;
  /** The term of the latest leader hint followed. */
  private leaderTerm = 0;
  /** Where the outstanding request went last: a replica id, or -1 after a send to all. */
  private lastTarget = -1;

  protected firstTarget(): number {
    this.lastTarget = this.leader;
    return this.leader;
  }

  override onTimeout(timestamp: number): void {
    if (this.outstanding?.timestamp === timestamp) this.lastTarget = -1;
    super.onTimeout(timestamp);
  }

  /** A reply or redirect from replica `from`: complete on a reply, follow a redirect's hint. */
  onFrame(bytes: Uint8Array, now: number, from: number): void {
    const ctx: CftBoundaryContext = this.host.boundary;
    const opened = openCftClientFrame(bytes, ctx, { role: 'replica', id: from }, this.id);
    if (!opened.ok) {
      this.host.rejected(opened.reason);
      return;
    }
    const msg = opened.value;
    const o = this.outstanding;
    if (o === undefined || msg.body.timestamp !== o.timestamp) return;
    if (msg.kind === 'cft-reply') {
      this.hint(msg.sender, msg.body.term);
      this.complete(msg.body.index, msg.body.result, now);
      return;
    }
    const { leader, term } = msg.body;
    if (leader === NO_LEADER || !this.hint(leader, term) || leader === this.lastTarget) return;
    this.lastTarget = leader;
    this.host.send(this.id, leader, o.bytes);
  }

  /** Takes `leader` as the leader unless a hint of a later term named another; true when taken. */
  private hint(leader: number, term: number): boolean {
    if (term < this.leaderTerm) return false;
    this.leaderTerm = term;
    this.leader = leader;
    return true;
  }
}
