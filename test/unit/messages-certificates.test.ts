/**
 * Certificates nested in VIEW-CHANGE and NEW-VIEW: valid ones accepted with their attachments, one
 * table row per rule refused with 'bad-certificate', no window on nested messages, signature checks
 * listed once per distinct envelope, and a fuzz run in which no frame holding a badly signed nested
 * envelope (at any depth) is ever accepted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sha256 } from '../../src/crypto/hash.js';
import type { Verifier } from '../../src/crypto/types.js';
import {
  ALL_REJECT_REASONS,
  type AnyVerified,
  type BodyOf,
  type BoundaryContext,
  batchDigest,
  bodyCodec,
  type Checked,
  decode,
  ENVELOPE,
  encode,
  type Kind,
  kindOfTag,
  openFrame,
  type Principals,
  parseFrame,
  primaryOf,
  seal,
  sealMessage,
  signingBytes,
  verifyFrameAsync,
} from '../../src/messages/index.js';
import {
  CLUSTER,
  certificateOf,
  checkpointBytes,
  contextOf,
  F,
  hex,
  keyedHashKeys,
  N,
  newViewBody,
  OTHER_CLUSTER,
  prePrepareBytes,
  prepareBytes,
  QUORUM,
  requestBytes,
  validFrameArb,
  viewChangeBody,
} from './messages-fixtures.js';

const keys = keyedHashKeys();
const ctx = contextOf(keys);

/** 32 bytes of `b`. */
const digestOf = (b: number) => new Uint8Array(32).fill(b);
/** The view voted for in the base view-change; its primary is replica 1. */
const NEW_VIEW = 5;
/** The base view-change's stable checkpoint. */
const STABLE = { stableSeq: 10, stableDigest: digestOf(7) };
/** Two requests, batched in the certificate at seq 11. */
const REQUESTS = [requestBytes(keys, 100, 1), requestBytes(keys, 101, 1)];
/** Certificates: view 3 (primary 3, backups 0 and 1) at seq 11, view 4 (primary 0) at seq 12. */
const CERTS = [
  { view: 3, seq: 11, requests: REQUESTS },
  { view: 4, seq: 12 },
];

/** The base view-change body: stable seq 10 with a quorum proof and two certificates. */
const baseViewChange = (): BodyOf['view-change'] =>
  viewChangeBody(keys, { newView: NEW_VIEW, ...STABLE, certificates: CERTS });
/** A view-change envelope from `sender`. */
const vc = (body: BodyOf['view-change'], sender = 2) =>
  seal(keys.replica(sender), CLUSTER, 'view-change', sender, body).bytes;
/** A new-view envelope from its view's primary. */
const nv = (body: BodyOf['new-view']) => {
  const sender = primaryOf(body.view, N);
  return seal(keys.replica(sender), CLUSTER, 'new-view', sender, body).bytes;
};
/** The base new-view body for view 5: three view-changes (0, 2, 3) and two pre-prepares. */
const baseNewView = (): BodyOf['new-view'] =>
  newViewBody(
    keys,
    NEW_VIEW,
    [
      { sender: 0, spec: {} },
      { sender: 2, spec: { ...STABLE, certificates: CERTS } },
      { sender: 3, spec: { ...STABLE, certificates: [CERTS[1]!] } },
    ],
    [{ seq: 11, requests: REQUESTS }, { seq: 12 }],
  );
/** An envelope of `kind` from `sender` signed by a key nobody in the cluster has. */
const forged = <K extends Kind>(kind: K, sender: number, body: BodyOf[K]) =>
  sealMessage(keys.outsider, sha256, CLUSTER, kind, sender, body).bytes;
/** A request from client 100 signed by client 101's key. */
const forgedRequest = seal(keys.client(101), CLUSTER, 'request', 100, {
  client: 100,
  timestamp: 5,
  op: Uint8Array.of(1),
}).bytes;

/** The base view-change with its checkpoint proof replaced. */
const withProof = (proof: Uint8Array[], body = baseViewChange()) => vc({ ...body, checkpointProof: proof });
/** The base view-change with prepared[i] replaced. */
const withCert = (i: number, entry: BodyOf['view-change']['prepared'][number], body = baseViewChange()) =>
  vc({ ...body, prepared: body.prepared.with(i, entry) });
/** The base view-change with prepared[0]'s prepares replaced. */
const withPrepares = (prepares: Uint8Array[]) => {
  const body = baseViewChange();
  return withCert(0, { ...body.prepared[0]!, prepares }, body);
};
/** A checkpoint at the base stable point from `sender`. */
const checkpoint = (sender: number, seq = STABLE.stableSeq, digest = STABLE.stableDigest) =>
  checkpointBytes(keys, sender, seq, digest);
/** The digest of the certificate at (3, 11). */
const CERT_DIGEST = batchDigest(REQUESTS);
/** A prepare for the certificate at (3, 11) from `sender`. */
const certPrepare = (sender: number, view = 3, seq = 11, digest = CERT_DIGEST) =>
  prepareBytes(keys, sender, view, seq, digest);
/** The base new-view with one view-change replaced. */
const withViewChange = (i: number, bytes: Uint8Array, body = baseNewView()) =>
  nv({ ...body, viewChanges: body.viewChanges.with(i, bytes) });

/** One frame that must be refused with 'bad-certificate' and a detail matching `detail`. */
type Case = {
  readonly name: string;
  readonly frame: () => Uint8Array;
  readonly detail: RegExp;
  readonly ctx?: BoundaryContext;
};

