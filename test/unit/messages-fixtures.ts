/** Shared fixtures for the messages tests: a 4-replica cluster, its keys, and body/frame arbitraries. */
import fc from 'fast-check';
import { Ed25519Signer, Ed25519Verifier } from '../../src/crypto/ed25519.js';
import { sha256 } from '../../src/crypto/hash.js';
import { KeyedHashSigner } from '../../src/crypto/keyed-hash.js';
import type { Signer, Verifier } from '../../src/crypto/types.js';
import { proofLength } from '../../src/ledger/merkle.js';
import {
  type BodyOf,
  type BoundaryContext,
  batchDigest,
  CLIENT_KINDS,
  KIND_TAGS,
  type Kind,
  LIMITS,
  type Principals,
  primaryOf,
  seal,
  sealMessage,
} from '../../src/messages/index.js';

/** This cluster's id. */
export const CLUSTER = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
/** Another cluster's id: its signatures must never verify here. */
export const OTHER_CLUSTER = Uint8Array.from({ length: 16 }, (_, i) => 0xb0 + i);
/** Replicas in the test cluster. */
export const N = 4;
/** Faults tolerated. */
export const F = 1;
/** Known client ids (disjoint from replica ids, so a client id in a replica kind is a role error). */
export const CLIENT_IDS = [100, 101, 102, 103] as const;
/** Every message kind. */
export const ALL_KINDS = Object.keys(KIND_TAGS) as Kind[];

const utf8 = new TextEncoder();

/** The keys of the test cluster under one signature scheme. */
export interface Keys {
  /** What the boundary sees. */
  readonly principals: Principals;
  /** The signer of replica `id` (0..N-1). */
  replica(id: number): Signer;
  /** The signer of client `id` (one of CLIENT_IDS). */
  client(id: number): Signer;
  /** The signer a sender of `kind` uses. */
  signerFor(kind: Kind, sender: number): Signer;
  /** The verifier the test itself uses to judge an accepted frame, or undefined for an unknown sender. */
  verifierFor(kind: Kind, sender: number): Verifier | undefined;
  /** A key nobody in the cluster has. */
  readonly outsider: Signer;
}

/** Builds a Keys value from a signer factory and the matching verifier factory. */
function buildKeys(make: (label: string) => { signer: Signer; verifier: Verifier }): Keys {
  const replicas = Array.from({ length: N }, (_, i) => make(`replica-${i}`));
  const clients = new Map(CLIENT_IDS.map((id) => [id as number, make(`client-${id}`)]));
  const outsider = make('outsider').signer;
  const principals: Principals = {
    n: N,
    f: F,
    replica: (id) => (id < N ? replicas[id]?.verifier : undefined),
    client: (id) => clients.get(id)?.verifier,
  };
  const replica = (id: number): Signer => replicas[id]?.signer ?? outsider;
  const client = (id: number): Signer => clients.get(id)?.signer ?? outsider;
  return {
    principals,
    replica,
    client,
    signerFor: (kind, sender) => (CLIENT_KINDS.has(kind) ? client(sender) : replica(sender)),
    verifierFor: (kind, sender) =>
      CLIENT_KINDS.has(kind) ? principals.client(sender) : principals.replica(sender),
    outsider,
  };
}

/** The cluster with the simulator's cheap keyed-hash scheme (fast enough for 100k frames). */
export function keyedHashKeys(): Keys {
  return buildKeys((label) => {
    const signer = KeyedHashSigner.fromSeed(utf8.encode(label));
    return { signer, verifier: signer.toVerifier() };
  });
}

/** The cluster with real Ed25519 keys, derived deterministically from labels. */
export function ed25519Keys(): Keys {
  return buildKeys((label) => {
    const signer = Ed25519Signer.fromSecretKey(sha256(utf8.encode(`test-key/${label}`)));
    return { signer, verifier: Ed25519Verifier.fromPublicKey(signer.publicKey) };
  });
}

/** A boundary context for `keys`, with optional extras. */
export function contextOf(
  keys: Keys,
  extra: Partial<Pick<BoundaryContext, 'window' | 'maxBatch'>> = {},
): BoundaryContext {
  return { cluster: CLUSTER, principals: keys.principals, ...extra };
}

