/**
 * A slow primary: it orders requests, but holds each PRE-PREPARE back until just before the
 * backups' request timeout would expire, so the cluster crawls without ever changing view. Driven
 * by ticks: held broadcasts wait in a queue and leave on the first tick at or after their release
 * tick. A retransmission of a held pre-prepare is dropped; one after the release is held again.
 */
import type { Output, PbftConfig } from '../core/pbft/types.js';
import { hexOf } from '../core/quorum.js';
import type { Message } from '../messages/types.js';
import { isOwn, mapMessages } from './forge.js';
import type { Behaviour, BehaviourContext } from './types.js';

/** Options of `slow-primary`. */
export interface SlowPrimaryOptions {
  /** Ticks before the request timeout at which a held pre-prepare leaves (default timeout / 5, >= 1). */
  readonly marginTicks?: number;
  /** Ticks each pre-prepare is held; overrides the margin when given. */
  readonly delayTicks?: number;
}

/** A held pre-prepare and the tick it leaves at. */
interface Held {
  /** Tick at or after which it is broadcast. */
  readonly releaseAt: number;
  /** The pre-prepare, verbatim. */
  readonly msg: Message;
  /** Hex of its bytes. */
  readonly key: string;
}

/** Holds its pre-prepare broadcasts back by almost a request timeout, releasing them on ticks. */
export class SlowPrimary implements Behaviour {
  readonly name = 'slow-primary' as const;
  /** Held pre-prepares in release order. */
  private readonly queue: Held[] = [];
  /** Keys of the held ones: a retransmission of a held pre-prepare is dropped, not queued twice. */
  private readonly held = new Set<string>();

  constructor(
    /** How long to hold. */
    private readonly options: SlowPrimaryOptions = {},
  ) {}

  /** Ticks a pre-prepare is held under this configuration. */
  delayTicks(config: PbftConfig): number {
    if (this.options.delayTicks !== undefined) return Math.max(0, this.options.delayTicks);
    const timeout = config.requestTimeoutTicks;
    const margin = this.options.marginTicks ?? Math.max(1, Math.floor(timeout / 5));
    return Math.max(1, timeout - margin);
  }

  /** How many pre-prepares are held now. */
  get holding(): number {
    return this.queue.length;
  }

  rewrite(outs: Output[], ctx: BehaviourContext): Output[] {
    const delay = this.delayTicks(ctx.config);
    const result = mapMessages(outs, (o) => {
      if (o.type !== 'broadcast' || o.msg.kind !== 'pre-prepare' || !isOwn(o.msg, ctx.config)) return [o];
      const key = hexOf(o.msg.bytes);
      if (!this.held.has(key)) {
        this.held.add(key);
        this.queue.push({ releaseAt: ctx.tick + delay, msg: o.msg, key });
      }
      return [];
    });
    if (ctx.input.type !== 'tick') return result;
    while (this.queue.length > 0 && this.queue[0]!.releaseAt <= ctx.tick) {
      const next = this.queue.shift()!;
      this.held.delete(next.key);
      result.push({ type: 'broadcast', msg: next.msg });
    }
    return result;
  }
}
