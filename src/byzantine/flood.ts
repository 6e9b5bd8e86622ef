/**
 * Flooding: on every tick the replica sends a burst of extra messages to random peers. Some look
 * valid (signed with its own key: prepares or commits for sequence numbers beyond the window or
 * views ahead, checkpoints at or below the stable one) and must be ignored by the core; the rest are
 * junk (random bytes, an envelope of an unknown kind) and must die at the boundary.
 *
 * A junk message still travels as a `send` output: its `bytes` are the junk and its kind and body are
 * placeholders that describe nothing, which is harmless because a transport sends only the bytes.
 */
import type { Output } from '../core/pbft/types.js';
import { encode } from '../messages/codec.js';
import { ENVELOPE } from '../messages/schema.js';
import type { Message } from '../messages/types.js';
import { peersOf, pickOne, randomBytes } from './forge.js';
import type { Behaviour, BehaviourContext } from './types.js';

/** What a flood is made of. */
export const FLOOD_KINDS = [
  'future-seq',
  'future-view',
  'stale-checkpoint',
  'garbage',
  'unknown-kind',
] as const;

/** One kind of flood message. */
export type FloodKind = (typeof FLOOD_KINDS)[number];

/** Options of `flood`. */
export interface FloodOptions {
  /** Extra messages per tick (default 20). */
  readonly count?: number;
  /** What to draw them from (default all). */
  readonly kinds?: readonly FloodKind[];
}

/** A wire tag no message kind uses. */
const UNKNOWN_TAG = 0xee;

/** Emits `count` extra messages, valid-looking and junk, on every tick. */
export class Flood implements Behaviour {
  readonly name = 'flood' as const;

  constructor(
    /** How many and what. */
    private readonly options: FloodOptions = {},
  ) {}

  rewrite(outs: Output[], ctx: BehaviourContext): Output[] {
    const peers = peersOf(ctx.config);
    if (ctx.input.type !== 'tick' || peers.length === 0) return outs;
    const { count = 20, kinds = FLOOD_KINDS } = this.options;
    if (kinds.length === 0) return outs;
    const extra: Output[] = [];
    for (let i = 0; i < count; i++) {
      const to = pickOne(ctx.rng, peers);
      extra.push({ type: 'send', to, msg: floodMessage(pickOne(ctx.rng, kinds), ctx) });
    }
    return [...outs, ...extra];
  }
}

/** One flood message of the given kind. */
export function floodMessage(kind: FloodKind, ctx: BehaviourContext): Message {
  const { watermarkWindow, id, cluster } = ctx.config;
  const digest = randomBytes(ctx.rng, 32);
  switch (kind) {
    case 'future-seq': {
      const seq = ctx.lowWatermark + watermarkWindow + 1 + ctx.rng.int(1000);
      const vote = ctx.isPrimary ? 'commit' : 'prepare';
      return ctx.sign(vote, { view: ctx.view, seq, digest });
    }
    case 'future-view': {
      const view = ctx.view + 1 + ctx.rng.int(100);
      return ctx.sign('commit', { view, seq: ctx.lastExecuted + 1, digest });
    }
    case 'stale-checkpoint':
      return ctx.sign('checkpoint', { seq: ctx.lowWatermark, stateDigest: digest });
    case 'garbage':
      return junk(randomBytes(ctx.rng, 1 + ctx.rng.int(256)), ctx);
    case 'unknown-kind': {
      const body = randomBytes(ctx.rng, ctx.rng.int(64));
      const signature = randomBytes(ctx.rng, 64);
      return junk(encode(ENVELOPE, { kind: UNKNOWN_TAG, cluster, sender: id, body, signature }), ctx);
    }
  }
}

/** Junk bytes dressed as a message (see the module comment: the kind and body are placeholders). */
function junk(bytes: Uint8Array, ctx: BehaviourContext): Message {
  const placeholder: Message<'checkpoint'> = {
    kind: 'checkpoint',
    sender: ctx.config.id,
    body: { seq: 0, stateDigest: new Uint8Array(32) },
    bytes,
  };
  return placeholder;
}
