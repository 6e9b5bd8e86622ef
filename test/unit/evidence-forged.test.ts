/**
 * Forged-certificate evidence: every way a validly signed VIEW-CHANGE or NEW-VIEW can carry a forged
 * or incomplete certificate yields a proof against its signer (the outermost one) that re-verifies
 * from the file alone, and honest messages never do.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { verifyEvidence } from '../../src/evidence/evidence.js';
import { ForgeryWatch, judgeForged } from '../../src/evidence/forgery.js';
import { batchDigest, seal } from '../../src/messages/index.js';
import type { Message } from '../../src/messages/types.js';
import { asReplica, makeCluster, makeReplica, open, prePrepare, request, sent } from '../support/cluster.js';
import {
  ACCUSED,
  accused,
  type Body,
  digest,
  fileFor,
  honestVc,
  honestViewChanges,
  KEYS,
  keys,
  NEW_VIEW,
  nvBytes,
  nvWithViewChanges,
  OTHER_REQ,
  PRIMARY,
  ppBody,
  prepare5,
  REQ,
  vcBytes,
  withCert,
} from './evidence-fixtures.js';
import {
  CLUSTER,
  checkpointBytes,
  keyedHashKeys,
  prePrepareBytes,
  prepareBytes,
  validFrameArb,
  viewChangeBody,
} from './messages-fixtures.js';

/** View-change forgeries: what is wrong, the body, the rule broken and part of the failed check. */
const VIEW_CHANGE_ROWS: [string, () => Body, string, string][] = [
  [
    'a prepare signed with another replica key (wrong signer)',
    () => withCert((c) => ({ prepares: [c.prepares[0]!, prepare5(2, 3)] })),
    'signature',
    'view-change prepared[0].prepares[1]: bad signature',
  ],
  [
    'a checkpoint of the proof signed by an outsider',
    () => ({
      ...honestVc(),
      checkpointProof: [
        seal(keys.outsider, CLUSTER, 'checkpoint', 0, { seq: 4, stateDigest: digest(4) }).bytes,
        ...honestVc().checkpointProof.slice(1),
      ],
    }),
    'signature',
    'view-change checkpointProof[0]: bad signature',
  ],
  [
    'a pre-prepare from a replica that is not its view primary',
    () => withCert(() => ({ prePrepare: seal(keys.replica(2), CLUSTER, 'pre-prepare', 2, ppBody()).bytes })),
    'certificate',
    'prepared[0].prePrepare: wrong-sender-role',
  ],
  [
    'a prepare from a replica id outside the cluster',
    () => withCert((c) => ({ prepares: [c.prepares[0]!, prepare5(9, 3)] })),
    'certificate',
    'prepared[0].prepares[1]:',
  ],
  [
    'a certificate short of a prepare',
    () => withCert((c) => ({ prepares: [c.prepares[0]!] })),
    'certificate',
    'prepared[0]: 1 prepares, need 2',
  ],
  [
    'a checkpoint proof short of a quorum',
    () => ({ ...honestVc(), checkpointProof: honestVc().checkpointProof.slice(0, 2) }),
    'certificate',
    'checkpointProof: 2 entries, need 3',
  ],
  [
    'a prepare repeated',
    () => withCert((c) => ({ prepares: [c.prepares[0]!, c.prepares[0]!] })),
    'certificate',
    'replica 0 repeats',
  ],
  [
    'a prepare for another digest',
    () => withCert((c) => ({ prepares: [c.prepares[0]!, prepare5(2, 2, digest(9))] })),
    'certificate',
    "prepared[0].prepares[1]: digest is not the pre-prepare's",
  ],
  [
    'a prepare for another view',
    () => withCert((c) => ({ prepares: [c.prepares[0]!, prepare5(2, 2, batchDigest([REQ]), 0)] })),
    'certificate',
    "(view, seq) (0, 5), pre-prepare's (1, 5)",
  ],
  [
    'a certificate from the new view itself',
    () => ({
      ...honestVc(),
      prepared: [
        {
          prePrepare: prePrepareBytes(keys, NEW_VIEW, 5),
          prepares: [0, 1].map((r) => prepareBytes(keys, r, NEW_VIEW, 5, batchDigest([]))),
        },
      ],
    }),
    'certificate',
    'not below new view 2',
  ],
  [
    'a certificate at the stable checkpoint',
    () => viewChangeBody(keys, { newView: NEW_VIEW, stableSeq: 4, certificates: [{ view: 1, seq: 4 }] }),
    'certificate',
    'seq 4, not above stable seq 4',
  ],
  [
    'a proof that does not certify the claimed digest',
    () => ({ ...honestVc(), stableDigest: digest(9) }),
    'certificate',
    'checkpointProof[0]: state digest is not the stable digest',
  ],
  [
    'a proof for another seq',
    () => ({
      ...honestVc(),
      checkpointProof: [0, 1, 2].map((r) => checkpointBytes(keys, r, 8, digest(4))),
    }),
    'certificate',
    'checkpointProof[0]: seq 8, stable seq 4',
  ],
  [
    'a proof at stable seq 0',
    () => ({ ...honestVc(), stableSeq: 0, prepared: [] }),
    'certificate',
    'checkpointProof: 3 entries at stable seq 0',
  ],
  [
    'two certificates for one seq',
    () => ({ ...honestVc(), prepared: [honestVc().prepared[0]!, honestVc().prepared[0]!] }),
    'certificate',
    'prepared[1]: seq 5 repeats',
  ],
  [
    'a malformed nested envelope',
    () => withCert((c) => ({ prepares: [c.prepares[0]!, Uint8Array.of(1, 2, 3)] })),
    'certificate',
    'prepared[0].prepares[1]: malformed-envelope',
  ],
  [
    'a batched request whose client is not its signer',
    () => {
      const forgedReq = seal(keys.client(100), CLUSTER, 'request', 100, {
        client: 101,
        timestamp: 1,
        op: Uint8Array.of(0),
      }).bytes;
      const body = { view: 1, seq: 5, digest: batchDigest([forgedReq]), requests: [forgedReq] };
      const pp = seal(keys.replica(1), CLUSTER, 'pre-prepare', 1, body).bytes;
      return withCert(() => ({ prePrepare: pp, prepares: [0, 2].map((r) => prepare5(r, r, body.digest)) }));
    },
    'certificate',
    'prepared[0].prePrepare: bad-request-in-batch',
  ],
];

