/** Boundary validation: one table row per reject reason, batch checks, windows, never-throw guards. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '../../src/crypto/hash.js';
import type { Verifier } from '../../src/crypto/types.js';
import {
  ALL_REJECT_REASONS,
  BODIES,
  type BodyOf,
  type BoundaryContext,
  batchDigest,
  type Checked,
  ENVELOPE,
  encode,
  KIND_TAGS,
  LIMITS,
  openFrame,
  type Principals,
  parseFrame,
  type RejectReason,
  replyWithSignature,
  seal,
  sealBytes,
  sealReplies,
  sealReply,
  signingBytes,
  verifyFrame,
  verifyFrameAsync,
} from '../../src/messages/index.js';
import { CLUSTER, contextOf, keyedHashKeys, OTHER_CLUSTER } from './messages-fixtures.js';

const keys = keyedHashKeys();
const ctx = contextOf(keys);
const ZERO = new Uint8Array(32);

/** A vote body; view 0's primary is replica 0. */
const vote = (view = 0, seq = 1): BodyOf['prepare'] => ({ view, seq, digest: ZERO });
/** A prepare from `sender`, signed by `signer` (default: the sender's key). */
const prepare = (sender: number, body = vote(), signer = keys.replica(sender)) =>
  seal(signer, CLUSTER, 'prepare', sender, body).bytes;
/** A request envelope from `client`, body client `bodyClient`, signed by `signer`. */
const request = (
  client: number,
  timestamp: number,
  opts: { bodyClient?: number; signer?: number; op?: number } = {},
) =>
  seal(keys.client(opts.signer ?? client), CLUSTER, 'request', client, {
    client: opts.bodyClient ?? client,
    timestamp,
    op: Uint8Array.of(opts.op ?? 0),
  }).bytes;
/** A pre-prepare from view `view`'s primary with the correct digest unless one is given. */
const prePrepare = (
  requests: Uint8Array[],
  opts: { digest?: Uint8Array; sender?: number; view?: number } = {},
) => {
  const view = opts.view ?? 0;
  const sender = opts.sender ?? view % 4;
  const body = { view, seq: 1, digest: opts.digest ?? batchDigest(requests), requests };
  return seal(keys.replica(sender), CLUSTER, 'pre-prepare', sender, body).bytes;
};
/** An envelope with arbitrary fields and a given signature. */
const envelope = (
  kind: number,
  sender: number,
  body: Uint8Array,
  signature: Uint8Array = new Uint8Array(64),
) => encode(ENVELOPE, { kind, cluster: CLUSTER, sender, body, signature });
/** A prepare body whose signature was made over other signing bytes by the right key. */
const crossSigned = (data: Uint8Array) =>
  envelope(KIND_TAGS.prepare, 1, encode(BODIES.prepare, vote()), keys.replica(1).sign(data));

/** The replies of one batch (view 0, `seq`) from replica `sender` to clients 100.. with results 0.., signed by `signer`. */
const batchReplies = (count: number, opts: { sender?: number; seq?: number; signer?: number } = {}) => {
  const sender = opts.sender ?? 1;
  const entries = Array.from({ length: count }, (_, i) => ({
    client: 100 + i,
    timestamp: 1,
    result: Uint8Array.of(i),
  }));
  const at = { view: 0, seq: opts.seq ?? 1 };
  return sealReplies(keys.replica(opts.signer ?? sender), sha256, CLUSTER, sender, at, entries);
};
/** Reply `i` of a batch of `count` from replica 1, its body patched and its signature kept. */
const tamperedReply = (count: number, i: number, patch: Partial<BodyOf['reply']>) => {
  const m = batchReplies(count)[i]!;
  return replyWithSignature(CLUSTER, 1, { ...m.body, ...patch }, m.bytes.subarray(-64)).bytes;
};
/** A reply from replica 1 with the given tree position (its signature is irrelevant: the shape fails first). */
const replyShaped = (index: number, leafCount: number, path: number) =>
  sealBytes(
    keys.replica(1),
    CLUSTER,
    'reply',
    1,
    encode(BODIES.reply, {
      view: 0,
      client: 100,
      timestamp: 1,
      seq: 1,
      result: ZERO,
      index,
      leafCount,
      path: Array.from({ length: path }, () => ZERO),
    }),
  );

