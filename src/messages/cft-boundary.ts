/**
 * The boundary of the crash-fault protocol: the only way bytes become a `CftVerified` message.
 *
 * How an unsigned message travels: in the same `ENVELOPE` as every other message, with a kind tag
 * of `CFT_KIND_TAGS` and a signature field of 64 zero bytes (anything else is refused, so each
 * message has one encoding). Nothing is verified cryptographically: the runtime passes the peer
 * the transport authenticated (the Noise peer id mapped to a replica or client id), and a frame
 * whose envelope names another sender is refused. Client REQUESTs stay signed: they go through the
 * PBFT boundary's checks and signature verification (`parseFrame`, `verifyFrame`), and must come
 * from the connection of the client that signed them.
 *
 * Checks, cheapest first, stopping at the first failure: frame size, envelope decoding, kind tag,
 * cluster id, the peer's role for the kind and the receiving end, sender = authenticated peer,
 * sender known, zero signature, body decoding, field checks, then for an append-entries the
 * structure of every request in every entry (decoded, client known, no repeat within an entry;
 * signatures are the leader's business, not the follower's). Nothing here throws on any input.
 */
import { type KnownValid, type ParsedFrame, type Principals, parseFrame, verifyFrame } from './boundary.js';
import type { AnyCftMessage, AnyCftVerified, CftEntryIn, CftMessage, CftVerified } from './cft-types.js';
import { decode, encode } from './codec.js';
import { bodyCodec, kindOfTag } from './envelope.js';
import { ALL_REJECT_REASONS, type RejectReason } from './reject.js';
import {
  CFT_BODIES,
  CFT_KIND_TAGS,
  type CftBodyOf,
  type CftKind,
  ENVELOPE,
  type Envelope,
  KIND_TAGS,
  LIMITS,
  NO_LEADER,
} from './schema.js';
import type { Message, VerifiedMessage } from './types.js';

/** Reasons only the crash-fault boundary gives, in the order its checks run. */
export const CFT_ONLY_REJECT_REASONS = [
  /** The kind never travels to this end: a client-bound kind at a replica, a replica kind at a client. */
  'wrong-receiver',
  /** The envelope's sender is not the peer the transport authenticated. */
  'sender-mismatch',
  /** An unsigned kind whose signature field is not all zero. */
  'nonzero-signature',
  /** A request inside an append-entries entry is malformed, of another cluster, or from an unknown client. */
  'bad-request-in-entry',
  /** Two requests in one entry share (client, timestamp). */
  'duplicate-request-in-entry',
] as const;

/** Every reason the crash-fault boundary can give: the PBFT boundary's (REQUESTs go through it) and its own. */
export const ALL_CFT_REJECT_REASONS = [...ALL_REJECT_REASONS, ...CFT_ONLY_REJECT_REASONS] as const;

/** Why the crash-fault boundary refused a frame. */
export type CftRejectReason = RejectReason | (typeof CFT_ONLY_REJECT_REASONS)[number];

/** A boundary outcome: a value, or a stable reason with a human-readable detail for logs. */
export type CftChecked<T> = { ok: true; value: T } | { ok: false; reason: CftRejectReason; detail?: string };

/** What the crash-fault boundary needs to know about the receiver. */
export interface CftBoundaryContext {
  /** This cluster's 16-byte id. */
  readonly cluster: Uint8Array;
  /** `n` and the client keys (replica keys are not used: replica messages are unsigned). */
  readonly principals: Principals;
  /** The configured batch size, when smaller than `LIMITS.maxBatch`. */
  readonly maxBatch?: number;
  /** Client id to the client whose connection it shares (cluster.json `via`), for those that share one. */
  readonly clientVia?: ReadonlyMap<number, number>;
}

/** The peer a frame came from, as the transport authenticated it. */
export interface CftPeer {
  /** A replica (ids 0..n-1) or a client (its own id space). */
  readonly role: 'replica' | 'client';
  /** Its id. */
  readonly id: number;
}

/** A replica-side frame that passed every check except, for a REQUEST, its signature. */
export type CftParsedFrame =
  /** A replica's protocol message: nothing left to verify. */
  | { readonly type: 'protocol'; readonly msg: AnyCftVerified }
  /** A client REQUEST: verify it with `verifyFrame` or `verifyFrameAsync` (boundary.ts). */
  | { readonly type: 'request'; readonly frame: ParsedFrame };

