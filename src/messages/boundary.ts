/**
 * Validation at the boundary: the only way bytes from a peer or client become a `VerifiedMessage`.
 *
 * Checks run in the design's order, cheapest first, and stop at the first failure: frame size cap,
 * envelope decoding, kind tag, cluster id, sender, body decoding, per-kind field checks (sender role,
 * ranges, optional view/sequence window), then for a pre-prepare the structure of every request in
 * its batch and the batch digest, for a view-change or new-view every nested envelope and the
 * certificate rules (`certificates.ts`), for a reply its tree position and the root its leaf and
 * path lead to (`reply-batch.ts`: the signature it carries is over that root); signatures last.
 * `parseFrame` does everything but signatures and lists every signature check a frame needs, nested
 * ones included, so the runtime can verify them synchronously (`verifyFrame`) or off the event loop
 * (`verifyFrameAsync`). Nothing here throws on any input.
 */
import { sha256 } from '../crypto/hash.js';
import type { Verifier } from '../crypto/types.js';
import { batchDigest, requestKey } from './batch.js';
import {
  checkNewView,
  checkViewChange,
  type NestedKind,
  type OpenNested,
  type Parsed,
  type Signed,
  sameBytes,
  signatureChecks,
} from './certificates.js';
import { decode } from './codec.js';
import { bodyCodec, kindOfTag, signingBytes } from './envelope.js';
import { type Checked, type Fault, fault, type RejectReason, reject } from './reject.js';
import { replyRootOf, replyShapeFault, rootEnvelope, rootSigningBytes } from './reply-batch.js';
import { CLIENT_KINDS, ENVELOPE, type Envelope, KIND_TAGS, type Kind, LIMITS } from './schema.js';
import type { AnyMessage, AnyVerified, Message, VerifiedMessage } from './types.js';

export type { Checked, RejectReason } from './reject.js';

/** The principals of a cluster: who may send, and the key that verifies each one. */
export interface Principals {
  /** Number of replicas; replica ids are 0..n-1. */
  readonly n: number;
  /** Most Byzantine replicas tolerated (n >= 3f + 1). */
  readonly f: number;
  /** The verifier of replica `id`, or undefined when there is none. */
  replica(id: number): Verifier | undefined;
  /** The verifier of client `id`, or undefined when the client is unknown. */
  client(id: number): Verifier | undefined;
}

/** The receiver's normal-case position, for dropping stale or far-ahead messages before any crypto. */
export interface ViewWindow {
  /** The receiver's current view: normal-case messages of lower views are dropped. */
  readonly view: number;
  /** Low watermark h: sequence numbers <= h are dropped. */
  readonly low: number;
  /** High watermark h + L: sequence numbers > h + L are dropped. */
  readonly high: number;
}

/** What the boundary needs to know about the receiver. */
export interface BoundaryContext {
  /** This cluster's 16-byte id: envelopes for any other cluster are refused. */
  readonly cluster: Uint8Array;
  /** Who may send and with which key. */
  readonly principals: Principals;
  /** When present, pre-prepares, prepares and commits outside it are dropped early. */
  readonly window?: ViewWindow;
  /** The configured batch size, when smaller than `LIMITS.maxBatch`. */
  readonly maxBatch?: number;
  /**
   * Benchmark networks only (cluster.json `unsignedRequests`): client REQUEST signatures are not
   * checked (such requests carry an all-zero signature); every replica message still is.
   */
  readonly unsignedRequests?: boolean;
}

/** One signature a frame needs: `signature` over `data` under `verifier`. */
export interface SignatureCheck {
  /** The signer's key. */
  readonly verifier: Verifier;
  /** `signingBytes(...)` of the envelope's fields (a reply: of the root its leaf and path lead to). */
  readonly data: Uint8Array;
  /** The envelope's 64-byte signature. */
  readonly signature: Uint8Array;
  /**
   * The envelope that carries this signature, verbatim (a key for "already verified" caches); for a
   * reply, the signed root envelope (`rootEnvelope`), which every reply of one batch shares.
   */
  readonly envelope: Uint8Array;
  /** What the frame is refused with when this signature fails: the reason, and which envelope it is. */
  readonly failure: { readonly reason: RejectReason; readonly detail: string };
  /** Set on a client request in a cluster that runs unsigned requests: the check is skipped. */
  readonly unchecked?: true;
}