/** New-view forgeries: what is wrong, the bytes, the rule broken and part of the failed check. */
const NEW_VIEW_ROWS: [string, () => Uint8Array, string, string][] = [
  [
    'the null request where a certificate was',
    () => nvBytes([{ seq: 5 }]),
    'recomputation',
    'new-view prePrepares[0]: seq 5 with the null batch, its view-changes imply seq 5 with digest',
  ],
  [
    'another batch where a certificate was',
    () => nvBytes([{ seq: 5, requests: [OTHER_REQ] }]),
    'recomputation',
    'new-view prePrepares[0]: seq 5 with digest',
  ],
  [
    'an entry too many',
    () => nvBytes([{ seq: 5, requests: [REQ] }, { seq: 6 }]),
    'recomputation',
    'new-view prePrepares: 2 entries, its view-changes imply 1 (seqs 5..5)',
  ],
  [
    'an entry too few',
    () => nvBytes([]),
    'recomputation',
    'new-view prePrepares: 0 entries, its view-changes imply 1',
  ],
  [
    'fewer view-changes than a quorum',
    () => nvBytes([{ seq: 5, requests: [REQ] }], [1, ACCUSED]),
    'certificate',
    'viewChanges: 2 entries, need 3',
  ],
  [
    'a view-change for another view',
    () => nvWithViewChanges([...honestViewChanges(), vcBytes({ ...honestVc(), newView: 3 })]),
    'certificate',
    'viewChanges[2]: view-change to view 3, new-view for view 2',
  ],
  [
    "a view-change whose certificate is forged (the new primary's lie, whoever signed it)",
    () =>
      nvWithViewChanges([...honestViewChanges(), vcBytes(withCert((c) => ({ prepares: [c.prepares[0]!] })))]),
    'certificate',
    'viewChanges[2].prepared[0]: 1 prepares, need 2',
  ],
  [
    'a pre-prepare for another view',
    () => {
      const body = {
        view: NEW_VIEW,
        viewChanges: honestViewChanges(),
        prePrepares: [prePrepareBytes(keys, 6, 5)],
      };
      return seal(keys.replica(PRIMARY), CLUSTER, 'new-view', PRIMARY, {
        ...body,
        viewChanges: [...body.viewChanges, vcBytes({ ...honestVc(), prepared: [] })],
      }).bytes;
    },
    'certificate',
    'prePrepares[0]: view 6, new-view for view 2',
  ],
];