/** One frame that must be refused with the reason it is filed under. */
type Case = { readonly name: string; readonly frame: () => Uint8Array; readonly ctx?: BoundaryContext };

const windowCtx = contextOf(keys, { window: { view: 5, low: 10, high: 20 } });
const voteBytes = encode(BODIES.prepare, vote());

/** At least one case per reason: the mapped type makes the compiler demand every reason. */
const REJECT_CASES: { readonly [R in RejectReason]: readonly Case[] } = {
  'frame-too-large': [
    { name: 'one byte over the cap', frame: () => new Uint8Array(LIMITS.maxFrameBytes + 1) },
  ],
  'malformed-envelope': [
    { name: 'empty frame', frame: () => new Uint8Array(0) },
    { name: 'truncated by one byte', frame: () => prepare(1).subarray(0, -1) },
    { name: 'one trailing byte', frame: () => Uint8Array.from([...prepare(1), 0]) },
  ],
  'unknown-kind': [0, 11, 255].map((tag) => ({
    name: `tag ${tag}`,
    frame: () => envelope(tag, 1, voteBytes),
  })),
  'wrong-cluster': [
    {
      name: 'sealed for another cluster',
      frame: () => seal(keys.replica(1), OTHER_CLUSTER, 'prepare', 1, vote()).bytes,
    },
  ],
  'unknown-sender': [
    { name: 'replica id n', frame: () => prepare(4, vote(), keys.outsider) },
    {
      name: 'unknown client',
      frame: () =>
        seal(keys.outsider, CLUSTER, 'request', 999, { client: 999, timestamp: 1, op: ZERO }).bytes,
    },
  ],
  'wrong-sender-role': [
    { name: 'prepare from a client id', frame: () => prepare(100, vote(), keys.client(100)) },
    { name: 'prepare from the primary', frame: () => prepare(0) },
    { name: 'pre-prepare from a backup', frame: () => prePrepare([], { sender: 1 }) },
    {
      name: 'new-view from a backup',
      frame: () =>
        seal(keys.replica(2), CLUSTER, 'new-view', 2, { view: 1, viewChanges: [], prePrepares: [] }).bytes,
    },
  ],
  'malformed-body': [
    {
      name: 'three body bytes',
      frame: () => sealBytes(keys.replica(1), CLUSTER, 'prepare', 1, Uint8Array.of(1, 2, 3)),
    },
    {
      name: 'trailing body byte',
      frame: () => sealBytes(keys.replica(1), CLUSTER, 'commit', 1, Uint8Array.from([...voteBytes, 0])),
    },
    {
      name: 'op longer than maxOpBytes',
      frame: () => {
        const body = new Uint8Array(4 + 8 + 4);
        const dv = new DataView(body.buffer);
        dv.setUint32(0, 100);
        dv.setUint32(12, LIMITS.maxOpBytes + 1);
        return sealBytes(keys.client(100), CLUSTER, 'request', 100, body);
      },
    },
  ],
  'bad-field': [
    { name: 'request client differs from sender', frame: () => request(100, 1, { bodyClient: 101 }) },
    { name: 'prepare seq 0', frame: () => prepare(1, vote(0, 0)) },
    { name: 'commit seq 0', frame: () => seal(keys.replica(2), CLUSTER, 'commit', 2, vote(0, 0)).bytes },
    {
      name: 'view-change to view 0',
      frame: () =>
        seal(keys.replica(1), CLUSTER, 'view-change', 1, {
          newView: 0,
          stableSeq: 0,
          stableDigest: ZERO,
          checkpointProof: [],
          prepared: [],
        }).bytes,
    },
    {
      name: 'state-chunk part >= parts',
      frame: () =>
        seal(keys.replica(1), CLUSTER, 'state-chunk', 1, { seq: 0, what: 0, part: 2, parts: 2, data: ZERO })
          .bytes,
    },
  ],
  'outside-window': [
    {
      name: 'commit below the current view',
      ctx: windowCtx,
      frame: () => seal(keys.replica(1), CLUSTER, 'commit', 1, vote(4, 15)).bytes,
    },
    { name: 'prepare at the low watermark', ctx: windowCtx, frame: () => prepare(2, vote(5, 10)) },
    { name: 'prepare above the high watermark', ctx: windowCtx, frame: () => prepare(2, vote(5, 21)) },
  ],
  'batch-too-large': [
    {
      name: 'more than the configured batch size',
      ctx: contextOf(keys, { maxBatch: 1 }),
      frame: () => prePrepare([request(100, 1), request(101, 1)]),
    },
    {
      name: 'count above LIMITS.maxBatch',
      frame: () => {
        const body = new Uint8Array(52);
        new DataView(body.buffer).setUint32(48, LIMITS.maxBatch + 1);
        return sealBytes(keys.replica(0), CLUSTER, 'pre-prepare', 0, body);
      },
    },
  ],
  'bad-request-in-batch': [
    {
      name: 'request signed by the wrong client',
      frame: () => prePrepare([request(100, 1), request(101, 1, { signer: 102 })]),
    },
    {
      name: 'request client field mismatch',
      frame: () => prePrepare([request(101, 1, { bodyClient: 102 })]),
    },
    { name: 'a prepare inside the batch', frame: () => prePrepare([prepare(1)]) },
    {
      name: 'request for another cluster',
      frame: () =>
        prePrepare([
          seal(keys.client(100), OTHER_CLUSTER, 'request', 100, { client: 100, timestamp: 1, op: ZERO })
            .bytes,
        ]),
    },
    {
      name: 'request from an unknown client',
      frame: () =>
        prePrepare([seal(keys.outsider, CLUSTER, 'request', 7, { client: 7, timestamp: 1, op: ZERO }).bytes]),
    },
    { name: 'garbage bytes', frame: () => prePrepare([Uint8Array.of(1, 2, 3)]) },
  ],
  'duplicate-request-in-batch': [
    { name: 'same request twice', frame: () => prePrepare([request(100, 1), request(100, 1)]) },
    {
      name: 'same (client, timestamp), other op',
      frame: () => prePrepare([request(100, 7), request(100, 7, { op: 1 })]),
    },
  ],
  'batch-digest-mismatch': [
    { name: 'zero digest', frame: () => prePrepare([request(100, 1)], { digest: ZERO }) },
    {
      name: 'digest of another order',
      frame: () =>
        prePrepare([request(101, 1), request(100, 1)], {
          digest: batchDigest([request(100, 1), request(101, 1)]),
        }),
    },
    {
      name: 'non-empty digest of an empty batch',
      frame: () => prePrepare([], { digest: batchDigest([request(100, 1)]) }),
    },
  ],
  'bad-certificate': [
    {
      name: 'new-view without view-changes (one row per rule: messages-certificates.test.ts)',
      frame: () =>
        seal(keys.replica(1), CLUSTER, 'new-view', 1, { view: 1, viewChanges: [], prePrepares: [] }).bytes,
    },
  ],
  'bad-reply-path': [
    { name: 'reply with no leaves', frame: () => replyShaped(0, 0, 0) },
    { name: 'reply index at its leaf count', frame: () => replyShaped(4, 4, 2) },
    { name: 'reply with more leaves than a batch', frame: () => replyShaped(0, LIMITS.maxBatch + 1, 10) },
    { name: 'reply with a sibling too many', frame: () => replyShaped(0, 4, 3) },
    { name: 'reply with a sibling too few', frame: () => replyShaped(1, 5, 2) },
    { name: 'reply of the promoted last leaf with a sibling', frame: () => replyShaped(4, 5, 2) },
    {
      name: 'reply leaf count above the configured batch size',
      ctx: contextOf(keys, { maxBatch: 2 }),
      frame: () => batchReplies(3)[0]!.bytes,
    },
  ],
  'bad-signature': [
    { name: 're-signed by another replica', frame: () => prepare(1, vote(), keys.replica(2)) },
    { name: 'reply with a tampered result', frame: () => tamperedReply(5, 2, { result: Uint8Array.of(9) }) },
    { name: 'reply with a tampered client', frame: () => tamperedReply(5, 2, { client: 101 }) },
    { name: 'reply with a tampered view', frame: () => tamperedReply(5, 2, { view: 1 }) },
    {
      name: 'reply with a tampered path',
      frame: () => {
        const path = batchReplies(5)[2]!.body.path.map((h) => h.slice());
        path[1]![0]! ^= 1;
        return tamperedReply(5, 2, { path });
      },
    },
    {
      name: 'reply with a neighbour index (same path length)',
      frame: () => tamperedReply(4, 1, { index: 2 }),
    },
    {
      name: "reply under another batch's signature",
      frame: () => {
        const other = batchReplies(5, { seq: 2 })[2]!;
        return replyWithSignature(CLUSTER, 1, batchReplies(5)[2]!.body, other.bytes.subarray(-64)).bytes;
      },
    },
    { name: 'reply root signed by another replica', frame: () => batchReplies(3, { signer: 2 })[1]!.bytes },
    {
      name: "reply under another replica's root signature",
      frame: () => {
        const body = batchReplies(3, { sender: 2 })[1]!.body;
        return replyWithSignature(CLUSTER, 1, body, batchReplies(3, { sender: 2 })[1]!.bytes.subarray(-64))
          .bytes;
      },
    },
    {
      name: 'reply signed over its body instead of its root',
      frame: () =>
        sealBytes(keys.replica(1), CLUSTER, 'reply', 1, encode(BODIES.reply, batchReplies(1)[0]!.body)),
    },
    {
      name: 'reply whose lone leaf was signed for another cluster',
      frame: () => {
        const lone = sealReply(keys.replica(1), sha256, OTHER_CLUSTER, 1, batchReplies(1)[0]!.body);
        return replyWithSignature(CLUSTER, 1, lone.body, lone.bytes.subarray(-64)).bytes;
      },
    },
    {
      name: 'signed for another cluster',
      frame: () => crossSigned(signingBytes('prepare', OTHER_CLUSTER, 1, voteBytes)),
    },
    { name: 'signed as a commit', frame: () => crossSigned(signingBytes('commit', CLUSTER, 1, voteBytes)) },
    {
      name: 'signed for another sender',
      frame: () => crossSigned(signingBytes('prepare', CLUSTER, 3, voteBytes)),
    },
    { name: 'zero signature', frame: () => envelope(KIND_TAGS.prepare, 1, voteBytes) },
    {
      name: 'pre-prepare with a valid batch, outer key wrong',
      frame: () => {
        const requests = [request(100, 1)];
        const body = encode(BODIES['pre-prepare'], {
          view: 0,
          seq: 1,
          digest: batchDigest(requests),
          requests,
        });
        return sealBytes(keys.outsider, CLUSTER, 'pre-prepare', 0, body);
      },
    },
  ],
};

