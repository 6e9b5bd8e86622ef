/**
 * The boundary under hostile input: 100,000 random and mutated frames per run (plus smaller Ed25519
 * and async runs). Properties: it never throws, refusals carry a known reason, and an accepted frame
 * is one the test itself signed with the sender's key, whose signature (and every batch request's)
 * verifies over signingBytes of the decoded fields (a reply's: over the root its leaf and path lead to).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sha256 } from '../../src/crypto/hash.js';
import type { Signer } from '../../src/crypto/types.js';
import {
  ALL_REJECT_REASONS,
  type AnyVerified,
  BODIES,
  batchDigest,
  type Checked,
  CLIENT_KINDS,
  decode,
  ENVELOPE,
  type Envelope,
  encode,
  KIND_TAGS,
  type Kind,
  kindOfTag,
  openFrame,
  parseFrame,
  primaryOf,
  replyRootOf,
  rootSigningBytes,
  signingBytes,
  verifyFrameAsync,
} from '../../src/messages/index.js';
import {
  ALL_KINDS,
  CLIENT_IDS,
  CLUSTER,
  contextOf,
  ed25519Keys,
  type Keys,
  keyedHashKeys,
  N,
  OTHER_CLUSTER,
  type Sealed,
  validFrameArb,
} from './messages-fixtures.js';

/** A frame to try and the frames it may legitimately equal if accepted. */
type Trial = {
  readonly frame: Uint8Array;
  readonly legit: readonly Uint8Array[];
  readonly mustAccept?: boolean;
};

/** Byte flips: (position, non-zero xor mask), positions taken modulo the target length. */
const flipsArb = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
  minLength: 1,
  maxLength: 4,
});
const ENVELOPE_FIELDS = ['kind', 'cluster', 'sender', 'body', 'signature'] as const;

/** Copy of `b` with the flips applied (unchanged when `b` is empty). */
function flipped(b: Uint8Array, flips: readonly [number, number][]): Uint8Array {
  const out = Uint8Array.from(b);
  if (out.length === 0) return out;
  for (const [pos, mask] of flips) out[pos % out.length]! ^= mask;
  return out;
}

/** The envelope of a frame the test sealed (always decodes). */
function envOf(s: Sealed): Envelope {
  const env = decode(ENVELOPE, s.bytes);
  assert.ok(env.ok);
  return env.value;
}

/** Re-encodes an envelope with some fields replaced. */
const reencode = (env: Envelope, patch: Partial<Envelope>): Uint8Array =>
  encode(ENVELOPE, { ...env, ...patch });

/**
 * What a sender's signature covers for body bytes `body` of `kind`: `signingBytes`, except for a reply
 * the root its leaf and path lead to (when the body decodes to a reply whose path fits; otherwise
 * `signingBytes`, which no reply signature covers).
 */
function signedData(kind: Kind, cluster: Uint8Array, sender: number, body: Uint8Array): Uint8Array {
  if (kind === 'reply') {
    const reply = decode(BODIES.reply, body);
    const root = reply.ok ? replyRootOf(sha256, cluster, sender, reply.value) : undefined;
    if (root !== undefined) return rootSigningBytes(cluster, sender, root);
  }
  return signingBytes(kind, cluster, sender, body);
}

/** A trial arbitrary with its share of the mix. */
type Weighted = { arbitrary: fc.Arbitrary<Trial>; weight: number };

/** Random bytes, and random envelopes (any tag, sender, body and signature). */
function randomTrials(): Weighted[] {
  const bytes = fc.uint8Array({ maxLength: 160 });
  const random = bytes.map((frame): Trial => ({ frame, legit: [] }));
  const randomEnvelope = fc
    .record({
      kind: fc.nat(12),
      sender: fc.oneof(fc.nat(5), fc.constantFrom(...CLIENT_IDS), fc.nat()),
      body: bytes,
      signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      foreign: fc.boolean(),
    })
    .map(
      ({ foreign, ...fields }): Trial => ({
        frame: encode(ENVELOPE, { ...fields, cluster: foreign ? OTHER_CLUSTER : CLUSTER }),
        legit: [],
      }),
    );
  return [
    { arbitrary: random, weight: 14 },
    { arbitrary: randomEnvelope, weight: 10 },
  ];
}

