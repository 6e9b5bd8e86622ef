/** Codec round trips per kind, envelope signing bytes, batch digests, and the boundary with Ed25519 keys. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Ed25519Verifier } from '../../src/crypto/ed25519.js';
import { sha256 } from '../../src/crypto/hash.js';
import { KeyError } from '../../src/crypto/key-error.js';
import {
  BODIES,
  type BodyOf,
  batchDigest,
  bodyCodec,
  DOMAIN_TAG_BYTES,
  decode,
  ENVELOPE,
  encode,
  KIND_TAGS,
  type Kind,
  kindOfTag,
  NULL_BATCH_DIGEST,
  openFrame,
  PRE_PREPARE_COUNT_OFFSET,
  PROTOCOL_DOMAIN,
  parseFrame,
  primaryOf,
  replyRootOf,
  requestKey,
  rootSigningBytes,
  seal,
  sealBytes,
  sealMessage,
  signingBytes,
  verifyFrameAsync,
} from '../../src/messages/index.js';
import {
  ALL_KINDS,
  BODY_ARBS,
  CLUSTER,
  contextOf,
  ed25519Keys,
  hex,
  keyedHashKeys,
  OTHER_CLUSTER,
  type Sealed,
  u32Arb,
  validFrameArb,
} from './messages-fixtures.js';

const keys = keyedHashKeys();

describe('codec round trip', () => {
  for (const kind of ALL_KINDS) {
    it(`${kind}: decode(encode(body)) is the body, and re-encoding gives the same bytes`, () => {
      const codec = bodyCodec(kind);
      const arb = BODY_ARBS[kind] as fc.Arbitrary<BodyOf[Kind]>;
      fc.assert(
        fc.property(arb, (body) => {
          const bytes = encode(codec, body);
          const back = decode(codec, bytes);
          assert.ok(back.ok);
          assert.deepStrictEqual(back.value, body);
          assert.deepStrictEqual(encode(codec, back.value), bytes);
        }),
        { seed: 1, numRuns: 300 },
      );
    });

    it(`${kind}: a sealed envelope decodes to its fields and its signature covers ${kind === 'reply' ? 'its root' : 'signingBytes'}`, () => {
      const arb = BODY_ARBS[kind] as fc.Arbitrary<BodyOf[Kind]>;
      fc.assert(
        fc.property(arb, u32Arb, (body, sender) => {
          const signer = keys.replica(sender % 4);
          const m = sealMessage(signer, sha256, CLUSTER, kind, sender, body);
          assert.equal(m.kind, kind);
          assert.equal(m.sender, sender);
          const env = decode(ENVELOPE, m.bytes);
          assert.ok(env.ok);
          assert.equal(env.value.kind, KIND_TAGS[kind]);
          assert.equal(kindOfTag(env.value.kind), kind);
          assert.deepStrictEqual(env.value.cluster, CLUSTER);
          assert.equal(env.value.sender, sender);
          assert.deepStrictEqual(env.value.body, encode(BODIES[kind] as never, body as never));
          const root =
            kind === 'reply' ? replyRootOf(sha256, CLUSTER, sender, body as BodyOf['reply']) : undefined;
          const data =
            root === undefined
              ? signingBytes(kind, CLUSTER, sender, env.value.body)
              : rootSigningBytes(CLUSTER, sender, root);
          assert.deepStrictEqual(env.value.signature, signer.sign(data));
        }),
        { seed: 2, numRuns: 100 },
      );
    });
  }
});

describe('signingBytes', () => {
  const body = Uint8Array.of(9, 8, 7);

  it('is the domain tag (protocol, 0x00, cluster, kind tag, sender u32 BE) followed by the body', () => {
    const expected = Buffer.concat([
      Buffer.from(PROTOCOL_DOMAIN, 'ascii'),
      Buffer.of(0),
      CLUSTER,
      Buffer.of(KIND_TAGS.commit),
      Buffer.of(0x01, 0x02, 0x03, 0x04),
      body,
    ]);
    assert.equal(hex(signingBytes('commit', CLUSTER, 0x01020304, body)), expected.toString('hex'));
    assert.equal(DOMAIN_TAG_BYTES, PROTOCOL_DOMAIN.length + 1 + 16 + 1 + 4);
  });

  it('differs for another cluster, kind or sender over the same body', () => {
    const base = hex(signingBytes('prepare', CLUSTER, 1, body));
    assert.notEqual(hex(signingBytes('prepare', OTHER_CLUSTER, 1, body)), base);
    assert.notEqual(hex(signingBytes('commit', CLUSTER, 1, body)), base);
    assert.notEqual(hex(signingBytes('prepare', CLUSTER, 2, body)), base);
  });

  it('refuses a cluster id that is not 16 bytes (a caller bug)', () => {
    assert.throws(() => signingBytes('prepare', new Uint8Array(15), 1, body), RangeError);
  });

  it('sealBytes signs arbitrary body bytes, which the boundary then refuses as malformed', () => {
    const frame = sealBytes(keys.replica(1), CLUSTER, 'prepare', 1, Uint8Array.of(1, 2, 3));
    const r = openFrame(frame, contextOf(keys));
    assert.deepStrictEqual(r.ok ? 'accepted' : r.reason, 'malformed-body');
  });
});

describe('batch digest', () => {
  it('is SHA-256(u32 count || SHA-256(request) for each request), order-sensitive', () => {
    const a = Uint8Array.of(1);
    const b = Uint8Array.of(2, 3);
    const sha = (x: Uint8Array) => createHash('sha256').update(x).digest();
    const expected = createHash('sha256')
      .update(Buffer.of(0, 0, 0, 2))
      .update(sha(a))
      .update(sha(b))
      .digest('hex');
    assert.equal(hex(batchDigest([a, b])), expected);
    assert.notEqual(hex(batchDigest([b, a])), expected);
  });

  it('NULL_BATCH_DIGEST is the digest of the empty batch', () => {
    assert.equal(
      hex(NULL_BATCH_DIGEST),
      createHash('sha256')
        .update(Buffer.of(0, 0, 0, 0))
        .digest('hex'),
    );
    assert.deepStrictEqual(NULL_BATCH_DIGEST, batchDigest([]));
  });

  it('requestKey separates clients and timestamps', () => {
    assert.notEqual(requestKey(1, 23), requestKey(12, 3));
    assert.equal(requestKey(7, 9), requestKey(7, 9));
  });

  it('PRE_PREPARE_COUNT_OFFSET is where the schema puts the request count', () => {
    const body = encode(BODIES['pre-prepare'], {
      view: 1,
      seq: 2,
      digest: new Uint8Array(32),
      requests: [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)],
    });
    assert.equal(new DataView(body.buffer).getUint32(PRE_PREPARE_COUNT_OFFSET), 3);
  });

  it('primaryOf is view mod n', () => {
    assert.equal(primaryOf(0, 4), 0);
    assert.equal(primaryOf(5, 4), 1);
    assert.equal(primaryOf(2 ** 53 - 1, 4), 3);
    assert.equal(primaryOf(6, 7), 6);
  });
});

/** Checks that an accepted frame carries exactly what was sealed. */
function assertAccepts(s: Sealed, r: ReturnType<typeof openFrame>): void {
  assert.ok(r.ok, `${s.kind} refused: ${r.ok ? '' : `${r.reason} ${r.detail ?? ''}`}`);
  assert.equal(r.value.kind, s.kind);
  assert.equal(r.value.sender, s.sender);
  assert.deepStrictEqual(r.value.bytes, s.bytes);
  assert.deepStrictEqual(r.value.body, s.body);
  if (r.value.kind === 'pre-prepare') {
    assert.deepStrictEqual(
      r.value.batch.map((q) => hex(q.bytes)),
      r.value.body.requests.map((q) => hex(q)),
    );
  }
}

