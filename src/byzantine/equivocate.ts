/**
 * Equivocation: telling different replicas different things for one slot. As primary, each
 * PRE-PREPARE it broadcasts reaches half of the backups as it is and the other half as a
 * conflicting one for the same (view, seq): the batch without its last request (the null batch for a
 * batch of one), its digest recomputed and signed with the replica's own key. As a backup, each of
 * its PREPAREs and COMMITs reaches half of the replicas with the real digest and the other half with
 * another one. Both versions are validly signed, so a replica holding both holds evidence.
 */
import type { Output } from '../core/pbft/types.js';
import { hexOf } from '../core/quorum.js';
import type { AnyMessage, Message } from '../messages/types.js';
import {
  BoundedMemo,
  forgePrePrepare,
  isOwn,
  mapMessages,
  otherDigest,
  recipientsOf,
  sendEach,
} from './forge.js';
import type { Behaviour, BehaviourContext, MessageOutput } from './types.js';

/** Options of `equivocate`. */
export interface EquivocateOptions {
  /** Equivocate on pre-prepares when primary (default true). */
  readonly prePrepares?: boolean;
  /** Equivocate on prepares and commits (default true). */
  readonly votes?: boolean;
}

/** Sends conflicting pre-prepares (as primary) and votes (as backup) to two halves of the peers. */
export class Equivocate implements Behaviour {
  readonly name = 'equivocate' as const;
  /** The forged twin of each original, so a retransmission is forged into the same bytes. */
  private readonly twins = new BoundedMemo<Message | null>();

  constructor(
    /** Which messages to equivocate on. */
    private readonly options: EquivocateOptions = {},
  ) {}

  rewrite(outs: Output[], ctx: BehaviourContext): Output[] {
    return mapMessages(outs, (o) => this.split(o, ctx));
  }

  /** Original to the first half of the recipients, the twin to the second half. */
  private split(o: MessageOutput, ctx: BehaviourContext): Output[] {
    const to = recipientsOf(o, ctx.config);
    if (to === undefined || to.length < 2 || !isOwn(o.msg, ctx.config)) return [o];
    const twin = this.twins.getOrMake(hexOf(o.msg.bytes), () => this.forge(o.msg, ctx));
    if (twin === null) return [o];
    const half = Math.ceil(to.length / 2);
    return [...sendEach(to.slice(0, half), o.msg), ...sendEach(to.slice(half), twin)];
  }

  /** A validly signed message conflicting with `msg` for the same slot, or null when none applies. */
  private forge(original: Message, ctx: BehaviourContext): Message | null {
    const { prePrepares = true, votes = true } = this.options;
    const msg = original as AnyMessage;
    if (msg.kind === 'pre-prepare' && prePrepares) {
      const requests = msg.body.requests;
      if (requests.length === 0) return null;
      return forgePrePrepare(ctx, msg, requests.slice(0, -1));
    }
    if ((msg.kind === 'prepare' || msg.kind === 'commit') && votes) {
      return ctx.sign(msg.kind, { ...msg.body, digest: otherDigest(ctx, msg.body.digest) });
    }
    return null;
  }
}