/** Valid frames, untouched or with bytes flipped, cut, appended, or envelope fields swapped. */
function byteTrials(valid: fc.Arbitrary<Sealed>): Weighted[] {
  const untouched = valid.map((s): Trial => ({ frame: s.bytes, legit: [s.bytes], mustAccept: true }));
  const flip = fc
    .tuple(valid, flipsArb)
    .map(([s, f]): Trial => ({ frame: flipped(s.bytes, f), legit: [s.bytes] }));
  const truncate = fc
    .tuple(valid, fc.nat())
    .map(([s, cut]): Trial => ({ frame: s.bytes.subarray(0, cut % s.bytes.length), legit: [s.bytes] }));
  const extend = fc
    .tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 16 }))
    .map(([s, tail]): Trial => ({ frame: Uint8Array.from([...s.bytes, ...tail]), legit: [s.bytes] }));
  const swap = fc.tuple(valid, valid, fc.constantFrom(...ENVELOPE_FIELDS)).map(
    ([s, o, field]): Trial => ({
      frame: reencode(envOf(s), { [field]: envOf(o)[field] }),
      legit: [s.bytes, o.bytes],
    }),
  );
  return [
    { arbitrary: untouched, weight: 6 },
    { arbitrary: flip, weight: 14 },
    { arbitrary: truncate, weight: 7 },
    { arbitrary: extend, weight: 6 },
    { arbitrary: swap, weight: 10 },
  ];
}

/** Re-signed frames: a wrong key, the right key over another domain, mutated bodies, tampered batches. */
function signatureTrials(
  keys: Keys,
  valid: fc.Arbitrary<Sealed>,
  prePrepares: fc.Arbitrary<Sealed>,
): Weighted[] {
  const signers: Signer[] = [
    ...Array.from({ length: N }, (_, i) => keys.replica(i)),
    ...CLIENT_IDS.map((c) => keys.client(c)),
    keys.outsider,
  ];
  const wrongKey = fc.tuple(valid, fc.nat(signers.length - 1)).map(([s, i]): Trial => {
    const env = envOf(s);
    const signer = signers[i] === keys.signerFor(s.kind, s.sender) ? keys.outsider : signers[i]!;
    const signature = signer.sign(signedData(s.kind, CLUSTER, s.sender, env.body));
    return { frame: reencode(env, { signature }), legit: [] };
  });
  const domain = fc.constantFrom('cluster', 'kind', 'sender');
  const crossDomain = fc
    .tuple(valid, domain, fc.constantFrom(...ALL_KINDS), fc.nat(N + 4), fc.boolean())
    .map((t) => crossDomainTrial(keys, ...t));
  const resign = fc.tuple(valid, flipsArb).map(([s, f]): Trial => {
    const env = envOf(s);
    const body = flipped(env.body, f);
    const signature = keys.signerFor(s.kind, s.sender).sign(signedData(s.kind, CLUSTER, s.sender, body));
    const frame = reencode(env, { body, signature });
    return { frame, legit: [frame] };
  });
  const how = fc.constantFrom('flip', 'wrong-client', 'duplicate', 'reverse');
  const batch = fc
    .tuple(prePrepares, how, fc.nat(), flipsArb, fc.boolean())
    .map(([s, h, index, f, fixDigest]) => batchTrial(keys, s, h, index, f, fixDigest));
  return [
    { arbitrary: wrongKey, weight: 8 },
    { arbitrary: crossDomain, weight: 9 },
    { arbitrary: resign, weight: 8 },
    { arbitrary: batch, weight: 8 },
  ];
}