/** Unsigned 32-bit integers over the whole range. */
export const u32Arb = fc.tuple(fc.boolean(), fc.nat()).map(([hi, lo]) => (hi ? 2 ** 31 : 0) + lo);
/** Integers up to 2^53 - 1. */
export const u53Arb = fc.oneof(fc.nat(1000), fc.maxSafeNat());
/** Bytes. */
const u8Arb = fc.nat(255);
/** A 32-byte digest. */
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
/** A byte string no longer than `max` (and short enough to keep runs fast). */
const blobArb = (max: number, cap = 48) => fc.uint8Array({ maxLength: Math.min(max, cap) });
/** Records with an ordinary prototype, as the decoder builds them (so deep equality holds). */
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record(model, { noNullPrototype: true });

/** Any body of each kind the schema can encode; the mapped type demands one per kind. */
export const BODY_ARBS: { readonly [K in Kind]: fc.Arbitrary<BodyOf[K]> } = {
  request: record({ client: u32Arb, timestamp: u53Arb, op: blobArb(LIMITS.maxOpBytes) }),
  'pre-prepare': record({
    view: u53Arb,
    seq: u53Arb,
    digest: digestArb,
    requests: fc.array(blobArb(LIMITS.maxRequestBytes), { maxLength: 4 }),
  }),
  prepare: record({ view: u53Arb, seq: u53Arb, digest: digestArb }),
  commit: record({ view: u53Arb, seq: u53Arb, digest: digestArb }),
  // A reply's tree position is drawn consistent (index < leafCount, a path of that leaf's length), so
  // every drawn reply can be sealed and verified; the codec round trips any of them all the same.
  reply: fc
    .integer({ min: 1, max: 64 })
    .chain((leafCount) => fc.tuple(fc.constant(leafCount), fc.nat(leafCount - 1)))
    .chain(([leafCount, index]) =>
      record({
        view: u53Arb,
        client: u32Arb,
        timestamp: u53Arb,
        seq: u53Arb,
        result: blobArb(LIMITS.maxResultBytes),
        index: fc.constant(index),
        leafCount: fc.constant(leafCount),
        path: fc.array(digestArb, {
          minLength: proofLength(index, leafCount),
          maxLength: proofLength(index, leafCount),
        }),
      }),
    ),
  checkpoint: record({ seq: u53Arb, stateDigest: digestArb }),
  'view-change': record({
    newView: u53Arb,
    stableSeq: u53Arb,
    stableDigest: digestArb,
    checkpointProof: fc.array(blobArb(LIMITS.maxNestedBytes), { maxLength: 3 }),
    prepared: fc.array(
      record({
        prePrepare: blobArb(LIMITS.maxNestedBytes),
        prepares: fc.array(blobArb(LIMITS.maxNestedBytes), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
  }),
  'new-view': record({
    view: u53Arb,
    viewChanges: fc.array(blobArb(LIMITS.maxNestedBytes), { maxLength: 3 }),
    prePrepares: fc.array(blobArb(LIMITS.maxNestedBytes), { maxLength: 3 }),
  }),
  'fetch-state': record({ seq: u53Arb, what: u8Arb, part: u32Arb }),
  'state-chunk': record({
    seq: u53Arb,
    what: u8Arb,
    part: u32Arb,
    parts: u32Arb,
    data: blobArb(LIMITS.maxChunkBytes),
  }),
};

/** A frame the test sealed with the right key, with what it carries. */
export interface Sealed {
  /** The kind sealed. */
  readonly kind: Kind;
  /** The sender id in the envelope. */
  readonly sender: number;
  /** The body as sealed. */
  readonly body: unknown;
  /** The envelope bytes. */
  readonly bytes: Uint8Array;
}

/** Seals `body` as `kind` from `sender` with the sender's key in `keys`. */
export function sealAs<K extends Kind>(keys: Keys, kind: K, sender: number, body: BodyOf[K]): Sealed {
  const m = sealMessage(keys.signerFor(kind, sender), sha256, CLUSTER, kind, sender, body);
  return { kind, sender, body, bytes: m.bytes };
}

/** A sender and body of one kind. */
type Draft<K extends Kind> = { sender: number; body: BodyOf[K] };

/** Quorum of the test cluster: ceil((N + F + 1) / 2). */
export const QUORUM = Math.ceil((N + F + 1) / 2);

/** A request envelope from known client `client`. */
export function requestBytes(
  keys: Keys,
  client: number,
  timestamp: number,
  op = Uint8Array.of(0),
): Uint8Array {
  return seal(keys.client(client), CLUSTER, 'request', client, { client, timestamp, op }).bytes;
}

/** A pre-prepare envelope for (view, seq) from the view's primary, with the batch's digest. */
export function prePrepareBytes(
  keys: Keys,
  view: number,
  seq: number,
  requests: Uint8Array[] = [],
): Uint8Array {
  const sender = primaryOf(view, N);
  const body = { view, seq, digest: batchDigest(requests), requests };
  return seal(keys.replica(sender), CLUSTER, 'pre-prepare', sender, body).bytes;
}

/** A prepare envelope for (view, seq, digest) from `sender`. */
export function prepareBytes(keys: Keys, sender: number, view: number, seq: number, digest: Uint8Array) {
  return seal(keys.replica(sender), CLUSTER, 'prepare', sender, { view, seq, digest }).bytes;
}

/** A checkpoint envelope for (seq, stateDigest) from `sender`. */
export function checkpointBytes(keys: Keys, sender: number, seq: number, stateDigest: Uint8Array) {
  return seal(keys.replica(sender), CLUSTER, 'checkpoint', sender, { seq, stateDigest }).bytes;
}

/** A valid prepared certificate: the primary's pre-prepare and prepares from the first 2F backups. */
export function certificateOf(
  keys: Keys,
  view: number,
  seq: number,
  requests: Uint8Array[] = [],
): BodyOf['view-change']['prepared'][number] {
  const primary = primaryOf(view, N);
  const backups = Array.from({ length: 2 * F }, (_, i) => backup(i, primary));
  const digest = batchDigest(requests);
  return {
    prePrepare: prePrepareBytes(keys, view, seq, requests),
    prepares: backups.map((b) => prepareBytes(keys, b, view, seq, digest)),
  };
}

/** What a valid view-change carries; certificates are (view, seq, requests) of prepared batches. */
export interface ViewChangeSpec {
  /** The view it votes for. */
  readonly newView: number;
  /** The stable checkpoint's seq (default 0: no proof). */
  readonly stableSeq?: number;
  /** The stable checkpoint's digest (default: 32 bytes of stableSeq mod 256). */
  readonly stableDigest?: Uint8Array;
  /** The prepared certificates to build, in order. */
  readonly certificates?: readonly { view: number; seq: number; requests?: Uint8Array[] }[];
}

/** A valid view-change body: a QUORUM proof from replicas 0.. (none at stable seq 0) and certificates. */
export function viewChangeBody(keys: Keys, spec: ViewChangeSpec): BodyOf['view-change'] {
  const stableSeq = spec.stableSeq ?? 0;
  const stableDigest = spec.stableDigest ?? new Uint8Array(32).fill(stableSeq % 256);
  const senders = stableSeq === 0 ? [] : Array.from({ length: QUORUM }, (_, i) => i);
  return {
    newView: spec.newView,
    stableSeq,
    stableDigest,
    checkpointProof: senders.map((r) => checkpointBytes(keys, r, stableSeq, stableDigest)),
    prepared: (spec.certificates ?? []).map((c) => certificateOf(keys, c.view, c.seq, c.requests)),
  };
}

/** A valid new-view body for `view`: view-changes from `senders` and pre-prepares at `seqs`. */
export function newViewBody(
  keys: Keys,
  view: number,
  viewChanges: readonly { sender: number; spec: Omit<ViewChangeSpec, 'newView'> }[],
  prePrepares: readonly { seq: number; requests?: Uint8Array[] }[],
): BodyOf['new-view'] {
  return {
    view,
    viewChanges: viewChanges.map(
      (vc) =>
        seal(
          keys.replica(vc.sender),
          CLUSTER,
          'view-change',
          vc.sender,
          viewChangeBody(keys, { ...vc.spec, newView: view }),
        ).bytes,
    ),
    prePrepares: prePrepares.map((pp) => prePrepareBytes(keys, view, pp.seq, pp.requests)),
  };
}

/** A replica id other than `primary`, from an index in 0..N-2. */
const backup = (index: number, primary: number): number => (index < primary ? index : index + 1);

/** Request bodies with distinct (client, timestamp), each client a known one. */
const requestBodiesArb = fc.uniqueArray(
  record({ client: fc.constantFrom(...CLIENT_IDS), timestamp: u53Arb, op: blobArb(LIMITS.maxOpBytes, 24) }),
  { maxLength: 4, selector: (b) => `${b.client}:${b.timestamp}` },
);

/** New views: small or near the top of the u53 range. */
const viewArb = fc.oneof(
  fc.integer({ min: 1, max: 1_000 }),
  fc.integer({ min: 2 ** 53 - 100, max: 2 ** 53 - 1 }),
);

/** A valid view-change spec for a new view given later: stable seq 0 or not, a few certificates. */
function viewChangeSpecArb(
  keys: Keys,
  maxCertificates: number,
): fc.Arbitrary<(newView: number) => ViewChangeSpec> {
  const cert = fc.tuple(fc.nat(), fc.constantFrom(...CLIENT_IDS), fc.nat(3));
  const certs = fc.uniqueArray(cert, { maxLength: maxCertificates, selector: ([, , k]) => k });
  return fc
    .tuple(fc.oneof(fc.constant(0), fc.nat(1_000_000)), certs)
    .map(([stableSeq, certs]) => (newView: number) => ({
      newView,
      stableSeq,
      certificates: certs.map(([view, client, k]) => ({
        view: view % newView,
        seq: stableSeq + 1 + k,
        requests: k === 0 ? [] : [requestBytes(keys, client, k)],
      })),
    }));
}

/** Senders and bodies that pass every boundary check of their kind (no window, default batch size). */
function draftArbs(keys: Keys): { readonly [K in Kind]: fc.Arbitrary<Draft<K>> } {
  const replicaArb = fc.nat(N - 1);
  const seqArb = u53Arb.filter((s) => s > 0);
  const withReplica = <K extends Kind>(body: fc.Arbitrary<BodyOf[K]>) =>
    fc.tuple(replicaArb, body).map(([sender, b]): Draft<K> => ({ sender, body: b }));
  return {
    request: record({
      client: fc.constantFrom(...CLIENT_IDS),
      timestamp: u53Arb,
      op: blobArb(LIMITS.maxOpBytes),
    }).map((body) => ({ sender: body.client, body })),
    'pre-prepare': fc.tuple(u53Arb, seqArb, requestBodiesArb).map(([view, seq, bodies]) => {
      const requests = bodies.map((b) => seal(keys.client(b.client), CLUSTER, 'request', b.client, b).bytes);
      return { sender: primaryOf(view, N), body: { view, seq, digest: batchDigest(requests), requests } };
    }),
    prepare: fc
      .tuple(fc.nat(N - 2), BODY_ARBS.prepare, seqArb)
      .map(([i, b, seq]) => ({ sender: backup(i, primaryOf(b.view, N)), body: { ...b, seq } })),
    commit: fc
      .tuple(replicaArb, BODY_ARBS.commit, seqArb)
      .map(([sender, b, seq]) => ({ sender, body: { ...b, seq } })),
    reply: withReplica(BODY_ARBS.reply),
    checkpoint: withReplica(BODY_ARBS.checkpoint),
    'view-change': fc
      .tuple(replicaArb, viewArb, viewChangeSpecArb(keys, 2))
      .map(([sender, newView, spec]) => ({ sender, body: viewChangeBody(keys, spec(newView)) })),
    'new-view': fc
      .tuple(
        viewArb,
        fc.shuffledSubarray([...Array(N).keys()], { minLength: QUORUM, maxLength: QUORUM }),
        fc.array(viewChangeSpecArb(keys, 1), { minLength: QUORUM, maxLength: QUORUM }),
        fc.uniqueArray(fc.integer({ min: 1, max: 1_000 }), { maxLength: 3 }),
      )
      .map(([view, senders, specs, seqs]) => {
        const viewChanges = senders.map((sender, i) => ({ sender, spec: specs[i]!(view) }));
        const prePrepares = seqs
          .sort((a, b) => a - b)
          .map((seq) => ({ seq, requests: seq % 2 === 0 ? [] : [requestBytes(keys, 102, seq)] }));
        return { sender: primaryOf(view, N), body: newViewBody(keys, view, viewChanges, prePrepares) };
      }),
    'fetch-state': withReplica(BODY_ARBS['fetch-state']),
    'state-chunk': fc
      .tuple(replicaArb, BODY_ARBS['state-chunk'])
      .filter(([, b]) => b.parts > 0)
      .map(([sender, b]) => ({ sender, body: { ...b, part: b.part % b.parts } })),
  };
}

/** Frames of the given kinds (default: all) that the boundary must accept, sealed with `keys`. */
export function validFrameArb(keys: Keys, kinds: readonly Kind[] = ALL_KINDS): fc.Arbitrary<Sealed> {
  const drafts = draftArbs(keys);
  const one = <K extends Kind>(kind: K): fc.Arbitrary<Sealed> =>
    (drafts[kind] as fc.Arbitrary<Draft<K>>).map((d) => sealAs(keys, kind, d.sender, d.body));
  return fc.oneof(...kinds.map((kind) => one(kind)));
}

/** Lowercase hex, for readable assertion messages. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
