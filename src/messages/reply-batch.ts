/**
 * Batch-signed replies: a replica signs once per executed batch, not once per reply, and every
 * reply stays signed and transferable (anyone with the replica's key can check it alone).
 *
 * - Leaf of one reply: H(0x00 || REPLY_LEAF), where REPLY_LEAF encodes everything a client checks:
 *   cluster id, replica id, view, seq, client, timestamp, result.
 * - The replies of a batch, in execution order, make a binary Merkle tree under the ledger's rules
 *   (`ledger/merkle.ts`): inner node H(0x01 || left || right), a last odd node promoted unchanged.
 * - The replica signs the root once: REPLY_ROOT {view, seq, leafCount, root} under its own domain tag
 *   `REPLY_ROOT_TAG`, so a root signature is never mistaken for a message of any kind.
 * - Each REPLY carries its own fields, its leaf `index` of `leafCount`, the sibling `path`, and in
 *   its envelope that one signature. A verifier recomputes the root from leaf and path and checks
 *   the signature over the root envelope. A reply sent again from the reply cache is a tree of one
 *   leaf (root = leaf hash, empty path) signed on its own.
 *
 * Pure, hash injected: the PBFT core signs with it, the boundary and clients verify with it.
 */
import type { Signer } from '../crypto/types.js';
import type { HashFn } from '../ledger/bytes.js';
import { leafHash, orderedTree, proofLength, rootOfProof } from '../ledger/merkle.js';
import { bytes, encode, fixed, struct, u32, u53 } from './codec.js';
import { type BodySignedKind, bodyCodec, CLUSTER_ID_BYTES, seal, taggedSigningBytes } from './envelope.js';
import {
  type BodyOf,
  ENVELOPE,
  KIND_TAGS,
  type Kind,
  LIMITS,
  REPLY_ROOT,
  REPLY_ROOT_TAG,
  type ReplyRoot,
} from './schema.js';
import type { Message } from './types.js';

/** The canonical bytes one reply's leaf hashes: every field the client checks, and who answered. */
const REPLY_LEAF = struct({
  cluster: fixed(CLUSTER_ID_BYTES),
  replica: u32,
  view: u53,
  seq: u53,
  client: u32,
  timestamp: u53,
  result: bytes(LIMITS.maxResultBytes),
});

/** A reply body's own content, without its place in the batch tree. */
export type ReplyContent = Pick<BodyOf['reply'], 'view' | 'seq' | 'client' | 'timestamp' | 'result'>;

/** One reply of an executed batch: to whom, for which request, with which result. */
export interface ReplyEntry {
  /** The client answered. */
  readonly client: number;
  /** The request's timestamp. */
  readonly timestamp: number;
  /** The encoded ledger result. */
  readonly result: Uint8Array;
}

/** The leaf hash of a reply from replica `sender` of cluster `cluster`. */
export function replyLeafHash(
  hash: HashFn,
  cluster: Uint8Array,
  sender: number,
  c: ReplyContent,
): Uint8Array {
  const { view, seq, client, timestamp, result } = c;
  return leafHash(
    hash,
    encode(REPLY_LEAF, { cluster, replica: sender, view, seq, client, timestamp, result }),
  );
}

/**
 * Why a reply body's tree position cannot be right, or undefined when it can: at least one and at
 * most `maxLeaves` leaves, the index inside them, and exactly as many siblings as that leaf's path has.
 */
export function replyShapeFault(b: BodyOf['reply'], maxLeaves: number): string | undefined {
  const { index, leafCount, path } = b;
  if (leafCount < 1 || leafCount > maxLeaves) return `leaf count ${leafCount}, expected 1..${maxLeaves}`;
  if (index >= leafCount) return `leaf index ${index} of ${leafCount} leaves`;
  const want = proofLength(index, leafCount);
  if (path.length !== want)
    return `path of ${path.length} hashes, leaf ${index} of ${leafCount} needs ${want}`;
  return undefined;
}

/**
 * The root a reply from `sender` leads to: its leaf hashed up its path. Undefined when the path
 * does not fit (index, leafCount) (see `replyShapeFault`). Never throws.
 */