/**
 * Picks from `size` values of `arb` sampled once with `seed`: sealing a fresh valid frame for every
 * trial would cost more than the boundary checks under test, while the mutations stay fresh per trial.
 */
function pooled<T>(arb: fc.Arbitrary<T>, seed: number, size: number): fc.Arbitrary<T> {
  const pool = fc.sample(arb, { seed, numRuns: size });
  return fc.nat(pool.length - 1).map((i) => pool[i]!);
}

/** The whole mix of trials; valid frames come from seeded pools. */
function trialArb(keys: Keys, seed: number, poolSize: number): fc.Arbitrary<Trial> {
  const valid = pooled(validFrameArb(keys), seed, poolSize);
  const prePrepares = pooled(validFrameArb(keys, ['pre-prepare']), seed + 1, Math.ceil(poolSize / 5));
  return fc.oneof(...randomTrials(), ...byteTrials(valid), ...signatureTrials(keys, valid, prePrepares));
}

/** A signature by the sender's own key over another cluster's, kind's or sender's signing bytes. */
function crossDomainTrial(
  keys: Keys,
  s: Sealed,
  what: string,
  kind2: Kind,
  sender2: number,
  relabel: boolean,
): Trial {
  const env = envOf(s);
  const signer = keys.signerFor(s.kind, s.sender);
  const cluster = what === 'cluster' ? OTHER_CLUSTER : CLUSTER;
  const kind = what === 'kind' ? kind2 : s.kind;
  const sender = what === 'sender' ? (sender2 === s.sender ? sender2 + 1 : sender2) : s.sender;
  const signature = signer.sign(signingBytes(kind, cluster, sender, env.body));
  if (!relabel) {
    // Only a signature over this frame's own domain (the original one) may be accepted.
    const own = kind === s.kind && sender === s.sender && cluster === CLUSTER;
    return { frame: reencode(env, { signature }), legit: own ? [s.bytes] : [] };
  }
  const frame = reencode(env, { signature, cluster, kind: KIND_TAGS[kind], sender });
  // Relabelled to another kind of the same role and same sender, this is a frame the test validly signed.
  const sameKey =
    cluster === CLUSTER && sender === s.sender && CLIENT_KINDS.has(kind) === CLIENT_KINDS.has(s.kind);
  return { frame, legit: sameKey ? [frame] : [] };
}