/** What a replica's core receives from the network. */
export type CftInbound =
  | { readonly type: 'protocol'; readonly msg: AnyCftVerified }
  | { readonly type: 'request'; readonly request: VerifiedMessage<'request'> };

/** Kinds replicas send to clients (every other crash-fault kind goes from replica to replica). */
const CLIENT_BOUND_KINDS: ReadonlySet<CftKind> = new Set<CftKind>(['cft-reply', 'redirect']);

/** The signature field of every unsigned envelope. */
const ZERO_SIGNATURE = new Uint8Array(64);

/** Crash-fault kind name by wire tag. */
const CFT_KIND_BY_TAG: ReadonlyMap<number, CftKind> = new Map(
  (Object.entries(CFT_KIND_TAGS) as [CftKind, number][]).map(([kind, tag]) => [tag, kind]),
);

/** The crash-fault kind a wire tag names, or undefined. */
export function cftKindOfTag(tag: number): CftKind | undefined {
  return CFT_KIND_BY_TAG.get(tag);
}

/** Encodes a crash-fault message as envelope bytes: the sender's id and an all-zero signature. */
export function sealCft(cluster: Uint8Array, msg: CftMessage): Uint8Array {
  const body = encode(CFT_BODIES[msg.kind] as unknown as Parameters<typeof encode>[0], msg.body);
  const kind = CFT_KIND_TAGS[msg.kind];
  return encode(ENVELOPE, { kind, cluster, sender: msg.sender, body, signature: ZERO_SIGNATURE });
}

/** A refusal. */
type Refusal = { ok: false; reason: CftRejectReason; detail?: string };

/** Builds a refusal. */
function refuse(reason: CftRejectReason, detail: string): Refusal {
  return { ok: false, reason, detail };
}

/** Byte-wise equality. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether a client connection may carry `sender`'s request: `sender` is configured to connect via it. */
function carries(ctx: CftBoundaryContext, from: CftPeer, kind: CftKind | 'request', sender: number): boolean {
  return kind === 'request' && from.role === 'client' && ctx.clientVia?.get(sender) === from.id;
}

/** Which end receives: a replica or a client. */
type End = 'replica' | 'client';

/** The first envelope checks: size, decoding, kind, cluster, role, sender. */
function openEnvelope(
  input: Uint8Array,
  ctx: CftBoundaryContext,
  from: CftPeer,
  end: End,
): { env: Envelope; frame: Uint8Array; kind: CftKind | 'request' } | Refusal {
  if (input.length > LIMITS.maxFrameBytes) return refuse('frame-too-large', `${input.length} bytes`);
  // A private copy: decoded byte fields are views into it, so the caller may reuse its buffer.
  const frame = new Uint8Array(input);
  const decoded = decode(ENVELOPE, frame);
  if (!decoded.ok) return refuse('malformed-envelope', decoded.failure);
  const env = decoded.value;
  const kind = env.kind === KIND_TAGS.request ? 'request' : cftKindOfTag(env.kind);
  if (kind === undefined) {
    const pbft = kindOfTag(env.kind);
    return refuse(
      'unknown-kind',
      pbft === undefined ? `tag ${env.kind}` : `${pbft} is not a crash-fault kind`,
    );
  }
  if (!same(env.cluster, ctx.cluster)) return refuse('wrong-cluster', 'cluster id differs');
  const receivedBy: End = CLIENT_BOUND_KINDS.has(kind as CftKind) ? 'client' : 'replica';
  if (receivedBy !== end) return refuse('wrong-receiver', `${kind} is not sent to a ${end}`);
  const sentBy = kind === 'request' ? 'client' : 'replica';
  if (from.role !== sentBy) return refuse('wrong-sender-role', `${kind} from a ${from.role} connection`);
  if (env.sender !== from.id && !carries(ctx, from, kind, env.sender)) {
    return refuse('sender-mismatch', `envelope sender ${env.sender}, authenticated ${from.role} ${from.id}`);
  }
  return { env, frame, kind };
}