/** The reason of a result, or 'accepted'. */
const outcome = (r: Checked<unknown>): string => (r.ok ? 'accepted' : r.reason);

describe('boundary rejections (one table row per reason)', () => {
  it('the table covers every reason', () => {
    assert.deepStrictEqual(Object.keys(REJECT_CASES).sort(), [...ALL_REJECT_REASONS].sort());
  });

  for (const reason of ALL_REJECT_REASONS) {
    for (const c of REJECT_CASES[reason]) {
      it(`${reason}: ${c.name}`, async () => {
        const frame = c.frame();
        const context = c.ctx ?? ctx;
        const r = openFrame(frame, context);
        assert.equal(outcome(r), reason, r.ok ? '' : r.detail);
        const parsed = parseFrame(frame, context);
        const viaAsync = parsed.ok ? await verifyFrameAsync(parsed.value) : parsed;
        assert.equal(outcome(viaAsync), reason);
      });
    }
  }
});

describe('pre-prepare batches', () => {
  it('accepts a valid batch and attaches its decoded requests in order', () => {
    const requests = [request(101, 5), request(100, 9), request(101, 6)];
    const r = openFrame(prePrepare(requests), ctx);
    assert.ok(r.ok && r.value.kind === 'pre-prepare');
    assert.deepStrictEqual(
      r.value.batch.map((q) => [q.sender, q.body.timestamp]),
      [
        [101, 5],
        [100, 9],
        [101, 6],
      ],
    );
    for (const [i, q] of r.value.batch.entries()) assert.deepStrictEqual(q.bytes, requests[i]);
  });

  it('reports which request failed its signature', () => {
    const r = openFrame(prePrepare([request(100, 1), request(101, 1, { signer: 102 })]), ctx);
    assert.ok(!r.ok);
    assert.match(r.detail ?? '', /request 1: bad signature/);
  });

  it('accepts the empty batch (the null request) with the null digest', () => {
    assert.ok(openFrame(prePrepare([]), ctx).ok);
  });
});

