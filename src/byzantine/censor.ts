/**
 * Censorship of one client. A wrapper only sees outputs, so the censor works on them: as primary,
 * each PRE-PREPARE it sends loses that client's requests (the digest recomputed and the message
 * signed again with its own key; a batch of only that client's requests becomes the null batch),
 * and as a backup it never relays that client's requests to the primary. The client's way out is
 * the protocol's: it sends to every replica, the backups' timers expire, and the view changes.
 */
import type { Output } from '../core/pbft/types.js';
import { hexOf } from '../core/quorum.js';
import type { Message } from '../messages/types.js';
import { BoundedMemo, forgePrePrepare, isOwn, mapMessages, requestClient, withMessage } from './forge.js';
import type { Behaviour, BehaviourContext } from './types.js';

/** Options of `censor`. */
export interface CensorOptions {
  /** The client whose requests are never ordered (default 0). */
  readonly client?: number;
}

/** Never orders (nor relays) one client's requests. */
export class Censor implements Behaviour {
  readonly name = 'censor' as const;
  /** The censored version of each original pre-prepare (the same bytes on every retransmission). */
  private readonly censored = new BoundedMemo<Message<'pre-prepare'>>();

  constructor(
    /** Whom to censor. */
    private readonly options: CensorOptions = {},
  ) {}

  /** The censored client's id. */
  get client(): number {
    return this.options.client ?? 0;
  }

  rewrite(outs: Output[], ctx: BehaviourContext): Output[] {
    return mapMessages(outs, (o) => {
      const msg = o.msg;
      if (msg.kind === 'request') return msg.sender === this.client ? [] : [o];
      if (msg.kind !== 'pre-prepare' || !isOwn(msg, ctx.config)) return [o];
      const pp = msg as Message<'pre-prepare'>;
      const kept = pp.body.requests.filter((r) => requestClient(r) !== this.client);
      if (kept.length === pp.body.requests.length) return [o];
      return [
        withMessage(
          o,
          this.censored.getOrMake(hexOf(pp.bytes), () => forgePrePrepare(ctx, pp, kept)),
        ),
      ];
    });
  }
}