/** Body decoding and field checks of an unsigned kind. */
function openBody(env: Envelope, kind: CftKind, ctx: CftBoundaryContext): AnyCftVerified | Refusal {
  if (env.sender >= ctx.principals.n)
    return refuse('unknown-sender', `replica ${env.sender} >= n = ${ctx.principals.n}`);
  if (!same(env.signature, ZERO_SIGNATURE)) return refuse('nonzero-signature', `${kind} carries a signature`);
  const body = decode(CFT_BODIES[kind] as unknown as Parameters<typeof decode>[0], env.body);
  if (!body.ok) return refuse('malformed-body', `${kind}: ${body.failure}`);
  const msg = { kind, sender: env.sender, body: body.value } as AnyCftMessage;
  const bad = checkFields(msg, ctx);
  if (bad !== undefined) return bad;
  if (msg.kind !== 'append-entries') return msg as unknown as AnyCftVerified;
  const entries = openEntries(msg.body.entries, env.cluster, ctx);
  if ('reason' in entries) return entries;
  return { ...msg, entries } as unknown as AnyCftVerified;
}

/** Refuses term 0 (terms start at 1). */
function positiveTerm(kind: CftKind, term: number): Refusal | undefined {
  return term === 0 ? refuse('bad-field', `${kind} with term 0`) : undefined;
}

/** Refuses a log position whose index and term disagree about the empty log, or a term above `term`. */
function position(what: string, index: number, at: number, term: number): Refusal | undefined {
  if ((index === 0) !== (at === 0)) return refuse('bad-field', `${what} index ${index} with term ${at}`);
  if (at > term) return refuse('bad-field', `${what} term ${at} above the message's term ${term}`);
  return undefined;
}

/** Entry terms: non-decreasing, at least the previous entry's, at most the message's term. */
function entryTerms(b: CftBodyOf['append-entries']): Refusal | undefined {
  let last = Math.max(1, b.prevTerm);
  for (const [i, e] of b.entries.entries()) {
    if (e.term < last || e.term > b.term) {
      return refuse('bad-field', `entry ${i} term ${e.term} outside [${last}, ${b.term}]`);
    }
    last = e.term;
  }
  if (b.prevIndex + b.entries.length > Number.MAX_SAFE_INTEGER) return refuse('bad-field', 'index overflow');
  return undefined;
}

/** Field checks per kind; the mapped type makes the compiler demand one per kind. */
const FIELD_CHECKS: {
  readonly [K in CftKind]: (b: CftBodyOf[K], ctx: CftBoundaryContext) => Refusal | undefined;
} = {
  'request-vote': (b) =>
    positiveTerm('request-vote', b.term) ?? position('last', b.lastIndex, b.lastTerm, b.term),
  vote: (b) => positiveTerm('vote', b.term),
  'append-entries': (b, ctx) => {
    const max = Math.min(ctx.maxBatch ?? LIMITS.maxBatch, LIMITS.maxBatch);
    const big = b.entries.findIndex((e) => e.requests.length > max);
    if (big >= 0)
      return refuse(
        'batch-too-large',
        `entry ${big}: ${b.entries[big]?.requests.length} requests, at most ${max}`,
      );
    return (
      positiveTerm('append-entries', b.term) ??
      position('prev', b.prevIndex, b.prevTerm, b.term) ??
      entryTerms(b)
    );
  },
  'append-ack': (b) => positiveTerm('append-ack', b.term),
  'install-snapshot': (b) =>
    positiveTerm('install-snapshot', b.term) ??
    (b.lastIncludedIndex === 0 ? refuse('bad-field', 'snapshot of the empty log') : undefined) ??
    position('last included', b.lastIncludedIndex, b.lastIncludedTerm, b.term) ??
    (b.part < b.parts ? undefined : refuse('bad-field', `part ${b.part} of ${b.parts}`)),
  'cft-reply': (b) => positiveTerm('cft-reply', b.term),
  redirect: (b, ctx) =>
    b.leader === NO_LEADER || b.leader < ctx.principals.n
      ? undefined
      : refuse('bad-field', `leader ${b.leader} >= n = ${ctx.principals.n}`),
  'pre-vote': (b) => positiveTerm('pre-vote', b.term) ?? position('last', b.lastIndex, b.lastTerm, b.term),
  'pre-vote-reply': (b) => positiveTerm('pre-vote-reply', b.term),
};

/** Runs the field check of a message's kind. */
function checkFields(m: CftMessage, ctx: CftBoundaryContext): Refusal | undefined {
  const check = FIELD_CHECKS[m.kind] as (b: unknown, ctx: CftBoundaryContext) => Refusal | undefined;
  return check(m.body, ctx);
}

