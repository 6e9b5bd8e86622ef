/**
 * The wire schema: every message body and the signed envelope that carries it. The single source
 * of truth for the TypeScript types (inferred below) and for the bytes on the wire.
 */
import { bool, bytes, fixed, type Infer, list, struct, u8, u32, u53 } from './codec.js';

/** Bounds that the decoder enforces before it reads; change them only with the protocol version. */
export const LIMITS = {
  /** Largest frame a replica accepts at all. */
  maxFrameBytes: 4 * 1024 * 1024,
  /** Largest encoded ledger operation inside a REQUEST. */
  maxOpBytes: 1024,
  /** Largest encoded REQUEST envelope. */
  maxRequestBytes: 2048,
  /** Most requests in one batch. */
  maxBatch: 512,
  /** Largest REPLY result. */
  maxResultBytes: 1024,
  /**
   * Most sibling hashes in a REPLY's path to its batch root: a batch of `maxBatch` (512) replies has
   * paths of at most ceil(log2(512)) = 9; the rest is slack for a larger batch size later.
   */
  maxReplyPath: 16,
  /** Most envelopes in one certificate list (checkpoint proofs, prepares, view changes). */
  maxCertificate: 256,
  /** Most prepared certificates (or pre-prepares) in one VIEW-CHANGE (NEW-VIEW). */
  maxPrepared: 4096,
  /** Largest envelope nested inside another message. */
  maxNestedBytes: 1024 * 1024,
  /** Largest state-transfer chunk. */
  maxChunkBytes: 1024 * 1024,
} as const;

/** SHA-256 digest. */
const digest = fixed(32);
/** An envelope nested inside another message, kept verbatim (certificates never re-encode). */
const nested = bytes(LIMITS.maxNestedBytes);

/** The message kinds, with their one-byte wire tag. Tags never change meaning. */
export const KIND_TAGS = {
  request: 1,
  'pre-prepare': 2,
  prepare: 3,
  commit: 4,
  reply: 5,
  checkpoint: 6,
  'view-change': 7,
  'new-view': 8,
  'fetch-state': 9,
  'state-chunk': 10,
} as const;

/** A message kind name. */
export type Kind = keyof typeof KIND_TAGS;

/** Kinds a client signs; every other kind is signed by a replica. */
export const CLIENT_KINDS: ReadonlySet<Kind> = new Set<Kind>(['request']);

/** One schema per kind. */
export const BODIES = {
  /** A client's signed transaction; `op` is a ledger operation, `timestamp` is per-client monotonic. */
  request: struct({ client: u32, timestamp: u53, op: bytes(LIMITS.maxOpBytes) }),
  /** The primary's proposal of a batch (request envelopes verbatim) for (view, seq). */
  'pre-prepare': struct({
    view: u53,
    seq: u53,
    digest,
    requests: list(bytes(LIMITS.maxRequestBytes), LIMITS.maxBatch),
  }),
  /** A backup's vote that it accepted the pre-prepare for (view, seq, digest). */
  prepare: struct({ view: u53, seq: u53, digest }),
  /** A replica's vote that (view, seq, digest) is prepared at a quorum. */
  commit: struct({ view: u53, seq: u53, digest }),
  /**
   * A replica's answer to one client request, executed at `seq` in `view`. A replica signs once per
   * executed batch: a Merkle root over one leaf per reply (see `reply-batch.ts`); each reply carries
   * its leaf's position (`index` of `leafCount`) and sibling `path`, and the envelope's signature is
   * the signature over that root, not over this body.
   */
  reply: struct({
    view: u53,
    client: u32,
    timestamp: u53,
    seq: u53,
    result: bytes(LIMITS.maxResultBytes),
    index: u32,
    leafCount: u32,
    path: list(digest, LIMITS.maxReplyPath),
  }),
  /** The ledger digest after executing `seq`. */
  checkpoint: struct({ seq: u53, stateDigest: digest }),
  /** A vote to move to `newView`, with the stable checkpoint's proof and what prepared above it. */
  'view-change': struct({
    newView: u53,
    stableSeq: u53,
    stableDigest: digest,
    checkpointProof: list(nested, LIMITS.maxCertificate),
    prepared: list(
      struct({ prePrepare: nested, prepares: list(nested, LIMITS.maxCertificate) }),
      LIMITS.maxPrepared,
    ),
  }),
  /** The new primary's installation of `view`: the view changes it used and the recomputed pre-prepares. */
  'new-view': struct({
    view: u53,
    viewChanges: list(nested, LIMITS.maxCertificate),
    prePrepares: list(nested, LIMITS.maxPrepared),
  }),
  /** A request for the snapshot at `seq` (part `part`), or for committed batches from `seq`. */
  'fetch-state': struct({ seq: u53, what: u8, part: u32 }),
  /** One chunk of state served for a fetch. */
  'state-chunk': struct({
    seq: u53,
    what: u8,
    part: u32,
    parts: u32,
    data: bytes(LIMITS.maxChunkBytes),
  }),
} as const;

/** The decoded body type of each kind. */
export type BodyOf = { [K in Kind]: Infer<(typeof BODIES)[K]> };

/** The envelope every message travels in. The signature covers `signingBytes(...)` of its fields. */
export const ENVELOPE = struct({
  kind: u8,
  cluster: fixed(16),
  sender: u32,
  body: bytes(LIMITS.maxFrameBytes),
  signature: fixed(64),
});

