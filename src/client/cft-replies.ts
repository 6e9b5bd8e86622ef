/**
 * The crash-fault protocol's reply rule: replicas may crash but never lie, so ONE reply completes
 * a request; its sender is the replica whose Noise-authenticated connection it came on (replies are
 * unsigned). Requests go to the leader the client believes in (replica 0 until it learns one); a
 * redirect naming a leader of a newer term (or a new leader of the same term) moves the belief and
 * sends the request there at once. A belief moves at most once per term, so two replicas with stale
 * beliefs cannot bounce a request between them.
 */
import type { Cluster } from '../config/cluster.js';
import { type CftBoundaryContext, openCftClientFrame } from '../messages/cft-boundary.js';
import { NO_LEADER } from '../messages/schema.js';
import type { Message } from '../messages/types.js';
import { principalsOf } from '../node/principals.js';
import { outcomeOf, type ReplyRule, type Verdict } from './replies.js';

/** One reply from the leader. */
export class CftReplies implements ReplyRule {
  /** The leader the client believes in, once it learned one. */
  private leader: number | undefined;
  /** The term of that belief. */
  private term = 0;
  /** The request in flight. */
  private request: Message<'request'> | undefined;
  /** Boundary context for replies and redirects. */
  private readonly ctx: CftBoundaryContext;

  constructor(
    cluster: Cluster,
    /** This client's id. */
    private readonly client: number,
  ) {
    this.ctx = { cluster: cluster.clusterId, principals: principalsOf(cluster) };
  }

  target(): number {
    return this.leader ?? 0;
  }

  begin(request: Message<'request'>): void {
    this.request = request;
  }

  onFrame(frame: Uint8Array, from: number | undefined): Verdict {
    const request = this.request;
    if (request === undefined || from === undefined) return undefined;
    const opened = openCftClientFrame(frame, this.ctx, { role: 'replica', id: from }, this.client);
    if (!opened.ok || opened.value.body.timestamp !== request.body.timestamp) return undefined;
    const msg = opened.value;
    if (msg.kind === 'cft-reply') {
      this.believe(from, msg.body.term);
      this.request = undefined;
      const { index, term, timestamp, result } = msg.body;
      return { type: 'done', outcome: outcomeOf(index, term, timestamp, result) };
    }
    const { leader, term } = msg.body;
    if (leader === NO_LEADER || !this.believe(leader, term)) return undefined;
    return { type: 'redirect', to: leader };
  }

  /** Moves the belief to `leader` of `term` unless it is older or the same; returns whether it moved. */
  private believe(leader: number, term: number): boolean {
    if (term < this.term || (term === this.term && leader === this.leader)) return false;
    this.leader = leader;
    this.term = term;
    return true;
  }
}
