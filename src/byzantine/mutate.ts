/**
 * Mutation: some outgoing messages (rng-chosen) are damaged on their way out. Content mutations
 * (a wrong digest, view or seq moved by one, a stale or future view, an oversized batch, another
 * cluster's domain, another replica's name) re-sign the changed body with the replica's own key, so
 * the receiver's field and certificate checks are exercised, not only its signature check. Byte
 * mutations (a flipped signature bit, a truncated or extended envelope, an oversized frame) apply to
 * any message, relayed ones included. Client replies get those too, and their own: a result, path
 * or index changed under the batch signature (a forgery the client's root check catches), another
 * root's signature, or a different result validly signed on its own (a lie only f + 1 matching
 * replies keep out).
 */
import type { Output } from '../core/pbft/types.js';
import { batchDigestWith } from '../messages/batch-digest.js';
import { Writer } from '../messages/codec.js';
import { sealBytes } from '../messages/envelope.js';
import { replyWithSignature, sealMessage } from '../messages/reply-batch.js';
import { type BodyOf, type Kind, LIMITS } from '../messages/schema.js';
import type { AnyMessage, Message } from '../messages/types.js';
import {
  chance,
  flipSignature,
  isOwn,
  mapMessages,
  otherDigest,
  pickOne,
  randomBytes,
  SIGNATURE_BYTES,
  withBytes,
  withMessage,
} from './forge.js';
import type { Behaviour, BehaviourContext } from './types.js';

/** The mutations, by name. */
export const MUTATIONS = [
  'wrong-digest',
  'view-plus',
  'view-minus',
  'seq-plus',
  'seq-minus',
  'stale-view',
  'future-view',
  'oversize',
  'wrong-cluster',
  'spoof-sender',
  'bad-signature',
  'truncate',
  'trailing-bytes',
  'reply-result',
  'reply-path',
  'reply-index',
  'reply-other-root',
  'reply-lie',
] as const;

/** A mutation's name. */
export type MutationName = (typeof MUTATIONS)[number];

/** Options of `mutate`. */
export interface MutateOptions {
  /** Probability that a message output is mutated (default 0.25). */
  readonly rate?: number;
  /** The mutations to draw from (default all); one that does not fit a message is skipped. */
  readonly mutations?: readonly MutationName[];
}

/** Mutations that only change bytes, and so fit any message, relayed ones included. */
const BYTE_MUTATIONS: ReadonlySet<MutationName> = new Set(['bad-signature', 'truncate', 'trailing-bytes']);

/** Mutations of a client reply only (see `mutateReply`). */
const REPLY_MUTATIONS: ReadonlySet<MutationName> = new Set([
  'reply-result',
  'reply-path',
  'reply-index',
  'reply-other-root',
  'reply-lie',
]);

/** A body as a plain record, to read and patch its fields by name. */
type Fields = Record<string, unknown>;

/** One frame longer than any replica accepts, shared by every oversized frame (never written to). */
let oversizedFrame: Uint8Array | undefined;

/** Rewrites rng-chosen outgoing messages with wrong fields, bad signatures or broken bytes. */
export class Mutate implements Behaviour {
  readonly name = 'mutate' as const;

  constructor(
    /** How often and how. */
    private readonly options: MutateOptions = {},
  ) {}

  rewrite(outs: Output[], ctx: BehaviourContext): Output[] {
    const rate = this.options.rate ?? 0.25;
    return mapMessages(outs, (o) => {
      if (!chance(ctx.rng, rate)) return [o];
      const usable = (this.options.mutations ?? MUTATIONS).filter((m) => fits(m, o.msg, ctx));
      if (usable.length === 0) return [o];
      return [withMessage(o, mutate(pickOne(ctx.rng, usable), o.msg, ctx))];
    });
  }
}

/** Whether a mutation applies to a message. */
export function fits(m: MutationName, msg: Message, ctx: BehaviourContext): boolean {
  if (BYTE_MUTATIONS.has(m) || m === 'oversize') return true;
  if (!isOwn(msg, ctx.config)) return false;
  if (REPLY_MUTATIONS.has(m)) return msg.kind === 'reply' && fitsReply(m, msg as Message<'reply'>);
  const b = msg.body as Fields;
  const view = (b.view ?? b.newView) as number | undefined;
  switch (m) {
    case 'wrong-digest':
      return 'digest' in b || 'stateDigest' in b || 'stableDigest' in b;
    case 'view-plus':
    case 'future-view':
      return view !== undefined;
    case 'view-minus':
      return view !== undefined && view >= 1;
    case 'stale-view':
      return view !== undefined && view >= ctx.config.n;
    case 'seq-plus':
      return typeof b.seq === 'number';
    case 'seq-minus':
      return typeof b.seq === 'number' && b.seq >= 1;
    default:
      return true;
  }
}