/** A decoded envelope. */
export type Envelope = Infer<typeof ENVELOPE>;

/** The protocol name in every domain tag: a signature made for another protocol never verifies here. */
export const PROTOCOL_DOMAIN = 'bftledger/pbft/v1';

/**
 * The domain tag byte of a reply batch's root, in the same tag space as the kinds (`KIND_TAGS`,
 * `CFT_KIND_TAGS`) but never a frame's kind: a root signature can never verify as any message, and
 * no message's signature as a root. Tags never change meaning.
 */
export const REPLY_ROOT_TAG = 20;

/** What a replica signs once per executed batch: the root over its replies' leaves (see `reply-batch.ts`). */
export const REPLY_ROOT = struct({ view: u53, seq: u53, leafCount: u32, root: digest });

/** A decoded reply root. */
export type ReplyRoot = Infer<typeof REPLY_ROOT>;

// ---- crash-fault protocol (core/cft) --------------------------------------------------------

/**
 * The crash-fault protocol's message kinds with their wire tags. They share the one-byte tag space
 * with `KIND_TAGS` (a tag is never reused for another kind) and travel in the same `ENVELOPE`, but
 * unsigned: the signature field is all zero, and the sender is the transport's authenticated peer
 * (see `cft-boundary.ts`). Client REQUESTs stay the signed `request` kind above.
 */
export const CFT_KIND_TAGS = {
  'request-vote': 11,
  vote: 12,
  'append-entries': 13,
  'append-ack': 14,
  'install-snapshot': 15,
  'cft-reply': 16,
  redirect: 17,
  'pre-vote': 18,
  'pre-vote-reply': 19,
} as const;

/** A crash-fault message kind name. */
export type CftKind = keyof typeof CFT_KIND_TAGS;

/** Bounds of the crash-fault messages, on top of `LIMITS`. */
export const CFT_LIMITS = {
  /** Most log entries in one append-entries. */
  maxEntries: 256,
  /** The leader keeps the request bytes of one append-entries under this (one entry may exceed it alone). */
  maxAppendBytes: 1024 * 1024,
} as const;

/** `redirect.leader` when the replica knows no leader for its term. */
export const NO_LEADER = 0xffffffff;

/** One log entry on the wire: its term and the client REQUEST envelopes verbatim (none: a no-op). */
const cftEntry = struct({ term: u53, requests: list(bytes(LIMITS.maxRequestBytes), LIMITS.maxBatch) });

/** One schema per crash-fault kind. Terms start at 1; log indices start at 1 (0: the empty log). */
export const CFT_BODIES = {
  /** A candidate asks for votes in `term`; its log ends at (lastIndex, lastTerm). */
  'request-vote': struct({ term: u53, lastIndex: u53, lastTerm: u53 }),
  /** The answer to a request-vote of `term` (or a higher term that refuses it). */
  vote: struct({ term: u53, granted: bool }),
  /** The leader's log entries after (prevIndex, prevTerm), and its commit index; none: a heartbeat. */
  'append-entries': struct({
    term: u53,
    prevIndex: u53,
    prevTerm: u53,
    leaderCommit: u53,
    entries: list(cftEntry, CFT_LIMITS.maxEntries),
  }),
  /**
   * A follower's answer to append-entries or install-snapshot. Success: its log matches the
   * leader's up to `index`. Failure: the leader should retry with entries from `index + 1`.
   */
  'append-ack': struct({ term: u53, success: bool, index: u53 }),
  /**
   * Part `part` of `parts` of the leader's ledger snapshot after log index `lastIncludedIndex` (of
   * term `lastIncludedTerm`); `stateDigest` is its ledger digest, which the follower checks on restore.
   */
  'install-snapshot': struct({
    term: u53,
    lastIncludedIndex: u53,
    lastIncludedTerm: u53,
    stateDigest: digest,
    part: u32,
    parts: u32,
    data: bytes(LIMITS.maxChunkBytes),
  }),
  /** The leader's result for a client's request (client, timestamp), executed at log `index`. */
  'cft-reply': struct({
    term: u53,
    client: u32,
    timestamp: u53,
    index: u53,
    result: bytes(LIMITS.maxResultBytes),
  }),
  /** A replica that is not the leader sends the client to `leader` (`NO_LEADER`: unknown). */
  redirect: struct({ term: u53, client: u32, timestamp: u53, leader: u32 }),
  /**
   * Would the receiver vote for the sender in `term` (the sender's current term + 1), its log ending
   * at (lastIndex, lastTerm)? Asked before standing; neither side changes its term or vote for it.
   */
  'pre-vote': struct({ term: u53, lastIndex: u53, lastTerm: u53 }),
  /**
   * The answer to a pre-vote. Granted: `term` is the term asked about. Refused: `term` is the
   * refuser's current term, so a pre-candidate behind it learns the term.
   */
  'pre-vote-reply': struct({ term: u53, granted: bool }),
} as const;

/** The decoded body type of each crash-fault kind. */
export type CftBodyOf = { [K in CftKind]: Infer<(typeof CFT_BODIES)[K]> };

/** A crash-fault log entry as it travels (see `cftEntry`). */
export type CftWireEntry = CftBodyOf['append-entries']['entries'][number];