const CASES: readonly Case[] = [
  // VIEW-CHANGE: the stable checkpoint's proof.
  {
    name: 'too few proofs',
    frame: () => withProof([checkpoint(0), checkpoint(1)]),
    detail: /^view-change checkpointProof: 2 entries, need 3$/,
  },
  {
    name: 'duplicate proof sender',
    frame: () => withProof([checkpoint(0), checkpoint(1), checkpoint(1)]),
    detail: /^view-change checkpointProof\[2\]: replica 1 repeats$/,
  },
  {
    name: 'proof seq mismatch',
    frame: () => withProof([checkpoint(0), checkpoint(1, 9), checkpoint(2)]),
    detail: /^view-change checkpointProof\[1\]: seq 9, stable seq 10$/,
  },
  {
    name: 'proof digest mismatch',
    frame: () => withProof([checkpoint(0), checkpoint(1), checkpoint(2, 10, digestOf(8))]),
    detail: /^view-change checkpointProof\[2\]: state digest is not the stable digest$/,
  },
  {
    name: 'proof of another kind (a prepare)',
    frame: () => withProof([certPrepare(0), checkpoint(1), checkpoint(2)]),
    detail: /^view-change checkpointProof\[0\]: unknown-kind \(tag 3 is not a checkpoint\)$/,
  },
  {
    name: 'proof from a replica id >= n',
    frame: () => withProof([checkpointBytes(keys, N, 10, STABLE.stableDigest), checkpoint(1), checkpoint(2)]),
    detail: /^view-change checkpointProof\[0\]: unknown-sender/,
  },
  {
    name: 'proof for another cluster',
    frame: () =>
      withProof([
        seal(keys.replica(0), OTHER_CLUSTER, 'checkpoint', 0, { seq: 10, stateDigest: STABLE.stableDigest })
          .bytes,
        checkpoint(1),
        checkpoint(2),
      ]),
    detail: /^view-change checkpointProof\[0\]: wrong-cluster/,
  },
  {
    name: 'garbage proof bytes',
    frame: () => withProof([Uint8Array.of(1, 2, 3), checkpoint(1), checkpoint(2)]),
    detail: /^view-change checkpointProof\[0\]: malformed-envelope \(truncated\)$/,
  },
  {
    name: 'non-empty proof at stable seq 0',
    frame: () =>
      vc({
        ...viewChangeBody(keys, { newView: NEW_VIEW }),
        checkpointProof: [checkpointBytes(keys, 0, 0, digestOf(0))],
      }),
    detail: /^view-change checkpointProof: 1 entries at stable seq 0$/,
  },
  // VIEW-CHANGE: prepared certificates.
  {
    name: 'cert pre-prepare from a non-primary',
    frame: () => {
      const body = { view: 3, seq: 11, digest: CERT_DIGEST, requests: REQUESTS };
      const prePrepare = seal(keys.replica(2), CLUSTER, 'pre-prepare', 2, body).bytes;
      return withCert(0, { prePrepare, prepares: [certPrepare(0), certPrepare(1)] });
    },
    detail: /^view-change prepared\[0\]\.prePrepare: wrong-sender-role/,
  },
  {
    name: 'cert view equal to the new view',
    frame: () => withCert(0, certificateOf(keys, NEW_VIEW, 11)),
    detail: /^view-change prepared\[0\]\.prePrepare: view 5, not below new view 5$/,
  },
  {
    name: 'cert view above the new view',
    frame: () => withCert(1, certificateOf(keys, 9, 12)),
    detail: /^view-change prepared\[1\]\.prePrepare: view 9, not below new view 5$/,
  },
  {
    name: 'cert seq equal to the stable seq',
    frame: () => withCert(0, certificateOf(keys, 3, 10)),
    detail: /^view-change prepared\[0\]\.prePrepare: seq 10, not above stable seq 10$/,
  },
  {
    name: 'cert seq below the stable seq',
    frame: () => withCert(1, certificateOf(keys, 4, 3)),
    detail: /^view-change prepared\[1\]\.prePrepare: seq 3, not above stable seq 10$/,
  },
  {
    name: 'cert with seq 0 at stable seq 0',
    frame: () => {
      const body = viewChangeBody(keys, { newView: NEW_VIEW });
      const digest = batchDigest([]);
      const pp = { view: 3, seq: 0, digest, requests: [] };
      const prePrepare = seal(keys.replica(3), CLUSTER, 'pre-prepare', 3, pp).bytes;
      const prepares = [0, 1].map((r) => certPrepare(r, 3, 0, digest));
      return vc({ ...body, prepared: [{ prePrepare, prepares }] });
    },
    detail: /^view-change prepared\[0\]\.prePrepare: bad-field \(pre-prepare with seq 0\)$/,
  },
  {
    name: 'too few prepares',
    frame: () => withPrepares([certPrepare(0)]),
    detail: /^view-change prepared\[0\]: 1 prepares, need 2$/,
  },
  {
    name: 'duplicate prepare sender',
    frame: () => withPrepares([certPrepare(1), certPrepare(0), certPrepare(1)]),
    detail: /^view-change prepared\[0\]\.prepares\[2\]: replica 1 repeats$/,
  },
  {
    name: 'prepare from the primary',
    frame: () => withPrepares([certPrepare(0), certPrepare(3)]),
    detail:
      /^view-change prepared\[0\]\.prepares\[1\]: wrong-sender-role \(prepare from the primary of view 3\)$/,
  },
  {
    name: 'prepare digest mismatch',
    frame: () => withPrepares([certPrepare(0), certPrepare(1, 3, 11, digestOf(1))]),
    detail: /^view-change prepared\[0\]\.prepares\[1\]: digest is not the pre-prepare's$/,
  },
  {
    name: 'prepare for another (view, seq)',
    frame: () => withPrepares([certPrepare(0, 3, 12), certPrepare(1)]),
    detail: /^view-change prepared\[0\]\.prepares\[0\]: \(view, seq\) \(3, 12\), pre-prepare's \(3, 11\)$/,
  },
  {
    name: 'a commit among the prepares',
    frame: () =>
      withPrepares([
        certPrepare(0),
        seal(keys.replica(1), CLUSTER, 'commit', 1, { view: 3, seq: 11, digest: CERT_DIGEST }).bytes,
      ]),
    detail: /^view-change prepared\[0\]\.prepares\[1\]: unknown-kind \(tag 4 is not a prepare\)$/,
  },
  {
    name: 'duplicate cert seq',
    frame: () => withCert(1, certificateOf(keys, 4, 11)),
    detail: /^view-change prepared\[1\]: seq 11 repeats$/,
  },
  {
    name: 'nested bad batch digest',
    frame: () => {
      const digest = batchDigest([REQUESTS[0]!]);
      const body = { view: 3, seq: 11, digest, requests: REQUESTS };
      const prePrepare = seal(keys.replica(3), CLUSTER, 'pre-prepare', 3, body).bytes;
      return withCert(0, {
        prePrepare,
        prepares: [certPrepare(0, 3, 11, digest), certPrepare(1, 3, 11, digest)],
      });
    },
    detail: /^view-change prepared\[0\]\.prePrepare: batch-digest-mismatch/,
  },
  {
    name: 'nested duplicate request',
    frame: () => withCert(0, certificateOf(keys, 3, 11, [REQUESTS[0]!, REQUESTS[0]!])),
    detail: /^view-change prepared\[0\]\.prePrepare: duplicate-request-in-batch/,
  },
  {
    name: 'nested request from an unknown client',
    frame: () => {
      const stranger = seal(keys.outsider, CLUSTER, 'request', 7, {
        client: 7,
        timestamp: 1,
        op: digestOf(0),
      });
      return withCert(0, certificateOf(keys, 3, 11, [stranger.bytes]));
    },
    detail: /^view-change prepared\[0\]\.prePrepare: bad-request-in-batch \(request 0: unknown-sender/,
  },
  {
    name: 'nested batch above the configured batch size (maxBatch applies to history)',
    ctx: contextOf(keys, { maxBatch: 1 }),
    frame: () => vc(baseViewChange()),
    detail: /^view-change prepared\[0\]\.prePrepare: batch-too-large/,
  },
  // Nested signatures: parsing passes, verification names the envelope.
  {
    name: 'nested request with a bad signature',
    frame: () => withCert(0, certificateOf(keys, 3, 11, [REQUESTS[0]!, forgedRequest])),
    detail: /^view-change prepared\[0\]\.prePrepare\.requests\[1\]: bad signature$/,
  },
  {
    name: 'nested bad signature on a proof',
    frame: () =>
      withProof([
        checkpoint(0),
        forged('checkpoint', 1, { seq: 10, stateDigest: digestOf(7) }),
        checkpoint(2),
      ]),
    detail: /^view-change checkpointProof\[1\]: bad signature$/,
  },
  {
    name: 'nested bad signature on a prepare',
    frame: () =>
      withPrepares([certPrepare(0), forged('prepare', 1, { view: 3, seq: 11, digest: CERT_DIGEST })]),
    detail: /^view-change prepared\[0\]\.prepares\[1\]: bad signature$/,
  },
  {
    name: 'nested bad signature on a pre-prepare',
    frame: () => {
      const prePrepare = forged('pre-prepare', 3, {
        view: 3,
        seq: 11,
        digest: CERT_DIGEST,
        requests: REQUESTS,
      });
      return withCert(0, { prePrepare, prepares: [certPrepare(0), certPrepare(1)] });
    },
    detail: /^view-change prepared\[0\]\.prePrepare: bad signature$/,
  },
  {
    name: 'nested bad signature on a view-change',
    frame: () => withViewChange(1, forged('view-change', 2, baseViewChange())),
    detail: /^new-view viewChanges\[1\]: bad signature$/,
  },
  {
    name: 'bad request signature four levels deep (new-view > view-change > pre-prepare > request)',
    frame: () => {
      const body = viewChangeBody(keys, { newView: NEW_VIEW, certificates: [CERTS[1]!] });
      const deep = { ...body, prepared: [certificateOf(keys, 3, 11, [forgedRequest])] };
      return withViewChange(0, vc(deep, 0));
    },
    detail: /^new-view viewChanges\[0\]\.prepared\[0\]\.prePrepare\.requests\[0\]: bad signature$/,
  },
  {
    name: 'bad request signature in a new-view pre-prepare',
    frame: () => {
      const body = baseNewView();
      return nv({ ...body, prePrepares: [prePrepareBytes(keys, NEW_VIEW, 11, [forgedRequest])] });
    },
    detail: /^new-view prePrepares\[0\]\.requests\[0\]: bad signature$/,
  },
  // NEW-VIEW.
  {
    name: 'new-view with too few view-changes',
    frame: () => {
      const body = baseNewView();
      return nv({ ...body, viewChanges: body.viewChanges.slice(0, 2) });
    },
    detail: /^new-view viewChanges: 2 entries, need 3$/,
  },
  {
    name: 'a view-change for another view',
    frame: () => withViewChange(0, vc(viewChangeBody(keys, { newView: 6 }), 0)),
    detail: /^new-view viewChanges\[0\]: view-change to view 6, new-view for view 5$/,
  },
  {
    name: 'duplicate view-change sender',
    frame: () => withViewChange(2, vc(viewChangeBody(keys, { newView: NEW_VIEW }), 2)),
    detail: /^new-view viewChanges\[2\]: replica 2 repeats$/,
  },
  {
    name: 'a nested view-change breaking a rule',
    frame: () => withViewChange(1, withPrepares([certPrepare(0)])),
    detail: /^new-view viewChanges\[1\]\.prepared\[0\]: 1 prepares, need 2$/,
  },
  {
    name: 'a new-view where a view-change belongs (nesting is bounded)',
    frame: () => withViewChange(1, nv(baseNewView())),
    detail: /^new-view viewChanges\[1\]: unknown-kind \(tag 8 is not a view-change\)$/,
  },
  {
    name: 'pre-prepare of another view',
    frame: () => nv({ ...baseNewView(), prePrepares: [prePrepareBytes(keys, 4, 11)] }),
    detail: /^new-view prePrepares\[0\]: view 4, new-view for view 5$/,
  },
  {
    name: 'pre-prepare from a backup of the view',
    frame: () =>
      nv({
        ...baseNewView(),
        prePrepares: [
          seal(keys.replica(2), CLUSTER, 'pre-prepare', 2, {
            view: 5,
            seq: 11,
            digest: batchDigest([]),
            requests: [],
          }).bytes,
        ],
      }),
    detail: /^new-view prePrepares\[0\]: wrong-sender-role/,
  },
  {
    name: 'repeated pre-prepare seq',
    frame: () =>
      nv({ ...baseNewView(), prePrepares: [12, 12].map((s) => prePrepareBytes(keys, NEW_VIEW, s)) }),
    detail: /^new-view prePrepares\[1\]: seq 12 after seq 12$/,
  },
  {
    name: 'decreasing pre-prepare seqs',
    frame: () =>
      nv({ ...baseNewView(), prePrepares: [11, 13, 12].map((s) => prePrepareBytes(keys, NEW_VIEW, s)) }),
    detail: /^new-view prePrepares\[2\]: seq 12 after seq 13$/,
  },
];

/** The reason of a result, or 'accepted'. */
const outcome = (r: Checked<unknown>): string => (r.ok ? 'accepted' : r.reason);
/** The detail of a refusal, or ''. */
const detailOf = (r: Checked<unknown>): string => (r.ok ? '' : (r.detail ?? ''));

/** Opens `frame` both ways (openFrame; parseFrame + verifyFrameAsync) and checks they agree. */
async function openBoth(frame: Uint8Array, context = ctx): Promise<Checked<AnyVerified>> {
  const sync = openFrame(frame, context);
  const parsed = parseFrame(frame, context);
  const viaAsync = parsed.ok ? await verifyFrameAsync(parsed.value) : parsed;
  assert.equal(outcome(viaAsync), outcome(sync));
  assert.equal(detailOf(viaAsync), detailOf(sync));
  return sync;
}

/**
 * Checks, independently of the boundary, that an accepted message's attachments mirror its body
 * (every nested message's bytes are the embedded envelope, pre-prepares carry their batch) and that
 * the certificate rules hold.
 */
function assertCertified(v: AnyVerified): void {
  if (v.kind === 'pre-prepare') {
    assert.equal(primaryOf(v.body.view, N), v.sender);
    assert.deepStrictEqual(
      v.batch.map((q) => hex(q.bytes)),
      v.body.requests.map(hex),
    );
    for (const q of v.batch) assert.equal(q.kind, 'request');
    assert.deepStrictEqual(batchDigest(v.body.requests), v.body.digest);
  }
  if (v.kind === 'view-change') assertViewChange(v);
  if (v.kind === 'new-view') {
    const b = v.body;
    assert.deepStrictEqual(
      v.viewChanges.map((x) => hex(x.bytes)),
      b.viewChanges.map(hex),
    );
    assert.deepStrictEqual(
      v.prePrepares.map((x) => hex(x.bytes)),
      b.prePrepares.map(hex),
    );
    assert.ok(v.viewChanges.length >= QUORUM);
    assert.equal(new Set(v.viewChanges.map((x) => x.sender)).size, v.viewChanges.length);
    for (const x of v.viewChanges) {
      assert.equal(x.kind, 'view-change');
      assert.equal(x.body.newView, b.view);
      assertCertified(x);
    }
    let last = 0;
    for (const p of v.prePrepares) {
      assert.equal(p.kind, 'pre-prepare');
      assert.equal(p.body.view, b.view);
      assert.ok(p.body.seq > last);
      last = p.body.seq;
      assertCertified(p);
    }
  }
}

/** `assertCertified` for a view-change. */
function assertViewChange(v: AnyVerified & { kind: 'view-change' }): void {
  const b = v.body;
  assert.deepStrictEqual(
    v.proof.map((c) => hex(c.bytes)),
    b.checkpointProof.map(hex),
  );
  if (b.stableSeq === 0) assert.equal(v.proof.length, 0);
  else assert.ok(v.proof.length >= QUORUM);
  assert.equal(new Set(v.proof.map((c) => c.sender)).size, v.proof.length);
  for (const c of v.proof) {
    assert.equal(c.kind, 'checkpoint');
    assert.equal(c.body.seq, b.stableSeq);
    assert.deepStrictEqual(c.body.stateDigest, b.stableDigest);
  }
  assert.equal(v.certificates.length, b.prepared.length);
  const seqs = new Set<number>();
  for (const [i, cert] of v.certificates.entries()) {
    const pp = cert.prePrepare;
    assert.deepStrictEqual(pp.bytes, b.prepared[i]!.prePrepare);
    assert.deepStrictEqual(
      cert.prepares.map((p) => hex(p.bytes)),
      b.prepared[i]!.prepares.map(hex),
    );
    assert.ok(pp.body.view < b.newView && pp.body.seq > b.stableSeq);
    assert.ok(!seqs.has(pp.body.seq));
    seqs.add(pp.body.seq);
    assertCertified(pp);
    assert.ok(cert.prepares.length >= 2 * F);
    assert.equal(new Set(cert.prepares.map((p) => p.sender)).size, cert.prepares.length);
    for (const p of cert.prepares) {
      assert.equal(p.kind, 'prepare');
      assert.notEqual(p.sender, pp.sender);
      assert.deepStrictEqual(
        [p.body.view, p.body.seq, hex(p.body.digest)],
        [pp.body.view, pp.body.seq, hex(pp.body.digest)],
      );
    }
  }
}

describe('certificates accepted', () => {
  it('a view-change at stable seq 0 without certificates', async () => {
    const body = viewChangeBody(keys, { newView: 1 });
    const frame = vc(body, 3);
    const r = await openBoth(frame);
    assert.ok(r.ok && r.value.kind === 'view-change', detailOf(r));
    assert.deepStrictEqual(r.value.proof, []);
    assert.deepStrictEqual(r.value.certificates, []);
    assert.deepStrictEqual(r.value.bytes, frame);
  });

  it('a view-change at stable seq 0 with certificates', async () => {
    const body = viewChangeBody(keys, {
      newView: 2,
      certificates: [{ view: 1, seq: 1, requests: REQUESTS }],
    });
    const r = await openBoth(vc(body, 0));
    assert.ok(r.ok && r.value.kind === 'view-change', detailOf(r));
    assert.equal(r.value.certificates.length, 1);
    assertCertified(r.value);
  });

  it('a view-change above stable seq 0: proof and certificates attached, nested bytes verbatim', async () => {
    const body = baseViewChange();
    const r = await openBoth(vc(body));
    assert.ok(r.ok && r.value.kind === 'view-change', detailOf(r));
    assertCertified(r.value);
    assert.deepStrictEqual(
      r.value.proof.map((c) => c.sender),
      [0, 1, 2],
    );
    const [first, second] = r.value.certificates;
    assert.deepStrictEqual(first!.prePrepare.bytes, body.prepared[0]!.prePrepare);
    assert.deepStrictEqual(
      first!.prePrepare.batch.map((q) => hex(q.bytes)),
      REQUESTS.map(hex),
    );
    assert.deepStrictEqual(
      first!.prepares.map((p) => p.sender),
      [0, 1],
    );
    assert.deepStrictEqual(second!.prePrepare.batch, []);
    assert.deepStrictEqual(
      second!.prepares.map((p) => hex(p.bytes)),
      body.prepared[1]!.prepares.map(hex),
    );
  });

  it('a view-change with a stable checkpoint and no certificates, proof from any quorum', async () => {
    const body = viewChangeBody(keys, { newView: 9, ...STABLE });
    const r = await openBoth(vc({ ...body, checkpointProof: [3, 1, 2, 0].map((s) => checkpoint(s)) }));
    assert.ok(r.ok && r.value.kind === 'view-change', detailOf(r));
    assert.deepStrictEqual(
      r.value.proof.map((c) => c.sender),
      [3, 1, 2, 0],
    );
  });

  it('a new-view: view-changes with their own attachments, pre-prepares with their batches', async () => {
    const body = baseNewView();
    const frame = nv(body);
    const r = await openBoth(frame);
    assert.ok(r.ok && r.value.kind === 'new-view', detailOf(r));
    assertCertified(r.value);
    assert.deepStrictEqual(r.value.bytes, frame);
    assert.deepStrictEqual(
      r.value.viewChanges.map((x) => x.sender),
      [0, 2, 3],
    );
    const nested = r.value.viewChanges[1]!;
    assert.equal(nested.proof.length, QUORUM);
    assert.deepStrictEqual(
      nested.certificates[0]!.prePrepare.batch.map((q) => hex(q.bytes)),
      REQUESTS.map(hex),
    );
    assert.deepStrictEqual(
      r.value.prePrepares[0]!.batch.map((q) => q.sender),
      [100, 101],
    );
    assert.deepStrictEqual(r.value.prePrepares[1]!.batch, []);
  });

  it('a new-view with no pre-prepares and more than a quorum of view-changes', async () => {
    const viewChanges = [0, 1, 2, 3].map((sender) => ({ sender, spec: {} }));
    const r = await openBoth(nv(newViewBody(keys, 4, viewChanges, [])));
    assert.ok(r.ok && r.value.kind === 'new-view', detailOf(r));
    assert.equal(r.value.viewChanges.length, 4);
  });
});

describe('certificate rejections (one row per rule)', () => {
  it("'bad-certificate' is a known reason, checked before signatures", () => {
    const reasons: readonly string[] = ALL_REJECT_REASONS;
    assert.ok(reasons.indexOf('bad-certificate') < reasons.indexOf('bad-signature'));
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const r = await openBoth(c.frame(), c.ctx ?? ctx);
      assert.equal(outcome(r), 'bad-certificate', detailOf(r));
      assert.match(detailOf(r), c.detail);
    });
  }

  it('the outer envelope keeps its own reasons', async () => {
    const body = baseViewChange();
    assert.equal(outcome(await openBoth(forged('view-change', 2, body))), 'bad-signature');
    const badProof = [
      checkpoint(0),
      forged('checkpoint', 1, { seq: 10, stateDigest: digestOf(7) }),
      checkpoint(2),
    ];
    const both = forged('view-change', 2, { ...body, checkpointProof: badProof });
    assert.equal(outcome(await openBoth(both)), 'bad-signature', 'the envelope signature is checked first');
    assert.equal(outcome(await openBoth(vc({ ...body, newView: 0, prepared: [] }))), 'bad-field');
    const fromBackup = seal(keys.replica(2), CLUSTER, 'new-view', 2, baseNewView()).bytes;
    assert.equal(outcome(await openBoth(fromBackup)), 'wrong-sender-role');
  });
});

