/**
 * Signed envelopes. A signature covers a domain tag (protocol name, cluster id, kind, sender)
 * followed by the body bytes exactly as sent, so a signature made for another protocol, another
 * cluster, another message kind or another sender id never verifies here.
 *
 * One kind is signed differently: a REPLY's envelope carries the signature over its batch's root
 * (domain tag `REPLY_ROOT_TAG`, see `reply-batch.ts`), so `seal` refuses replies and
 * `sealReply`/`sealReplies` there make them.
 */
import type { Signer } from '../crypto/types.js';
import { type Codec, encode } from './codec.js';
import { BODIES, type BodyOf, ENVELOPE, KIND_TAGS, type Kind, PROTOCOL_DOMAIN } from './schema.js';
import type { Message } from './types.js';

/** Byte length of a cluster id. */
export const CLUSTER_ID_BYTES = 16;

/** ASCII protocol name, the first bytes of every domain tag. */
const DOMAIN_NAME = new TextEncoder().encode(PROTOCOL_DOMAIN);

/** Length of the domain tag: protocol name, 0x00, cluster id, kind tag, sender (u32 BE). */
export const DOMAIN_TAG_BYTES = DOMAIN_NAME.length + 1 + CLUSTER_ID_BYTES + 1 + 4;

/** Kind name by wire tag, for decoding; tags absent here are unknown kinds. */
const KIND_BY_TAG: ReadonlyMap<number, Kind> = new Map(
  (Object.entries(KIND_TAGS) as [Kind, number][]).map(([kind, tag]) => [tag, kind]),
);

/** The kind a wire tag names, or undefined for an unknown tag. */
export function kindOfTag(tag: number): Kind | undefined {
  return KIND_BY_TAG.get(tag);
}

/** The schema of a kind's body, typed by the kind (the table's value type is a union otherwise). */
export function bodyCodec<K extends Kind>(kind: K): Codec<BodyOf[K]> {
  return BODIES[kind] as unknown as Codec<BodyOf[K]>;
}

/**
 * The exact bytes a signature covers:
 *   ASCII(PROTOCOL_DOMAIN) || 0x00 || cluster (16 bytes) || kind tag (1 byte) || sender (u32 BE) || body.
 * The tag before the body has a fixed length, so the split between tag and body is unambiguous.
 */
export function signingBytes(kind: Kind, cluster: Uint8Array, sender: number, body: Uint8Array): Uint8Array {
  return taggedSigningBytes(KIND_TAGS[kind], cluster, sender, body);
}

/**
 * `signingBytes` for any domain tag byte: a kind's tag, or `REPLY_ROOT_TAG` for a reply batch's root
 * (its own tag, so a root signature never verifies as a message of any kind, nor the other way).
 */
export function taggedSigningBytes(
  tag: number,
  cluster: Uint8Array,
  sender: number,
  body: Uint8Array,
): Uint8Array {
  if (cluster.length !== CLUSTER_ID_BYTES) {
    throw new RangeError(`cluster id must be 16 bytes, got ${cluster.length}`);
  }
  if (!Number.isInteger(sender) || sender < 0 || sender > 0xffffffff) {
    throw new RangeError(`bad sender ${sender}`);
  }
  const out = new Uint8Array(DOMAIN_TAG_BYTES + body.length);
  let at = 0;
  out.set(DOMAIN_NAME, at);
  at += DOMAIN_NAME.length;
  out[at++] = 0;
  out.set(cluster, at);
  at += CLUSTER_ID_BYTES;
  out[at++] = tag;
  new DataView(out.buffer).setUint32(at, sender);
  at += 4;
  out.set(body, at);
  return out;
}

/**
 * Signs arbitrary body bytes and returns the envelope bytes. Honest code uses `seal`; this exists so
 * tests and Byzantine behaviours can sign bodies that are not valid encodings.
 */
export function sealBytes(
  signer: Signer,
  cluster: Uint8Array,
  kind: Kind,
  sender: number,
  body: Uint8Array,
): Uint8Array {
  const signature = signer.sign(signingBytes(kind, cluster, sender, body));
  return encode(ENVELOPE, { kind: KIND_TAGS[kind], cluster, sender, body, signature });
}

/** The kinds whose envelope signature covers their own body: all but a reply (signed through its batch root). */
export type BodySignedKind = Exclude<Kind, 'reply'>;

/**
 * Encodes `body` with the kind's schema, signs it and returns the message with its envelope bytes.
 * A reply is refused (a RangeError: a bug in the caller): `sealReply` and `sealReplies` sign replies.
 */
export function seal<K extends BodySignedKind>(
  signer: Signer,
  cluster: Uint8Array,
  kind: K,
  sender: number,
  body: BodyOf[K],
): Message<K> {
  if ((kind as Kind) === 'reply')
    throw new RangeError('a reply is signed through its batch root: use sealReply');
  const bodyBytes = encode(bodyCodec(kind), body);
  return { kind, sender, body, bytes: sealBytes(signer, cluster, kind, sender, bodyBytes) };
}