declare const parsedBrand: unique symbol;

/** A frame that passed every check except signatures. Only `parseFrame` makes one. */
export interface ParsedFrame {
  /** The decoded message; `bytes` is the exact envelope, copied out of the caller's buffer. */
  readonly message: AnyMessage;
  /** For a pre-prepare, its requests decoded, in batch order; otherwise undefined. */
  readonly batch: readonly Message<'request'>[] | undefined;
  /**
   * Every distinct envelope's signature check: the envelope's own first, then the nested ones depth
   * first in body order (batch requests, proofs, certificates, view-changes and their contents). An
   * envelope nested twice (the same pre-prepare in two view-changes) is listed once.
   */
  readonly signatures: readonly SignatureCheck[];
  /** The message with everything nested in it, parsed: what verification turns into attachments. */
  readonly tree: Parsed;
  /** Marks values made by `parseFrame`. */
  readonly [parsedBrand]: true;
}

/**
 * Tells the verifier that an envelope's signature was verified before (by the same boundary
 * configuration, or under the same `verifier`), so it is not verified twice. Must answer true only
 * for envelopes whose bytes passed verification earlier.
 */
export type KnownValid = (envelope: Uint8Array, verifier: Verifier) => boolean;

/** Primary of view `view` among `n` replicas: `view mod n`. */
export function primaryOf(view: number, n: number): number {
  return view % n;
}

/** A per-kind field check: a fault, or undefined when the fields are acceptable. */
type FieldCheck<K extends Kind> = (m: Message<K>, ctx: BoundaryContext) => Fault | undefined;

/** Refuses a sender that is not the primary of `view` (pre-prepare, new-view). */
function mustBePrimary(kind: Kind, sender: number, view: number, n: number): Fault | undefined {
  const primary = primaryOf(view, n);
  if (sender === primary) return undefined;
  return fault('wrong-sender-role', `${kind} from replica ${sender}, primary of view ${view} is ${primary}`);
}

/** Refuses sequence number 0, which names the genesis state and is never proposed. */
function positiveSeq(kind: Kind, seq: number): Fault | undefined {
  return seq === 0 ? fault('bad-field', `${kind} with seq 0`) : undefined;
}

/** Refuses a normal-case message below the current view or outside (low, high]. */
function inWindow(view: number, seq: number, ctx: BoundaryContext): Fault | undefined {
  const w = ctx.window;
  if (w === undefined) return undefined;
  if (view < w.view) return fault('outside-window', `view ${view} below current view ${w.view}`);
  if (seq > w.low && seq <= w.high) return undefined;
  return fault('outside-window', `seq ${seq} outside (${w.low}, ${w.high}]`);
}

/**
 * Field checks per kind, on the message's own fields (what it nests is checked after these). The
 * mapped type makes the compiler demand an entry for every kind.
 */
const FIELD_CHECKS: { readonly [K in Kind]: FieldCheck<K> } = {
  request: (m) =>
    m.body.client === m.sender
      ? undefined
      : fault('bad-field', `request client ${m.body.client} from ${m.sender}`),
  'pre-prepare': (m, ctx) => {
    const n = ctx.principals.n;
    const max = Math.min(ctx.maxBatch ?? LIMITS.maxBatch, LIMITS.maxBatch);
    return (
      mustBePrimary(m.kind, m.sender, m.body.view, n) ??
      positiveSeq(m.kind, m.body.seq) ??
      inWindow(m.body.view, m.body.seq, ctx) ??
      (m.body.requests.length > max
        ? fault('batch-too-large', `${m.body.requests.length} requests, at most ${max}`)
        : undefined)
    );
  },
  prepare: (m, ctx) =>
    (m.sender === primaryOf(m.body.view, ctx.principals.n)
      ? fault('wrong-sender-role', `prepare from the primary of view ${m.body.view}`)
      : undefined) ??
    positiveSeq(m.kind, m.body.seq) ??
    inWindow(m.body.view, m.body.seq, ctx),
  commit: (m, ctx) => positiveSeq(m.kind, m.body.seq) ?? inWindow(m.body.view, m.body.seq, ctx),
  reply: (m, ctx) => {
    const max = Math.min(ctx.maxBatch ?? LIMITS.maxBatch, LIMITS.maxBatch);
    const bad = replyShapeFault(m.body, max);
    return bad === undefined ? undefined : fault('bad-reply-path', bad);
  },
  checkpoint: () => undefined,
  'view-change': (m) => (m.body.newView === 0 ? fault('bad-field', 'view-change to view 0') : undefined),
  'new-view': (m, ctx) =>
    m.body.view === 0
      ? fault('bad-field', 'new-view for view 0')
      : mustBePrimary(m.kind, m.sender, m.body.view, ctx.principals.n),
  'fetch-state': () => undefined,
  'state-chunk': (m) =>
    m.body.part < m.body.parts ? undefined : fault('bad-field', `part ${m.body.part} of ${m.body.parts}`),
};