describe('forged-certificate evidence', () => {
  for (const [what, body, rule, check] of VIEW_CHANGE_ROWS) {
    test(`a VIEW-CHANGE with ${what}: verifiable evidence against its signer (${rule})`, () => {
      const bytes = vcBytes(body());
      const j = accused(bytes);
      assert.equal(j.replica, ACCUSED);
      assert.equal(j.message, 'view-change');
      assert.equal(j.view, NEW_VIEW);
      assert.equal(j.rule, rule);
      assert.ok(j.check.includes(check), j.check);
      const verdict = verifyEvidence(fileFor(bytes));
      assert.deepEqual(verdict, {
        valid: true,
        replica: ACCUSED,
        kind: 'forged-certificate',
        message: 'view-change',
        view: NEW_VIEW,
        rule,
        check: j.check,
      });
    });
  }

  for (const [what, bytes, rule, check] of NEW_VIEW_ROWS) {
    test(`a NEW-VIEW with ${what}: verifiable evidence against the new primary (${rule})`, () => {
      const b = bytes();
      const j = accused(b);
      assert.equal(j.replica, PRIMARY);
      assert.equal(j.message, 'new-view');
      assert.equal(j.rule, rule);
      assert.ok(j.check.includes(check), j.check);
      const verdict = verifyEvidence(fileFor(b));
      assert.ok(verdict.valid && verdict.replica === PRIMARY, JSON.stringify(verdict));
    });
  }

  test('honest VIEW-CHANGE and NEW-VIEW messages prove nothing', () => {
    for (const bytes of [vcBytes(honestVc()), nvBytes([{ seq: 5, requests: [REQ] }])]) {
      const j = judgeForged(bytes, KEYS);
      assert.deepEqual(j, { forged: false, reason: 'every certificate check passes' });
    }
  });

  test('property: no VIEW-CHANGE the boundary accepts is ever judged forged', () => {
    const cheap = keyedHashKeys();
    fc.assert(
      fc.property(validFrameArb(cheap, ['view-change']), (frame) => {
        const j = judgeForged(frame.bytes, { cluster: CLUSTER, principals: cheap.principals });
        return !j.forged;
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  test('a NEW-VIEW built by an honest core proves nothing, judged whole or as a verified message', () => {
    const c = makeCluster(4);
    const { replica } = makeReplica(c, 1, { requestTimeoutTicks: 5, retransmitTicks: 50 });
    const pp = prePrepare(c, 0, 1, [request(c, 0, 1), request(c, 2, 1)]);
    const prepares = [2, 3].map((id) =>
      asReplica(c, id, 'prepare', { view: 0, seq: 1, digest: pp.body.digest }),
    );
    const genesis = makeReplica(c, 0).sm.digest();
    const vc = (id: number, prepared: Body['prepared']) =>
      asReplica(c, id, 'view-change', {
        newView: 1,
        stableSeq: 0,
        stableDigest: genesis,
        checkpointProof: [],
        prepared,
      });
    const certificate = [{ prePrepare: pp.bytes, prepares: prepares.map((p) => p.bytes) }];
    const outs = [vc(2, certificate), vc(3, [])].flatMap((m) =>
      replica.step({ type: 'message', msg: open(c, m) as never }),
    );
    const [nv] = sent(outs, 'new-view');
    assert.ok(nv !== undefined && nv.body.prePrepares.length === 1);
    const cheapKeys = { cluster: c.cluster, principals: c.ctx.principals };
    assert.equal(judgeForged(nv.bytes, cheapKeys).forged, false);
    assert.equal(new ForgeryWatch(cheapKeys).verified(open(c, nv as Message<'new-view'>)), undefined);
  });
});