describe('nested messages and the receiver', () => {
  const windowed = contextOf(keys, { window: { view: 5, low: 100, high: 200 } });

  it('the window does not apply to nested messages', async () => {
    const r = await openBoth(vc(baseViewChange()), windowed);
    assert.ok(r.ok, detailOf(r));
    const n = await openBoth(nv(baseNewView()), windowed);
    assert.ok(n.ok, detailOf(n));
    // The same historical pre-prepare on its own is outside the window.
    assert.equal(outcome(await openBoth(prePrepareBytes(keys, 3, 11, REQUESTS), windowed)), 'outside-window');
  });

  it('lists each distinct envelope once, outer first, and KnownValid applies to nested envelopes', () => {
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
    // View-changes 2 and 3 share certificate (4, 12); the new-view's pre-prepare 11 batches REQUESTS again.
    const frame = nv(baseNewView());
    const distinct = new Set([hex(frame), ...nestedEnvelopes(frame).map(hex)]);
    // Repeated: three checkpoints and the certificate's pre-prepare and two prepares (view-change 3), two requests.
    assert.equal(nestedEnvelopes(frame).length + 1 - distinct.size, 8);
    const parsed = parseFrame(frame, counted);
    assert.ok(parsed.ok);
    const listed = parsed.value.signatures.map((c) => hex(c.envelope));
    assert.equal(listed[0], hex(frame));
    assert.equal(new Set(listed).size, listed.length);
    assert.deepStrictEqual(new Set(listed), distinct);
    assert.ok(openFrame(frame, counted).ok);
    assert.equal(calls, distinct.size);
    calls = 0;
    const known = new Set(nestedEnvelopes(frame).map(hex));
    assert.ok(openFrame(frame, counted, (e) => known.has(hex(e))).ok);
    assert.equal(calls, 1);
  });
});