/** Runs the field check of `m`'s kind. */
function checkFields<K extends Kind>(m: Message<K>, ctx: BoundaryContext): Fault | undefined {
  const check: FieldCheck<K> = FIELD_CHECKS[m.kind];
  return check(m, ctx);
}

/**
 * The key of an envelope's sender for its kind. A client kind's sender is a client id; a replica
 * kind's sender must be a replica id below n. A replica kind from an id that is not a replica but is
 * a known client is a role error; the other direction cannot be told apart (ids are read per kind).
 */
function senderKey(kind: Kind, sender: number, p: Principals): Verifier | Fault {
  if (CLIENT_KINDS.has(kind)) return p.client(sender) ?? fault('unknown-sender', `unknown client ${sender}`);
  if (sender < p.n) return p.replica(sender) ?? fault('unknown-sender', `replica ${sender} has no key`);
  if (p.client(sender) !== undefined) return fault('wrong-sender-role', `${kind} from client ${sender}`);
  return fault('unknown-sender', `replica ${sender} >= n = ${p.n}`);
}

/** A decoded envelope as a message plus the signature check it needs. */
type Opened = { readonly message: AnyMessage; readonly check: Signed };

/** Envelope to message: kind tag, cluster id, sender, body decoding (no field checks, no signature). */
function openEnvelope(env: Envelope, bytes: Uint8Array, ctx: BoundaryContext): Opened | Fault {
  const kind = kindOfTag(env.kind);
  if (kind === undefined) return fault('unknown-kind', `tag ${env.kind}`);
  if (!sameBytes(env.cluster, ctx.cluster)) return fault('wrong-cluster', 'cluster id differs');
  const verifier = senderKey(kind, env.sender, ctx.principals);
  if ('reason' in verifier) return verifier;
  const body = decode(bodyCodec(kind), env.body);
  if (!body.ok) {
    if (kind === 'pre-prepare' && body.failure === 'too-long' && batchCountOf(env.body) > LIMITS.maxBatch) {
      return fault('batch-too-large', `batch count ${batchCountOf(env.body)}`);
    }
    return fault('malformed-body', `${kind}: ${body.failure}`);
  }
  const message = { kind, sender: env.sender, body: body.value, bytes } as AnyMessage;
  const data = signingBytes(kind, env.cluster, env.sender, env.body);
  const check = { verifier, data, signature: env.signature, envelope: bytes };
  if (kind === 'request' && ctx.unsignedRequests === true)
    return { message, check: { ...check, unchecked: true } };
  return { message, check };
}

/** Byte offset of a pre-prepare body's request count: after view (8), seq (8) and digest (32). */
export const PRE_PREPARE_COUNT_OFFSET = 48;

/** The request count a pre-prepare body claims, or -1 when the body is too short to say. */
function batchCountOf(body: Uint8Array): number {
  if (body.length < PRE_PREPARE_COUNT_OFFSET + 4) return -1;
  return new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(PRE_PREPARE_COUNT_OFFSET);
}

/** Opens certificate entries with the receiver's context minus its window: nested messages are history. */
function opener(ctx: BoundaryContext): OpenNested {
  let inner = ctx;
  if (ctx.window !== undefined) {
    const { window: _window, ...rest } = ctx;
    inner = rest;
  }
  return (bytes, kind) => openNested(bytes, kind, inner);
}