describe('boundary with Ed25519 keys', () => {
  const edKeys = ed25519Keys();
  const ctx = contextOf(edKeys);

  it('accepts every kind sealed with the right key, sync and async', async () => {
    await fc.assert(
      fc.asyncProperty(validFrameArb(edKeys), async (s) => {
        assertAccepts(s, openFrame(s.bytes, ctx));
        const parsed = parseFrame(s.bytes, ctx);
        assert.ok(parsed.ok);
        assertAccepts(s, await verifyFrameAsync(parsed.value));
      }),
      { seed: 3, numRuns: 120 },
    );
  });

  it('refuses a flipped signature bit, another cluster, another kind and another sender', () => {
    const body = { view: 0, seq: 1, digest: new Uint8Array(32) };
    const bodyBytes = encode(BODIES.prepare, body);
    const good = seal(edKeys.replica(1), CLUSTER, 'prepare', 1, body).bytes;
    assert.ok(openFrame(good, ctx).ok);
    const flipped = Uint8Array.from(good);
    flipped[flipped.length - 1]! ^= 0x01;
    const crossSigned = (data: Uint8Array) =>
      encode(ENVELOPE, {
        kind: KIND_TAGS.prepare,
        cluster: CLUSTER,
        sender: 1,
        body: bodyBytes,
        signature: edKeys.replica(1).sign(data),
      });
    for (const frame of [
      flipped,
      crossSigned(signingBytes('prepare', OTHER_CLUSTER, 1, bodyBytes)),
      crossSigned(signingBytes('commit', CLUSTER, 1, bodyBytes)),
      crossSigned(signingBytes('prepare', CLUSTER, 2, bodyBytes)),
    ]) {
      const r = openFrame(frame, ctx);
      assert.equal(r.ok ? 'accepted' : r.reason, 'bad-signature');
    }
  });

  it('the identity-key forgery cannot get through: such a principal cannot even be constructed', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    assert.throws(
      () => Ed25519Verifier.fromPublicKey(identity),
      (e) => e instanceof KeyError,
    );
    // And the forged signature (R = identity, S = 0) fails under a real replica key.
    const body = encode(BODIES.commit, { view: 0, seq: 1, digest: new Uint8Array(32) });
    const signature = new Uint8Array(64);
    signature[0] = 1;
    const frame = encode(ENVELOPE, { kind: KIND_TAGS.commit, cluster: CLUSTER, sender: 2, body, signature });
    const r = openFrame(frame, ctx);
    assert.equal(r.ok ? 'accepted' : r.reason, 'bad-signature');
  });
});