// ---- Fuzzing ----

/** A nested list of a decoded body: the kind its entries must be, the entries, and how to replace them. */
type NestedList = {
  readonly kind: Kind;
  readonly items: readonly Uint8Array[];
  readonly set: (items: Uint8Array[]) => unknown;
};

/** A decoded envelope the test looks into. */
type Open = { readonly kind: Kind; readonly sender: number; readonly body: unknown };

/** Decodes an envelope and its body, or undefined. */
function openEnv(bytes: Uint8Array): Open | undefined {
  const env = decode(ENVELOPE, bytes);
  if (!env.ok) return undefined;
  const kind = kindOfTag(env.value.kind);
  if (kind === undefined) return undefined;
  const body = decode(bodyCodec(kind), env.value.body);
  return body.ok ? { kind, sender: env.value.sender, body: body.value } : undefined;
}

/** The nested lists of a body, in body order. */
function listsOf(o: Open): NestedList[] {
  if (o.kind === 'pre-prepare') {
    const b = o.body as BodyOf['pre-prepare'];
    return [{ kind: 'request', items: b.requests, set: (requests) => ({ ...b, requests }) }];
  }
  if (o.kind === 'view-change') {
    const b = o.body as BodyOf['view-change'];
    // Pre-prepares moved around keep the prepares of the entry at their new position (cyclically).
    const rebuilt = (items: Uint8Array[]) =>
      items.map((prePrepare, i) => ({
        prePrepare,
        prepares: b.prepared[i % b.prepared.length]?.prepares ?? [],
      }));
    return [
      { kind: 'checkpoint', items: b.checkpointProof, set: (checkpointProof) => ({ ...b, checkpointProof }) },
      {
        kind: 'pre-prepare',
        items: b.prepared.map((e) => e.prePrepare),
        set: (items) => ({ ...b, prepared: rebuilt(items) }),
      },
      ...b.prepared.map(
        (e, i): NestedList => ({
          kind: 'prepare',
          items: e.prepares,
          set: (prepares) => ({ ...b, prepared: b.prepared.with(i, { ...e, prepares }) }),
        }),
      ),
    ];
  }
  if (o.kind === 'new-view') {
    const b = o.body as BodyOf['new-view'];
    return [
      { kind: 'view-change', items: b.viewChanges, set: (viewChanges) => ({ ...b, viewChanges }) },
      { kind: 'pre-prepare', items: b.prePrepares, set: (prePrepares) => ({ ...b, prePrepares }) },
    ];
  }
  return [];
}