/**
 * Opens an envelope nested in another message as `kind` (any other kind is refused, which bounds the
 * nesting), then runs every check of that kind, its own nested envelopes included.
 */
function openNested<K extends NestedKind>(
  bytes: Uint8Array,
  kind: K,
  ctx: BoundaryContext,
): Parsed<K> | Fault {
  const env = decode(ENVELOPE, bytes);
  if (!env.ok) return fault('malformed-envelope', env.failure);
  if (env.value.kind !== KIND_TAGS[kind]) {
    return fault('unknown-kind', `tag ${env.value.kind} is not a ${kind}`);
  }
  const opened = openEnvelope(env.value, bytes, ctx);
  if ('reason' in opened) return opened;
  return parseMessage(opened, ctx) as Parsed<K> | Fault;
}

/** Opens every request of a pre-prepare's batch and checks duplicates and the digest. */
function checkBatch(m: Message<'pre-prepare'>, ctx: BoundaryContext): Parsed<'request'>[] | Fault {
  const requests: Parsed<'request'>[] = [];
  const seen = new Set<string>();
  for (const [i, bytes] of m.body.requests.entries()) {
    const request = openNested(bytes, 'request', ctx);
    if ('reason' in request) {
      return fault('bad-request-in-batch', `request ${i}: ${request.reason} (${request.detail})`);
    }
    const key = requestKey(request.message.body.client, request.message.body.timestamp);
    if (seen.has(key)) {
      return fault('duplicate-request-in-batch', `request ${i}: (client, timestamp) ${key} repeats`);
    }
    seen.add(key);
    requests.push(request);
  }
  if (!sameBytes(batchDigest(m.body.requests), m.body.digest)) {
    return fault('batch-digest-mismatch', `digest does not match ${requests.length} requests`);
  }
  return requests;
}

/** An opened envelope's field checks, then what it nests: a batch, or certificates (without the window). */
function parseMessage(o: Opened, ctx: BoundaryContext): Parsed | Fault {
  const m = o.message;
  const bad = checkFields(m, ctx);
  if (bad !== undefined) return bad;
  switch (m.kind) {
    case 'pre-prepare': {
      const batch = checkBatch(m, ctx);
      return 'reason' in batch ? batch : { kind: m.kind, message: m, signed: o.check, batch };
    }
    case 'view-change': {
      const parts = checkViewChange(m, ctx.principals, opener(ctx));
      return 'reason' in parts ? parts : { kind: m.kind, message: m, signed: o.check, ...parts };
    }
    case 'new-view': {
      const parts = checkNewView(m, ctx.principals, opener(ctx));
      return 'reason' in parts ? parts : { kind: m.kind, message: m, signed: o.check, ...parts };
    }
    case 'reply': {
      const signed = replySigned(m, o.check, ctx.cluster);
      return 'reason' in signed ? signed : { kind: m.kind, message: m, signed };
    }
    default:
      return { kind: m.kind, message: m, signed: o.check } as Parsed;
  }
}

/**
 * A reply's signature check: over the root its leaf and path lead to, keyed by the root envelope
 * (shared by every reply of the batch). Its shape was checked with its fields, so the root exists;
 * `cluster` is the receiver's, which the envelope's was checked to equal.
 */
function replySigned(m: Message<'reply'>, check: Signed, cluster: Uint8Array): Signed | Fault {
  const root = replyRootOf(sha256, cluster, m.sender, m.body);
  if (root === undefined) return fault('bad-reply-path', 'path does not lead to a root');
  return {
    ...check,
    data: rootSigningBytes(cluster, m.sender, root),
    envelope: rootEnvelope(cluster, m.sender, root, check.signature),
  };
}

