/**
 * Lying to a replica that catches up. Answers to a FETCH-STATE are corrupted: snapshot chunks carry
 * altered data (re-signed with the replica's own key, so only the checkpoint certificate's digest
 * can expose them), and the envelopes relayed for a log fetch (pre-prepares, votes, the NEW-VIEW,
 * checkpoint proofs) go out with a damaged signature.
 */
import type { Output } from '../core/pbft/types.js';
import type { Message } from '../messages/types.js';
import { flipSignature, isOwn, mapMessages } from './forge.js';
import type { Behaviour, BehaviourContext } from './types.js';

/** Options of `lying-state-transfer`. */
export interface LyingStateTransferOptions {
  /** Corrupt snapshot chunks (default true). */
  readonly snapshots?: boolean;
  /** Damage relayed log envelopes (default true). */
  readonly logs?: boolean;
}

/** Serves corrupted snapshot chunks and damaged log relays to replicas that fetch state. */
export class LyingStateTransfer implements Behaviour {
  readonly name = 'lying-state-transfer' as const;

  constructor(
    /** What to lie about. */
    private readonly options: LyingStateTransferOptions = {},
  ) {}

  rewrite(outs: Output[], ctx: BehaviourContext): Output[] {
    const input = ctx.input;
    if (input.type !== 'message' || input.msg.kind !== 'fetch-state') return outs;
    const { snapshots = true, logs = true } = this.options;
    return mapMessages(outs, (o) => {
      if (o.type !== 'send') return [o];
      if (o.msg.kind === 'state-chunk' && isOwn(o.msg, ctx.config)) {
        return snapshots ? [{ ...o, msg: corruptChunk(o.msg as Message<'state-chunk'>, ctx) }] : [o];
      }
      return logs ? [{ ...o, msg: flipSignature(o.msg, ctx.rng) }] : [o];
    });
  }
}

/** The chunk with one data byte changed (or one added to an empty chunk), signed again. */
function corruptChunk(msg: Message<'state-chunk'>, ctx: BehaviourContext): Message<'state-chunk'> {
  const old = msg.body.data;
  let data: Uint8Array;
  if (old.length === 0) data = Uint8Array.of(1 + ctx.rng.int(255));
  else {
    data = new Uint8Array(old);
    const at = ctx.rng.int(data.length);
    data[at] = (data[at] ?? 0) ^ (1 + ctx.rng.int(255));
  }
  return ctx.sign('state-chunk', { ...msg.body, data });
}