export function replyRootOf(
  hash: HashFn,
  cluster: Uint8Array,
  sender: number,
  b: BodyOf['reply'],
): ReplyRoot | undefined {
  const leaf = replyLeafHash(hash, cluster, sender, b);
  const root = rootOfProof(leaf, { index: b.index, leafCount: b.leafCount, siblings: b.path }, hash);
  return root === undefined ? undefined : { view: b.view, seq: b.seq, leafCount: b.leafCount, root };
}

/** What replica `sender`'s signature over `root` covers: the root under its own domain tag. */
export function rootSigningBytes(cluster: Uint8Array, sender: number, root: ReplyRoot): Uint8Array {
  return taggedSigningBytes(REPLY_ROOT_TAG, cluster, sender, encode(REPLY_ROOT, root));
}

/**
 * Replica `sender`'s signed root as an envelope (tag `REPLY_ROOT_TAG`, never a frame's kind): it
 * names (cluster, sender, root, signature) exactly, so it keys caches of verified roots.
 */
export function rootEnvelope(
  cluster: Uint8Array,
  sender: number,
  root: ReplyRoot,
  signature: Uint8Array,
): Uint8Array {
  return encode(ENVELOPE, {
    kind: REPLY_ROOT_TAG,
    cluster,
    sender,
    body: encode(REPLY_ROOT, root),
    signature,
  });
}

/** A reply message with `body` and the root signature `signature`, as it travels. */
export function replyWithSignature(
  cluster: Uint8Array,
  sender: number,
  body: BodyOf['reply'],
  signature: Uint8Array,
): Message<'reply'> {
  const bodyBytes = encode(bodyCodec('reply'), body);
  const bytes = encode(ENVELOPE, { kind: KIND_TAGS.reply, cluster, sender, body: bodyBytes, signature });
  return { kind: 'reply', sender, body, bytes };
}

/**
 * The replies of one executed batch (view, seq), in execution order, under ONE signature over
 * their root. At least one entry.
 */
export function sealReplies(
  signer: Signer,
  hash: HashFn,
  cluster: Uint8Array,
  sender: number,
  at: { readonly view: number; readonly seq: number },
  entries: readonly ReplyEntry[],
): Message<'reply'>[] {
  const { view, seq } = at;
  const leaves = entries.map((e) => replyLeafHash(hash, cluster, sender, { view, seq, ...e }));
  const { root, proofs } = orderedTree(leaves, hash);
  const signed = { view, seq, leafCount: entries.length, root };
  const signature = signer.sign(rootSigningBytes(cluster, sender, signed));
  return entries.map((e, i) => {
    const { index, leafCount, siblings } = proofs[i]!;
    const body = { view, seq, ...pick(e), index, leafCount, path: [...siblings] };
    return replyWithSignature(cluster, sender, body, signature);
  });
}

/**
 * One reply signed on its own: the signature over the root its body's leaf and path lead to (a
 * reply-cache answer has index 0 of 1 leaf and an empty path). A body whose path does not fit its
 * (index, leafCount) is a bug in the caller: RangeError.
 */
export function sealReply(
  signer: Signer,
  hash: HashFn,
  cluster: Uint8Array,
  sender: number,
  body: BodyOf['reply'],
): Message<'reply'> {
  const root = replyRootOf(hash, cluster, sender, body);
  if (root === undefined) throw new RangeError('sealReply: the path does not fit (index, leafCount)');
  const signature = signer.sign(rootSigningBytes(cluster, sender, root));
  return replyWithSignature(cluster, sender, body, signature);
}

/**
 * Signs a message of any kind as `sender`: a reply through the root its body leads to (`sealReply`),
 * every other kind over its body (`seal`). For code that handles every kind alike (tests, Byzantine
 * behaviours re-signing what they changed).
 */
export function sealMessage<K extends Kind>(
  signer: Signer,
  hash: HashFn,
  cluster: Uint8Array,
  kind: K,
  sender: number,
  body: BodyOf[K],
): Message<K> {
  if (kind === 'reply')
    return sealReply(signer, hash, cluster, sender, body as BodyOf['reply']) as Message<K>;
  return seal(signer, cluster, kind as BodySignedKind, sender, body as BodyOf[BodySignedKind]) as Message<K>;
}

/** The entry fields of a reply, copied so a caller's extra fields never reach the body. */
function pick(e: ReplyEntry): ReplyEntry {
  return { client: e.client, timestamp: e.timestamp, result: e.result };
}