/** Every envelope nested (at any depth) in `bytes`, depth first. */
function nestedEnvelopes(bytes: Uint8Array): Uint8Array[] {
  const o = openEnv(bytes);
  if (o === undefined) return [];
  return listsOf(o).flatMap((l) => l.items.flatMap((item) => [item, ...nestedEnvelopes(item)]));
}

/** A path to a nested envelope: (list, item) index pairs from the outer envelope down. */
type Path = readonly (readonly [number, number])[];

/** The paths of every envelope nested in `bytes`. */
function pathsOf(bytes: Uint8Array, prefix: Path = []): Path[] {
  const o = openEnv(bytes);
  if (o === undefined) return [];
  return listsOf(o).flatMap((l, li) =>
    l.items.flatMap((item, ii) => {
      const path: Path = [...prefix, [li, ii]];
      return [path, ...pathsOf(item, path)];
    }),
  );
}

/** Re-seals a decoded envelope with a new body, with its sender's true key (fixing a batch digest). */
function reseal(o: Open, body: unknown): Uint8Array {
  const fixed =
    o.kind === 'pre-prepare'
      ? { ...(body as BodyOf['pre-prepare']), digest: batchDigest((body as BodyOf['pre-prepare']).requests) }
      : body;
  return sealMessage(
    keys.signerFor(o.kind, o.sender),
    sha256,
    CLUSTER,
    o.kind,
    o.sender,
    fixed as BodyOf[Kind],
  ).bytes;
}