/** Decodes one request nested in an entry: structure, cluster and a known client; no signature. */
function openRequest(bytes: Uint8Array, cluster: Uint8Array, p: Principals): Message<'request'> | string {
  const env = decode(ENVELOPE, bytes);
  if (!env.ok) return `malformed envelope (${env.failure})`;
  if (env.value.kind !== KIND_TAGS.request) return `tag ${env.value.kind} is not a request`;
  if (!same(env.value.cluster, cluster)) return 'another cluster';
  if (p.client(env.value.sender) === undefined) return `unknown client ${env.value.sender}`;
  const body = decode(bodyCodec('request'), env.value.body);
  if (!body.ok) return `malformed body (${body.failure})`;
  if (body.value.client !== env.value.sender) return `client ${body.value.client} from ${env.value.sender}`;
  return { kind: 'request', sender: env.value.sender, body: body.value, bytes };
}

/** Opens every request of every entry. */
function openEntries(
  entries: CftBodyOf['append-entries']['entries'],
  cluster: Uint8Array,
  ctx: CftBoundaryContext,
): CftEntryIn[] | Refusal {
  const out: CftEntryIn[] = [];
  for (const [i, e] of entries.entries()) {
    const requests: Message<'request'>[] = [];
    const seen = new Set<string>();
    for (const [j, bytes] of e.requests.entries()) {
      const r = openRequest(bytes, cluster, ctx.principals);
      if (typeof r === 'string') return refuse('bad-request-in-entry', `entry ${i} request ${j}: ${r}`);
      const key = `${r.body.client}:${r.body.timestamp}`;
      if (seen.has(key))
        return refuse('duplicate-request-in-entry', `entry ${i} request ${j}: ${key} repeats`);
      seen.add(key);
      requests.push(r);
    }
    out.push({ term: e.term, requests });
  }
  return out;
}

/** `parseCftFrame` without the guard. */
function parseUnguarded(
  bytes: Uint8Array,
  ctx: CftBoundaryContext,
  from: CftPeer,
): CftChecked<CftParsedFrame> {
  const opened = openEnvelope(bytes, ctx, from, 'replica');
  if ('reason' in opened) return opened;
  if (opened.kind === 'request') {
    const parsed = parseFrame(opened.frame, ctx);
    return parsed.ok ? { ok: true, value: { type: 'request', frame: parsed.value } } : parsed;
  }
  const msg = openBody(opened.env, opened.kind, ctx);
  return 'reason' in msg ? msg : { ok: true, value: { type: 'protocol', msg } };
}

/** Turns an unforeseen exception on hostile input into a refusal. */
function guarded<T>(run: () => CftChecked<T>): CftChecked<T> {
  try {
    return run();
  } catch (e) {
    return refuse('malformed-body', `unexpected: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * A frame arriving at a replica from `from`: every check, except a REQUEST's signature, which the
 * caller verifies (on or off the event loop) with `verifyFrame` / `verifyFrameAsync`. Never throws.
 */
export function parseCftFrame(
  bytes: Uint8Array,
  ctx: CftBoundaryContext,
  from: CftPeer,
): CftChecked<CftParsedFrame> {
  return guarded(() => parseUnguarded(bytes, ctx, from));
}

/** A frame arriving at a replica, checked and (for a REQUEST) verified on this thread. Never throws. */
export function openCftFrame(
  bytes: Uint8Array,
  ctx: CftBoundaryContext,
  from: CftPeer,
  known?: KnownValid,
): CftChecked<CftInbound> {
  const parsed = parseCftFrame(bytes, ctx, from);
  if (!parsed.ok) return parsed;
  if (parsed.value.type === 'protocol') return { ok: true, value: parsed.value };
  const verified = verifyFrame(parsed.value.frame, known);
  if (!verified.ok) return verified;
  const request = verified.value as VerifiedMessage<'request'>;
  return { ok: true, value: { type: 'request', request } };
}

/**
 * A frame arriving at client `client` from `from`: a reply or a redirect from a replica, addressed
 * to this client. Never throws.
 */
export function openCftClientFrame(
  bytes: Uint8Array,
  ctx: CftBoundaryContext,
  from: CftPeer,
  client: number,
): CftChecked<CftVerified<'cft-reply'> | CftVerified<'redirect'>> {
  return guarded(() => {
    const opened = openEnvelope(bytes, ctx, from, 'client');
    if ('reason' in opened) return opened;
    const msg = openBody(opened.env, opened.kind as CftKind, ctx);
    if ('reason' in msg) return msg;
    const m = msg as CftVerified<'cft-reply'> | CftVerified<'redirect'>;
    if (m.body.client !== client) return refuse('bad-field', `addressed to client ${m.body.client}`);
    return { ok: true, value: m };
  });
}
