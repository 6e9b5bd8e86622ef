/**
 * Replay: the replica resends messages it sent in earlier steps (earlier views, sequence numbers,
 * checkpoints, relayed requests), verbatim, at random. Each is validly signed, so only the
 * receivers' duplicate, window and view rules stand between an old message and a new decision.
 */
import type { Output } from '../core/pbft/types.js';
import { chance, peersOf, pickOne } from './forge.js';
import type { Behaviour, BehaviourContext } from './types.js';

/** Options of `replay`. */
export interface ReplayOptions {
  /** Probability that a tick replays anything (default 0.5). */
  readonly rate?: number;
  /** Messages replayed on such a tick (default 3). */
  readonly count?: number;
}

/** On ticks, resends rng-chosen old messages to a random peer or to all. */
export class Replay implements Behaviour {
  readonly name = 'replay' as const;

  constructor(
    /** How often and how many. */
    private readonly options: ReplayOptions = {},
  ) {}

  rewrite(outs: Output[], ctx: BehaviourContext): Output[] {
    const { rate = 0.5, count = 3 } = this.options;
    if (ctx.input.type !== 'tick' || ctx.history.size === 0 || !chance(ctx.rng, rate)) return outs;
    const peers = peersOf(ctx.config);
    const extra: Output[] = [];
    for (let i = 0; i < count; i++) {
      const msg = ctx.history.at(ctx.rng.int(ctx.history.size));
      if (msg === undefined) continue;
      if (chance(ctx.rng, 0.5) || peers.length === 0) extra.push({ type: 'broadcast', msg });
      else extra.push({ type: 'send', to: pickOne(ctx.rng, peers), msg });
    }
    return [...outs, ...extra];
  }
}