/** The envelope at `path` in `bytes`, or undefined. */
function envelopeAt(bytes: Uint8Array, path: Path): Uint8Array | undefined {
  let at: Uint8Array | undefined = bytes;
  for (const [li, ii] of path) {
    const o: Open | undefined = at && openEnv(at);
    at = o && listsOf(o)[li]?.items[ii];
  }
  return at;
}

/** A view-change body whose prepares that differ from their pre-prepare are re-signed to match it. */
function repairVotes(body: BodyOf['view-change']): BodyOf['view-change'] {
  const prepared = body.prepared.map((e) => {
    const pp = openEnv(e.prePrepare);
    if (pp?.kind !== 'pre-prepare') return e;
    const { view, seq, digest } = pp.body as BodyOf['pre-prepare'];
    const prepares = e.prepares.map((v) => {
      const o = openEnv(v);
      const b = o?.body as BodyOf['prepare'] | undefined;
      const same = b !== undefined && b.view === view && b.seq === seq && hex(b.digest) === hex(digest);
      return o?.kind === 'prepare' && !same ? prepareBytes(keys, o.sender, view, seq, digest) : v;
    });
    return { ...e, prepares };
  });
  return { ...body, prepared };
}

/**
 * Replaces the envelope at `path` with `change(it)` and re-seals every envelope above it with its
 * sender's key (fixing batch digests). With `repair`, prepares are re-signed to match their
 * pre-prepare, so a damaged request deep inside a certificate is found only by its signature.
 */