describe('windows', () => {
  const w = windowCtx;
  it('accepts seq low + 1 and high, and views above the current one', () => {
    assert.ok(openFrame(prepare(2, vote(5, 11)), w).ok);
    assert.ok(openFrame(prepare(2, vote(5, 20)), w).ok);
    assert.ok(openFrame(prepare(2, vote(9, 15)), w).ok);
  });

  it('does not apply to checkpoints', () => {
    const frame = seal(keys.replica(1), CLUSTER, 'checkpoint', 1, { seq: 1000, stateDigest: ZERO }).bytes;
    assert.ok(openFrame(frame, w).ok);
  });
});

describe('boundary guarantees', () => {
  it('the verified message owns its bytes: changing the input buffer afterwards changes nothing', () => {
    const frame = prePrepare([request(100, 1)]);
    const r = openFrame(frame, ctx);
    assert.ok(r.ok && r.value.kind === 'pre-prepare');
    const before = Uint8Array.from(r.value.bytes);
    const digest = Uint8Array.from(r.value.body.digest);
    frame.fill(0);
    assert.deepStrictEqual(r.value.bytes, before);
    assert.deepStrictEqual(r.value.body.digest, digest);
    assert.ok(openFrame(before, ctx).ok);
  });

  it('also when the input is a Buffer from a pool (whose slice() is a view, not a copy)', () => {
    const pooled = Buffer.from(prepare(1));
    const r = openFrame(pooled, ctx);
    assert.ok(r.ok && r.value.kind === 'prepare');
    const before = Uint8Array.from(r.value.bytes);
    pooled.fill(0xff);
    assert.deepStrictEqual(r.value.bytes, before);
    assert.equal(r.value.body.view, 0);
    assert.ok(!Buffer.isBuffer(r.value.bytes));
  });

  it('KnownValid skips signatures already verified, and only those', () => {
    let calls = 0;
    const counting = (v: Verifier | undefined): Verifier | undefined =>
      v && {
        publicKey: v.publicKey,
        verify: (d, s) => {
          calls++;
          return v.verify(d, s);
        },
        verifyAsync: (d, s) => {
          calls++;
          return v.verifyAsync(d, s);
        },
      };
    const p = keys.principals;
    const principals: Principals = {
      n: p.n,
      f: p.f,
      replica: (i) => counting(p.replica(i)),
      client: (i) => counting(p.client(i)),
    };
    const counted = { cluster: CLUSTER, principals };
    const req = request(100, 1);
    const frame = prePrepare([req, request(101, 1)]);
    assert.ok(openFrame(frame, counted).ok);
    assert.equal(calls, 3);
    calls = 0;
    const known = new Set([Buffer.from(req).toString('hex')]);
    assert.ok(openFrame(frame, counted, (e) => known.has(Buffer.from(e).toString('hex'))).ok);
    assert.equal(calls, 2);
  });

  it('a throwing or rejecting verifier is a bad signature, not an exception', async () => {
    const broken: Verifier = {
      publicKey: ZERO,
      verify: () => {
        throw new Error('boom');
      },
      verifyAsync: () => Promise.reject(new Error('boom')),
    };
    const principals: Principals = { n: 4, f: 1, replica: () => broken, client: () => broken };
    const frame = prepare(1);
    const parsed = parseFrame(frame, { cluster: CLUSTER, principals });
    assert.ok(parsed.ok);
    assert.equal(outcome(verifyFrame(parsed.value)), 'bad-signature');
    assert.equal(outcome(await verifyFrameAsync(parsed.value)), 'bad-signature');
  });

  it('a throwing principal lookup is a refusal, not an exception', () => {
    const principals: Principals = {
      n: 4,
      f: 1,
      replica: () => {
        throw new Error('boom');
      },
      client: () => undefined,
    };
    assert.equal(outcome(openFrame(prepare(1), { cluster: CLUSTER, principals })), 'malformed-body');
  });
});