/** A pre-prepare whose batch was tampered with, then re-signed by the primary. */
function batchTrial(
  keys: Keys,
  s: Sealed,
  how: string,
  index: number,
  f: [number, number][],
  fixDigest: boolean,
): Trial {
  const body = s.body as { view: number; seq: number; digest: Uint8Array; requests: Uint8Array[] };
  const requests = [...body.requests];
  const i = requests.length === 0 ? 0 : index % requests.length;
  const target = requests[i];
  if (target !== undefined && how === 'flip') requests[i] = flipped(target, f);
  if (target !== undefined && how === 'duplicate') requests.push(target);
  if (how === 'reverse') requests.reverse();
  if (target !== undefined && how === 'wrong-client') {
    const env = decode(ENVELOPE, target);
    assert.ok(env.ok);
    const other = CLIENT_IDS[(CLIENT_IDS.indexOf(env.value.sender as 100) + 1) % CLIENT_IDS.length]!;
    const data = signingBytes('request', CLUSTER, env.value.sender, env.value.body);
    requests[i] = reencode(env.value, { signature: keys.client(other).sign(data) });
  }
  const digest = fixDigest ? batchDigest(requests) : body.digest;
  const sender = primaryOf(body.view, N);
  const bodyBytes = encode(BODIES['pre-prepare'], { ...body, digest, requests });
  const signature = keys.replica(sender).sign(signingBytes('pre-prepare', CLUSTER, sender, bodyBytes));
  const frame = encode(ENVELOPE, {
    kind: KIND_TAGS['pre-prepare'],
    cluster: CLUSTER,
    sender,
    body: bodyBytes,
    signature,
  });
  return { frame, legit: [frame] };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/** True when `bytes` is an envelope signed by its sender's key in `keys`, for this cluster. */
function signedBySender(keys: Keys, bytes: Uint8Array, expected?: Kind): boolean {
  const env = decode(ENVELOPE, bytes);
  if (!env.ok || !sameBytes(env.value.cluster, CLUSTER)) return false;
  const kind = kindOfTag(env.value.kind);
  if (kind === undefined || (expected !== undefined && kind !== expected)) return false;
  const verifier = keys.verifierFor(kind, env.value.sender);
  const data = signedData(kind, env.value.cluster, env.value.sender, env.value.body);
  return verifier?.verify(data, env.value.signature) === true;
}

/** Judges one outcome; returns its label for the statistics. */
function judge(keys: Keys, t: Trial, r: Checked<AnyVerified>): string {
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) {
    assert.ok(ALL_REJECT_REASONS.includes(r.reason), `unknown reason ${r.reason}`);
    assert.ok(t.mustAccept !== true, `a valid frame was refused: ${r.reason} ${r.detail ?? ''}`);
    return r.reason;
  }
  assert.ok(
    t.legit.some((l) => sameBytes(l, t.frame)),
    'accepted a frame nobody signed',
  );
  assert.ok(signedBySender(keys, t.frame), 'accepted a frame whose signature does not verify');
  assert.ok(sameBytes(r.value.bytes, t.frame));
  if (r.value.kind === 'pre-prepare') {
    for (const q of r.value.batch)
      assert.ok(signedBySender(keys, q.bytes, 'request'), 'accepted a badly signed request');
    assert.ok(sameBytes(batchDigest(r.value.body.requests), r.value.body.digest));
  }
  return 'accepted';
}

/** Runs `numRuns` trials synchronously and returns how often each outcome occurred. */
function fuzz(keys: Keys, seed: number, numRuns: number): Map<string, number> {
  const ctx = contextOf(keys);
  const seen = new Map<string, number>();
  fc.assert(
    fc.property(trialArb(keys, seed, Math.min(5_000, numRuns)), (t) => {
      let r: Checked<AnyVerified>;
      try {
        r = openFrame(t.frame, ctx);
      } catch (e) {
        assert.fail(`openFrame threw: ${String(e)}`);
      }
      const label = judge(keys, t, r);
      seen.set(label, (seen.get(label) ?? 0) + 1);
    }),
    { seed, numRuns },
  );
  return seen;
}

describe('boundary fuzzing', () => {
  it('100,000 random and mutated frames (keyed-hash keys): never throws, never accepts a bad signature', () => {
    const seen = fuzz(keyedHashKeys(), 1, 100_000);
    assert.ok((seen.get('accepted') ?? 0) > 5_000, `too few accepted: ${JSON.stringify([...seen])}`);
    assert.ok(seen.size >= 12, `too few distinct outcomes: ${JSON.stringify([...seen])}`);
  });

  it('2,000 frames with Ed25519 keys', () => {
    const seen = fuzz(ed25519Keys(), 2, 2_000);
    assert.ok((seen.get('accepted') ?? 0) > 50);
  });

  it('parse + verifyFrameAsync agrees with openFrame on 3,000 frames', async () => {
    const keys = keyedHashKeys();
    const ctx = contextOf(keys);
    await fc.assert(
      fc.asyncProperty(trialArb(keys, 3, 1_000), async (t) => {
        const sync = openFrame(t.frame, ctx);
        const parsed = parseFrame(t.frame, ctx);
        const viaAsync = parsed.ok ? await verifyFrameAsync(parsed.value) : parsed;
        assert.equal(viaAsync.ok ? 'accepted' : viaAsync.reason, sync.ok ? 'accepted' : sync.reason);
        judge(keys, t, viaAsync);
      }),
      { seed: 3, numRuns: 3_000 },
    );
  });
});