function rewrite(
  bytes: Uint8Array,
  path: Path,
  change: (b: Uint8Array) => Uint8Array,
  repair = false,
): Uint8Array {
  const [step, ...rest] = path;
  if (step === undefined) return change(bytes);
  const o = openEnv(bytes);
  const list = o && listsOf(o)[step[0]];
  const item = list?.items[step[1]];
  if (o === undefined || list === undefined || item === undefined) return bytes;
  const body = list.set(list.items.with(step[1], rewrite(item, rest, change, repair)));
  return reseal(o, repair && o.kind === 'view-change' ? repairVotes(body as BodyOf['view-change']) : body);
}

/** True when `bytes` is an envelope of this cluster signed by its sender's key (of `kind` if given). */
function signedBySender(bytes: Uint8Array, kind?: Kind): boolean {
  const env = decode(ENVELOPE, bytes);
  if (!env.ok || hex(env.value.cluster) !== hex(CLUSTER)) return false;
  const k = kindOfTag(env.value.kind);
  if (k === undefined || (kind !== undefined && k !== kind)) return false;
  const data = signingBytes(k, env.value.cluster, env.value.sender, env.value.body);
  return keys.verifierFor(k, env.value.sender)?.verify(data, env.value.signature) === true;
}

/** True when `bytes` and every envelope nested in it, at any depth, verify under their senders' keys. */
function deeplySigned(bytes: Uint8Array, kind?: Kind): boolean {
  const o = openEnv(bytes);
  if (o === undefined || !signedBySender(bytes, kind)) return false;
  return listsOf(o).every((l) => l.items.every((item) => deeplySigned(item, l.kind)));
}

/** A mutated frame; `forgedNested` marks frames with a nested envelope nobody validly signed. */
type Trial = { readonly frame: Uint8Array; readonly mustReject: boolean; readonly forgedNested: boolean };

/** Flips bytes of a copy of `b` at positions taken modulo its length. */
function flipped(b: Uint8Array, flips: readonly (readonly [number, number])[]): Uint8Array {
  const out = Uint8Array.from(b);
  for (const [pos, mask] of flips) out[pos % out.length]! ^= mask;
  return out;
}

/** Ways to damage one nested envelope so that no key in the cluster signed it. */
const FORGERIES = ['flip-signature', 'flip-anywhere', 'wrong-key'] as const;
/** Edits to one nested list, the container re-sealed by its sender. */
const LIST_EDITS = ['remove', 'duplicate', 'swap', 'reverse', 'foreign'] as const;

/** The fuzz trial generator over a pool of valid frames and their nested envelopes. */
function trialArb(pool: readonly Uint8Array[], foreign: readonly Uint8Array[]): fc.Arbitrary<Trial> {
  const pick = fc.nat(pool.length - 1).map((i) => pool[i]!);
  const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
    minLength: 1,
    maxLength: 3,
  });
  const untouched = pick.map((frame): Trial => ({ frame, mustReject: false, forgedNested: false }));
  const flipFrame = fc
    .tuple(pick, flips)
    .map(([f, fl]): Trial => ({ frame: flipped(f, fl), mustReject: true, forgedNested: false }));
  const truncate = fc
    .tuple(pick, fc.nat())
    .map(
      ([f, cut]): Trial => ({ frame: f.subarray(0, cut % f.length), mustReject: true, forgedNested: false }),
    );
  const forge = fc
    .tuple(pick, fc.nat(), fc.constantFrom(...FORGERIES), flips)
    .map(([f, at, how, fl]): Trial => {
      const paths = pathsOf(f);
      const path = paths[at % Math.max(1, paths.length)];
      if (path === undefined) return { frame: f, mustReject: false, forgedNested: false };
      const frame = rewrite(f, path, (b) => forge1(b, how, fl), true);
      // Judged by the test's own verification: a repair above may have re-signed a damaged prepare.
      const forgedNested = !deeplySigned(frame);
      return { frame, mustReject: forgedNested, forgedNested };
    });
  const edit = fc
    .tuple(pick, fc.nat(), fc.nat(), fc.constantFrom(...LIST_EDITS), fc.nat(), fc.nat())
    .map(([f, at, li, how, i, j]): Trial => {
      const containers: Path[] = [[], ...pathsOf(f)];
      const path = containers[at % containers.length]!;
      const frame = rewrite(f, path, (b) => editList(b, li, how, i, j, foreign));
      return { frame, mustReject: false, forgedNested: false };
    });
  const swapAcross = fc.tuple(pick, pick, fc.nat(), fc.nat()).map(([f, g, a, b]): Trial => {
    const pf = pathsOf(f);
    const pg = pathsOf(g);
    const target = pf[a % Math.max(1, pf.length)];
    const source = pg[b % Math.max(1, pg.length)];
    const taken = source && envelopeAt(g, source);
    if (target === undefined || taken === undefined)
      return { frame: f, mustReject: false, forgedNested: false };
    return { frame: rewrite(f, target, () => taken), mustReject: false, forgedNested: false };
  });
  return fc.oneof(
    { arbitrary: untouched, weight: 2 },
    { arbitrary: flipFrame, weight: 3 },
    { arbitrary: truncate, weight: 2 },
    { arbitrary: forge, weight: 6 },
    { arbitrary: edit, weight: 6 },
    { arbitrary: swapAcross, weight: 3 },
  );
}