describe('unsigned requests (benchmark networks only)', () => {
  const unsigned: BoundaryContext = { ...ctx, unsignedRequests: true };
  /** A request from `client` carrying the all-zero signature. */
  const zeroSigned = (client: number, timestamp: number) => {
    const zero = { publicKey: new Uint8Array(32), sign: () => new Uint8Array(64) };
    return seal(zero, CLUSTER, 'request', client, { client, timestamp, op: Uint8Array.of(0) }).bytes;
  };

  it('a request with the all-zero signature is refused unless the cluster enables the mode', () => {
    const r = openFrame(zeroSigned(100, 1), ctx);
    assert.ok(!r.ok);
    assert.equal(r.reason, 'bad-signature');
    const u = openFrame(zeroSigned(100, 1), unsigned);
    assert.ok(u.ok && u.value.kind === 'request');
    const parsed = parseFrame(zeroSigned(100, 1), unsigned);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.signatures.length, 0, 'no signature check is listed for it');
  });

  it('in a batch: refused in normal mode, accepted in the mode; the pre-prepare signature is still checked', () => {
    const batch = [zeroSigned(100, 1), request(101, 1)];
    const normal = openFrame(prePrepare(batch), ctx);
    assert.ok(!normal.ok);
    assert.match(normal.detail ?? '', /request 0: bad signature/);
    assert.ok(openFrame(prePrepare(batch), unsigned).ok);
    const forged = prePrepare(batch, { sender: 0 });
    const bad = new Uint8Array(forged);
    bad[bad.length - 1]! ^= 1;
    const r = openFrame(bad, unsigned);
    assert.ok(!r.ok);
    assert.equal(r.reason, 'bad-signature');
  });

  it('replica messages stay signed in the mode: a zero-signed prepare is refused', () => {
    const zero = { publicKey: new Uint8Array(32), sign: () => new Uint8Array(64) };
    const r = openFrame(seal(zero, CLUSTER, 'prepare', 2, vote()).bytes, unsigned);
    assert.ok(!r.ok);
    assert.equal(r.reason, 'bad-signature');
  });

  it('a request from an unknown client is still refused in the mode', () => {
    const r = openFrame(zeroSigned(999, 1), unsigned);
    assert.ok(!r.ok);
    assert.equal(r.reason, 'unknown-sender');
  });
});
