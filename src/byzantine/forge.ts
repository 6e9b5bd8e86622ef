/**
 * Small tools the behaviours share: walking a step's message outputs while leaving everything else
 * in place, addressing peers, re-signing with the replica's own key, damaging envelope bytes, and
 * drawing from an rng. Pure and deterministic.
 */
import type { Output, PbftConfig } from '../core/pbft/types.js';
import type { Rng } from '../core/types.js';
import { batchDigestWith } from '../messages/batch-digest.js';
import { decode } from '../messages/codec.js';
import { bodyCodec } from '../messages/envelope.js';
import { type BodyOf, ENVELOPE, KIND_TAGS, type Kind } from '../messages/schema.js';
import type { Message } from '../messages/types.js';
import type { BehaviourContext, MessageOutput } from './types.js';

/** Byte length of an envelope's signature, which is the envelope's last field. */
export const SIGNATURE_BYTES = 64;

/** Whether an output carries a message out of the process. */
export function isMessageOutput(o: Output): o is MessageOutput {
  return o.type === 'send' || o.type === 'broadcast' || o.type === 'reply';
}

/**
 * Rewrites each message output with `fn` (which returns its replacements, possibly none); every
 * other output, `persist` above all, stays where it was.
 */
export function mapMessages(outs: readonly Output[], fn: (o: MessageOutput) => Output[]): Output[] {
  const result: Output[] = [];
  for (const o of outs) {
    if (isMessageOutput(o)) result.push(...fn(o));
    else result.push(o);
  }
  return result;
}

/** The replica ids other than this replica's, ascending: who a broadcast reaches. */
export function peersOf(config: PbftConfig): number[] {
  return Array.from({ length: config.n }, (_, i) => i).filter((i) => i !== config.id);
}

/** The recipients of a send or broadcast (undefined for a reply, which goes to a client). */
export function recipientsOf(o: MessageOutput, config: PbftConfig): number[] | undefined {
  if (o.type === 'send') return [o.to];
  if (o.type === 'broadcast') return peersOf(config);
  return undefined;
}

/** One send of `msg` to each of `ids`. */
export function sendEach(ids: readonly number[], msg: Message): Output[] {
  return ids.map((to) => ({ type: 'send', to, msg }));
}

/** The same output carrying another message (a reply stays a reply only for a reply message). */
export function withMessage(o: MessageOutput, msg: Message): Output {
  if (o.type === 'reply') return msg.kind === 'reply' ? { ...o, msg: msg as Message<'reply'> } : o;
  return { ...o, msg };
}

/** Whether a message is this replica's own (signed by it), not one it relays. */
export function isOwn(msg: Message, config: PbftConfig): boolean {
  return msg.sender === config.id && msg.kind !== 'request';
}

/**
 * A copy of `msg` whose envelope bytes are `bytes`; the decoded body is left as it was, so it no
 * longer describes the bytes. Only the bytes travel, so this is what a receiver sees.
 */
export function withBytes<K extends Kind>(msg: Message<K>, bytes: Uint8Array): Message<K> {
  return { ...msg, bytes };
}

/** The message with one bit of its signature (the envelope's last 64 bytes) flipped. */
export function flipSignature<K extends Kind>(msg: Message<K>, rng: Rng): Message<K> {
  const bytes = new Uint8Array(msg.bytes);
  const at = bytes.length - 1 - rng.int(Math.min(SIGNATURE_BYTES, bytes.length));
  bytes[at] = (bytes[at] ?? 0) ^ (1 << rng.int(8));
  return withBytes(msg, bytes);
}

/** A pre-prepare like `pp` but for `requests`, its digest recomputed, signed with the own key. */
export function forgePrePrepare(
  ctx: BehaviourContext,
  pp: Message<'pre-prepare'>,
  requests: readonly Uint8Array[],
): Message<'pre-prepare'> {
  const digest = batchDigestWith(ctx.hash, requests);
  return ctx.sign('pre-prepare', { ...pp.body, digest, requests: [...requests] });
}

/** A digest that differs from `digest` (its hash): what a conflicting vote names. */
export function otherDigest(ctx: BehaviourContext, digest: Uint8Array): Uint8Array {
  return ctx.hash(digest);
}

/** The client id of a request envelope, or undefined when the bytes are not a request. */
export function requestClient(bytes: Uint8Array): number | undefined {
  const env = decode(ENVELOPE, bytes);
  return env.ok && env.value.kind === KIND_TAGS.request ? env.value.sender : undefined;
}

/** The sender and body of an envelope nested in another message, if it decodes as `kind`. */
export function decodeNested<K extends Kind>(
  bytes: Uint8Array,
  kind: K,
): { readonly sender: number; readonly body: BodyOf[K] } | undefined {
  const env = decode(ENVELOPE, bytes);
  if (!env.ok || env.value.kind !== KIND_TAGS[kind]) return undefined;
  const body = decode(bodyCodec(kind), env.value.body);
  return body.ok ? { sender: env.value.sender, body: body.value } : undefined;
}

/** True with probability `p` (always one draw). */
export function chance(rng: Rng, p: number): boolean {
  return rng.next() < p;
}

/** A uniformly chosen element of a non-empty array. */
export function pickOne<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick from an empty array');
  return items[rng.int(items.length)] as T;
}

/** `length` bytes drawn from the rng. */
export function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.int(256);
  return out;
}

/**
 * A bounded map that forgets its oldest entries: forged messages are remembered per original so a
 * retransmitted original is forged into the very same bytes.
 */
export class BoundedMemo<V> {
  /** Entries in insertion order (a Map iterates in that order). */
  private readonly entries = new Map<string, V>();

  constructor(
    /** Most entries kept. */
    private readonly capacity = 1024,
  ) {}

  /** The value for `key`, made by `make` on first use. */
  getOrMake(key: string, make: () => V): V {
    const known = this.entries.get(key);
    if (known !== undefined) return known;
    const value = make();
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, value);
    return value;
  }
}
