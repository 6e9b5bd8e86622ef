/**
 * PBFT's reply rule: requests go to the primary of the highest view the replies vouch for (the lowest
 * view within each accepted group of f + 1, see below); a result counts only when
 * f + 1 replicas sent matching signed replies (so at least one correct replica vouches for it).
 * Replies are parsed without their signatures first (which recomputes each reply's batch root from
 * its leaf and path); once f + 1 agree on (seq, result), only those f + 1 root signatures are
 * verified, and a reply that fails is dropped while its group waits for another. A replica signs one
 * root per batch for all its replies, so roots verified by any client of this process are
 * remembered (`verified-roots.ts`) and not verified again.
 */
import type { Cluster } from '../config/cluster.js';
import { maxFaulty } from '../core/quorum.js';
import { type BoundaryContext, type ParsedFrame, parseFrame, verifyFrame } from '../messages/boundary.js';
import type { Message } from '../messages/types.js';
import { principalsOf } from '../node/principals.js';
import { outcomeOf, type ReplyRule, type Verdict } from './replies.js';
import { sharedVerifiedRoots, type VerifiedRoots } from './verified-roots.js';

/** f + 1 matching signed replies. */
export class PbftReplies implements ReplyRule {
  /** The highest view seen in a valid reply: where the primary is. */
  private view = 0;
  /** The request in flight. */
  private request: Message<'request'> | undefined;
  /** Replies for it by replica, keyed by (seq, result) so only matching ones count together. */
  private votes = new Map<string, Map<number, ParsedFrame>>();
  /** The key of the reply each replica has pending in `votes` (at most one per replica). */
  private pending = new Map<number, string>();
  /** Boundary context for replies. */
  private readonly ctx: BoundaryContext;
  /** f of the cluster. */
  private readonly f: number;

  constructor(
    private readonly cluster: Cluster,
    /** This client's id. */
    private readonly client: number,
    /** Roots already verified, shared by default with every PBFT client of the process. */
    private readonly roots: VerifiedRoots = sharedVerifiedRoots,
  ) {
    this.ctx = { cluster: cluster.clusterId, principals: principalsOf(cluster) };
    this.f = cluster.f ?? maxFaulty(cluster.replicas.length);
  }

  target(): number {
    return this.view % this.cluster.replicas.length;
  }

  begin(request: Message<'request'>): void {
    this.request = request;
    this.votes = new Map();
    this.pending = new Map();
  }

  /**
   * A frame from replica `from` (its Noise-authenticated connection). A reply counts only from the
   * connection of the replica it names, and each replica has at most one reply pending: a later,
   * different one replaces it. So a Byzantine replica can neither take another replica's place
   * before that replica's reply arrives nor fill memory with variants of its own.
   */
  onFrame(frame: Uint8Array, from: number | undefined): Verdict {
    const request = this.request;
    // Replies past the f + 1 that completed the request arrive with nothing in flight: not parsed.
    if (!request || from === undefined) return undefined;
    const parsed = parseFrame(frame, this.ctx);
    if (!parsed.ok || parsed.value.message.kind !== 'reply') return undefined;
    const reply = parsed.value.message;
    const { client, timestamp, seq, result } = reply.body;
    if (reply.sender !== from || client !== this.client || timestamp !== request.body.timestamp)
      return undefined;
    const key = `${seq}:${Buffer.from(result).toString('hex')}`;
    const previous = this.pending.get(from);
    if (previous === key) return undefined;
    if (previous !== undefined) this.votes.get(previous)?.delete(from);
    let voters = this.votes.get(key);
    if (!voters) {
      voters = new Map();
      this.votes.set(key, voters);
    }
    voters.set(from, parsed.value);
    this.pending.set(from, key);
    return voters.size === this.f + 1 ? this.verifyGroup(voters) : undefined;
  }

  /**
   * Verifies a group of f + 1 matching replies on the event loop (a handful of signatures: a
   * round trip through libuv's pool would cost two thread wake-ups and more CPU than it saves),
   * skipping roots verified before and remembering the ones verified now.
   */
  private verifyGroup(voters: Map<number, ParsedFrame>): Verdict {
    const group = [...voters.entries()];
    const checked = group.map(([, p]) => verifyFrame(p, this.roots.known));
    for (const [i, [, p]] of group.entries()) {
      if (checked[i]?.ok === true) for (const c of p.signatures) this.roots.remember(c.envelope, c.verifier);
    }
    const bad = group.filter((_, i) => !checked[i]?.ok);
    if (bad.length > 0) {
      for (const [sender] of bad) {
        voters.delete(sender);
        this.pending.delete(sender);
      }
      return undefined;
    }
    const replies = group.map(([, p]) => p.message as Message<'reply'>);
    const { seq, result, timestamp } = replies[0]!.body;
    // The lowest view of the group: f + 1 matching replies include a correct replica, whose view is
    // at most the real one, so one Byzantine member cannot push the client's idea of the primary to
    // a made-up view it would never come back from (the view only grows here).
    const view = Math.min(...replies.map((r) => r.body.view));
    this.view = Math.max(this.view, view);
    this.request = undefined;
    return { type: 'done', outcome: outcomeOf(seq, view, timestamp, result) };
  }
}