/** Every check but signatures; see the module comment. */
function parseUnguarded(input: Uint8Array, ctx: BoundaryContext): Checked<ParsedFrame> {
  if (input.length > LIMITS.maxFrameBytes) return reject('frame-too-large', `${input.length} bytes`);
  // A private copy (never `slice`, which on a Buffer is a view): decoded byte fields are views into
  // it, so a caller reusing its buffer cannot change a message after it was checked.
  const frame = new Uint8Array(input);
  const env = decode(ENVELOPE, frame);
  if (!env.ok) return reject('malformed-envelope', env.failure);
  const opened = openEnvelope(env.value, frame, ctx);
  if ('reason' in opened) return reject(opened.reason, opened.detail);
  const tree = parseMessage(opened, ctx);
  if ('reason' in tree) {
    const kind = opened.message.kind;
    return reject(tree.reason, tree.reason === 'bad-certificate' ? `${kind} ${tree.detail}` : tree.detail);
  }
  const batch = tree.kind === 'pre-prepare' ? tree.batch.map((q) => q.message) : undefined;
  const value = { message: tree.message, batch, signatures: signatureChecks(tree), tree };
  return { ok: true, value: value as unknown as ParsedFrame };
}

/** Parses a frame from the network: every boundary check except signatures. Never throws. */
export function parseFrame(bytes: Uint8Array, ctx: BoundaryContext): Checked<ParsedFrame> {
  try {
    return parseUnguarded(bytes, ctx);
  } catch (e) {
    // Decoding never throws, so this is hostile input reaching an unforeseen path: refuse the frame.
    return reject('malformed-body', `unexpected: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The refusal for a failed signature check: the reason and detail it was listed with. */
function signatureFault(c: SignatureCheck): Checked<AnyVerified> {
  return reject(c.failure.reason, c.failure.detail);
}

/** One synchronous signature check; a throwing verifier counts as a failure. */
function checkSignature(c: SignatureCheck, known: KnownValid | undefined): boolean {
  try {
    return known?.(c.envelope, c.verifier) === true || c.verifier.verify(c.data, c.signature) === true;
  } catch {
    return false;
  }
}

/** One asynchronous signature check; a throwing or rejecting verifier counts as a failure. */
async function checkSignatureAsync(c: SignatureCheck, known: KnownValid | undefined): Promise<boolean> {
  try {
    return (
      known?.(c.envelope, c.verifier) === true || (await c.verifier.verifyAsync(c.data, c.signature)) === true
    );
  } catch {
    return false;
  }
}

/**
 * The one place a VerifiedMessage is made, nested ones included: only once every signature of the
 * frame verified. Each nested message keeps its own envelope bytes; pre-prepares get their batch.
 */
function verified<K extends Kind>(p: Parsed<K>): VerifiedMessage<K> {
  const q = p as Parsed;
  let extra: object | undefined;
  if (q.kind === 'pre-prepare') extra = { batch: q.batch.map(verified) };
  if (q.kind === 'view-change') {
    const certificates = q.certificates.map((c) => ({
      prePrepare: verified(c.prePrepare),
      prepares: c.prepares.map(verified),
    }));
    extra = { proof: q.proof.map(verified), certificates };
  }
  if (q.kind === 'new-view') {
    extra = { viewChanges: q.viewChanges.map(verified), prePrepares: q.prePrepares.map(verified) };
  }
  const m = extra === undefined ? p.message : { ...p.message, ...extra };
  return m as unknown as VerifiedMessage<K>;
}

/** A parsed frame whose signatures all verified, as the core's verified message. */
function toVerified(p: ParsedFrame): AnyVerified {
  return verified(p.tree) as AnyVerified;
}

/** Verifies a parsed frame's signatures on this thread, envelope first. Never throws. */
export function verifyFrame(p: ParsedFrame, known?: KnownValid): Checked<AnyVerified> {
  for (const c of p.signatures) {
    if (!checkSignature(c, known)) return signatureFault(c);
  }
  return { ok: true, value: toVerified(p) };
}

/** Verifies a parsed frame's signatures all in parallel, off the event loop where it can. Never rejects. */
export async function verifyFrameAsync(p: ParsedFrame, known?: KnownValid): Promise<Checked<AnyVerified>> {
  const results = await Promise.all(p.signatures.map((c) => checkSignatureAsync(c, known)));
  const failed = results.indexOf(false);
  return failed < 0 ? { ok: true, value: toVerified(p) } : signatureFault(p.signatures[failed]!);
}

/** Parses and verifies a frame synchronously. Never throws. */
export function openFrame(bytes: Uint8Array, ctx: BoundaryContext, known?: KnownValid): Checked<AnyVerified> {
  const parsed = parseFrame(bytes, ctx);
  return parsed.ok ? verifyFrame(parsed.value, known) : parsed;
}