/** Damages one envelope so that it no longer carries a valid signature of its claimed sender. */
function forge1(
  b: Uint8Array,
  how: (typeof FORGERIES)[number],
  fl: readonly (readonly [number, number])[],
): Uint8Array {
  const [pos, mask] = fl[0]!;
  if (how === 'flip-signature') return flipped(b, [[b.length - 1 - (pos % 64), mask]]);
  const env = decode(ENVELOPE, b);
  const kind = env.ok ? kindOfTag(env.value.kind) : undefined;
  if (how === 'flip-anywhere' || !env.ok || kind === undefined) return flipped(b, fl);
  const signature = keys.outsider.sign(signingBytes(kind, CLUSTER, env.value.sender, env.value.body));
  return encode(ENVELOPE, { ...env.value, signature });
}

/** Edits one nested list of the envelope `b` and re-seals it with its sender's true key. */
function editList(
  b: Uint8Array,
  li: number,
  how: (typeof LIST_EDITS)[number],
  i: number,
  j: number,
  foreign: readonly Uint8Array[],
): Uint8Array {
  const o = openEnv(b);
  const lists = o === undefined ? [] : listsOf(o);
  const list = lists[li % Math.max(1, lists.length)];
  if (o === undefined || list === undefined) return b;
  const items = [...list.items];
  const n = items.length;
  if (how === 'remove' && n > 0) items.splice(i % n, 1);
  if (how === 'duplicate' && n > 0) items.splice(j % (n + 1), 0, items[i % n]!);
  if (how === 'swap' && n > 1) [items[i % n], items[j % n]] = [items[j % n]!, items[i % n]!];
  if (how === 'reverse') items.reverse();
  if (how === 'foreign') items.splice(i % (n + 1), n > 0 ? 1 : 0, foreign[j % foreign.length]!);
  return reseal(o, list.set(items));
}

/** Judges one fuzz outcome and returns its label. */
function judge(t: Trial, r: Checked<AnyVerified>): string {
  if (!r.ok) {
    assert.ok(ALL_REJECT_REASONS.includes(r.reason), `unknown reason ${r.reason}`);
    if (t.forgedNested) assert.equal(r.reason, 'bad-certificate', r.detail);
    return r.reason;
  }
  assert.ok(!t.mustReject, 'accepted a damaged frame');
  assert.ok(
    deeplySigned(t.frame),
    'accepted a frame with an envelope (nested or not) whose signature does not verify',
  );
  assert.deepStrictEqual(r.value.bytes, t.frame);
  assertCertified(r.value);
  return 'accepted';
}

describe('certificate fuzzing', () => {
  const poolArb = validFrameArb(keys, ['view-change', 'new-view']);
  const pool = [
    vc(baseViewChange()),
    nv(baseNewView()),
    ...fc.sample(poolArb, { seed: 11, numRuns: 120 }).map((s) => s.bytes),
  ];
  const foreign = [
    ...pool.slice(0, 20).flatMap(nestedEnvelopes),
    ...pool.slice(0, 5),
    Uint8Array.of(1, 2, 3),
  ];

  it('the pool is valid', () => {
    for (const frame of pool) assert.ok(openFrame(frame, ctx).ok);
  });

  it('5,000 mutated view-change and new-view frames: never throws, never accepts a bad nested signature', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(trialArb(pool, foreign), (t) => {
        let r: Checked<AnyVerified>;
        try {
          r = openFrame(t.frame, ctx);
        } catch (e) {
          assert.fail(`openFrame threw: ${String(e)}`);
        }
        const label = judge(t, r);
        seen.set(label, (seen.get(label) ?? 0) + 1);
        if (t.forgedNested) seen.set('forged', (seen.get('forged') ?? 0) + 1);
      }),
      { seed: 12, numRuns: 5_000 },
    );
    const stats = JSON.stringify([...seen]);
    assert.ok((seen.get('accepted') ?? 0) > 250, `too few accepted: ${stats}`);
    assert.ok((seen.get('bad-certificate') ?? 0) > 1_500, `too few certificate refusals: ${stats}`);
    assert.ok((seen.get('forged') ?? 0) > 1_000, `too few nested forgeries: ${stats}`);
  });

  it('parse + verifyFrameAsync agrees with openFrame on 500 mutated frames', async () => {
    await fc.assert(
      fc.asyncProperty(trialArb(pool, foreign), async (t) => {
        judge(t, await openBoth(t.frame));
      }),
      { seed: 13, numRuns: 500 },
    );
  });
});