/** Applies one mutation (which must fit the message). */
export function mutate(m: MutationName, msg: Message, ctx: BehaviourContext): Message {
  const b = msg.body as Fields;
  const viewKey = 'view' in b ? 'view' : 'newView';
  const view = (b[viewKey] ?? 0) as number;
  const seq = (b.seq ?? 0) as number;
  switch (m) {
    case 'wrong-digest':
      return resign(ctx, msg, wrongDigest(ctx, b));
    case 'view-plus':
      return resign(ctx, msg, { [viewKey]: view + 1 });
    case 'view-minus':
      return resign(ctx, msg, { [viewKey]: view - 1 });
    case 'stale-view':
      return resign(ctx, msg, { [viewKey]: view - ctx.config.n });
    case 'future-view':
      return resign(ctx, msg, { [viewKey]: view + ctx.config.n });
    case 'seq-plus':
      return resign(ctx, msg, { seq: seq + 1 });
    case 'seq-minus':
      return resign(ctx, msg, { seq: seq - 1 });
    case 'oversize':
      return oversize(msg, ctx);
    case 'wrong-cluster':
      return sealMessage(
        ctx.signer,
        ctx.hash,
        otherCluster(ctx.config.cluster),
        msg.kind,
        ctx.config.id,
        msg.body,
      );
    case 'spoof-sender': {
      const other = (ctx.config.id + 1) % ctx.config.n;
      return sealMessage(ctx.signer, ctx.hash, ctx.config.cluster, msg.kind, other, msg.body);
    }
    case 'bad-signature':
      return flipSignature(msg, ctx.rng);
    case 'truncate':
      return withBytes(msg, msg.bytes.slice(0, ctx.rng.int(msg.bytes.length)));
    case 'trailing-bytes': {
      const extra = randomBytes(ctx.rng, 1 + ctx.rng.int(8));
      const bytes = new Uint8Array(msg.bytes.length + extra.length);
      bytes.set(msg.bytes);
      bytes.set(extra, msg.bytes.length);
      return withBytes(msg, bytes);
    }
    case 'reply-result':
    case 'reply-path':
    case 'reply-index':
    case 'reply-other-root':
    case 'reply-lie':
      return mutateReply(m, msg as Message<'reply'>, ctx);
  }
}

/** Whether a reply mutation changes anything in this reply (a path to damage, another index to claim). */
function fitsReply(m: MutationName, msg: Message<'reply'>): boolean {
  if (m === 'reply-path') return msg.body.path.length > 0;
  if (m === 'reply-index') return msg.body.leafCount > 1;
  return true;
}

/**
 * A reply mutation. Forgeries keep the batch signature over changed content: another result, a
 * damaged sibling hash, a neighbour's index (the client's recomputed root differs, so the signature
 * fails), or this body under the signature of another root this replica signed. A lie is another
 * result validly signed on its own: only the f + 1 rule keeps it out.
 */
function mutateReply(m: MutationName, msg: Message<'reply'>, ctx: BehaviourContext): Message {
  const { cluster, id } = ctx.config;
  const b = msg.body;
  const signature = msg.bytes.subarray(msg.bytes.length - SIGNATURE_BYTES);
  const forged = (body: BodyOf['reply'], sig = signature) => replyWithSignature(cluster, id, body, sig);
  switch (m) {
    case 'reply-result':
      return forged({ ...b, result: otherResult(b.result) });
    case 'reply-path': {
      const at = ctx.rng.int(b.path.length);
      const path = b.path.map((h, i) => (i === at ? otherDigest(ctx, h) : h));
      return forged({ ...b, path });
    }
    case 'reply-index':
      return forged({ ...b, index: (b.index + 1) % b.leafCount });
    case 'reply-other-root': {
      const other = ctx.sign('reply', { ...b, seq: b.seq + 1 });
      return forged(b, other.bytes.subarray(other.bytes.length - SIGNATURE_BYTES));
    }
    default:
      return ctx.sign('reply', { ...b, result: otherResult(b.result), index: 0, leafCount: 1, path: [] });
  }
}

/** A result that differs from `result`: its first byte flipped, or one byte when it is empty. */
function otherResult(result: Uint8Array): Uint8Array {
  if (result.length === 0) return Uint8Array.of(1);
  const out = result.slice();
  out[0] = (out[0] ?? 0) ^ 0xff;
  return out;
}

/** The body's digest field replaced by another digest. */
function wrongDigest(ctx: BehaviourContext, b: Fields): Fields {
  for (const key of ['digest', 'stateDigest', 'stableDigest']) {
    const d = b[key];
    if (d instanceof Uint8Array) return { [key]: otherDigest(ctx, d) };
  }
  return {};
}

/** The message with some body fields replaced, signed again with the replica's own key. */
function resign(ctx: BehaviourContext, msg: Message, patch: Fields): Message {
  return ctx.sign(msg.kind as Kind, { ...(msg.body as Fields), ...patch } as BodyOf[Kind]);
}

/** A cluster id that differs from this one in its first byte. */
function otherCluster(cluster: Uint8Array): Uint8Array {
  const other = new Uint8Array(cluster);
  other[0] = (other[0] ?? 0) ^ 0xff;
  return other;
}

/**
 * Too big: an own pre-prepare with requests becomes one whose request list is longer than the
 * schema allows (its requests repeated, signed with the own key: the schema's encoder refuses such
 * a list, so the body is written by hand); anything else becomes a frame over the size cap.
 */
function oversize(msg: Message, ctx: BehaviourContext): Message {
  const m = msg as AnyMessage;
  if (m.kind === 'pre-prepare' && isOwn(m, ctx.config) && m.body.requests.length > 0) {
    const pp = m.body;
    const requests = Array.from(
      { length: LIMITS.maxBatch + 1 },
      (_, i) => pp.requests[i % pp.requests.length]!,
    );
    const w = new Writer();
    w.u64(pp.view);
    w.u64(pp.seq);
    w.raw(batchDigestWith(ctx.hash, requests));
    w.u32(requests.length);
    for (const r of requests) {
      w.u32(r.length);
      w.raw(r);
    }
    return withBytes(
      msg,
      sealBytes(ctx.signer, ctx.config.cluster, 'pre-prepare', ctx.config.id, w.finish()),
    );
  }
  oversizedFrame ??= new Uint8Array(LIMITS.maxFrameBytes + 1);
  return withBytes(msg, oversizedFrame);
}
