/**
 * Withholding: a replica that says nothing, or talks only to some peers. Persists still happen (the
 * replica keeps its log), only messages are dropped, so to the others it looks crashed or
 * partitioned while it keeps following the protocol.
 */
import type { Output, PbftConfig } from '../core/pbft/types.js';
import { mapMessages, sendEach } from './forge.js';
import type { Behaviour, BehaviourContext } from './types.js';

/** Drops every message output: sends, broadcasts and client replies. */
export class Silent implements Behaviour {
  readonly name = 'silent' as const;

  rewrite(outs: Output[]): Output[] {
    return mapMessages(outs, () => []);
  }
}

/** Options of `selective-silent`. */
export interface SelectiveSilentOptions {
  /** The replica ids it still talks to (default: the lower half, ids below floor(n / 2)). */
  readonly peers?: readonly number[];
  /** Whether client replies still go out (default true: only replicas are shunned). */
  readonly replies?: boolean;
}

/** Talks only to a subset of the replicas: a broadcast becomes sends to them, other sends are dropped. */
export class SelectiveSilent implements Behaviour {
  readonly name = 'selective-silent' as const;

  constructor(
    /** Who it talks to. */
    private readonly options: SelectiveSilentOptions = {},
  ) {}

  /** The peers it talks to in a cluster of this configuration, ascending, itself excluded. */
  allowed(config: PbftConfig): number[] {
    const chosen = this.options.peers ?? Array.from({ length: Math.floor(config.n / 2) }, (_, i) => i);
    return [...new Set(chosen)]
      .filter((i) => i !== config.id && i >= 0 && i < config.n)
      .sort((a, b) => a - b);
  }

  rewrite(outs: Output[], ctx: BehaviourContext): Output[] {
    const allowed = this.allowed(ctx.config);
    const replies = this.options.replies ?? true;
    return mapMessages(outs, (o) => {
      if (o.type === 'reply') return replies ? [o] : [];
      if (o.type === 'send') return allowed.includes(o.to) ? [o] : [];
      return sendEach(allowed, o.msg);
    });
  }
}
