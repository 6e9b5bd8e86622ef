/**
 * Step tests of the view change (Castro & Liskov, TOCS 2002, section 3). Each test names the rule
 * it checks. Messages go through the real boundary, which verifies every nested certificate.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PbftReplica } from '../../src/core/pbft/replica.js';
import type { Output, PbftConfig } from '../../src/core/pbft/types.js';
import { viewTimeoutTicks } from '../../src/core/pbft/view-change.js';
import { NULL_BATCH_DIGEST } from '../../src/messages/batch.js';
import type { Message } from '../../src/messages/types.js';
import {
  asReplica,
  deliver,
  makeCluster,
  makeReplica,
  ofType,
  prePrepare,
  request,
  sent,
  tick,
} from '../support/cluster.js';

const c = makeCluster(4);
const TIMING: Partial<PbftConfig> = { requestTimeoutTicks: 10, maxViewTimeoutTicks: 40, retransmitTicks: 5 };

/** A prepared certificate for (view 0, seq): the pre-prepare and prepares of replicas 1 and 2. */
function certificate(seq: number, client: number) {
  const pp = prePrepare(c, 0, seq, [request(c, client, seq)]);
  const { view, digest } = pp.body;
  const prepares = [1, 2].map((id) => asReplica(c, id, 'prepare', { view, seq, digest }));
  return { pp, prepares };
}

/** A VIEW-CHANGE of replica `id` to `newView` from the genesis checkpoint, with certificates. */
function viewChange(id: number, newView: number, certs: ReturnType<typeof certificate>[] = []) {
  return asReplica(c, id, 'view-change', {
    newView,
    stableSeq: 0,
    stableDigest: makeReplica(c, id).sm.digest(),
    checkpointProof: [],
    prepared: certs.map((x) => ({ prePrepare: x.pp.bytes, prepares: x.prepares.map((p) => p.bytes) })),
  });
}

/** Replica `id` after seeing a client request and waiting out the request timeout. */
function timedOut(id: number): { replica: PbftReplica; outs: Output[] } {
  const { replica } = makeReplica(c, id, TIMING);
  deliver(c, replica, request(c, 2, 100));
  return { replica, outs: tick(replica, 11) };
}

describe('PBFT view change', () => {
  test('rule: a backup waiting too long for a request starts a view change to v+1 carrying its checkpoint and prepared certificates', () => {
    const { replica } = makeReplica(c, 1, TIMING);
    const cert = certificate(1, 0);
    deliver(c, replica, cert.pp);
    deliver(c, replica, cert.prepares[1]!);
    deliver(c, replica, request(c, 2, 100));
    assert.equal(sent(tick(replica, 9), 'view-change').length, 0, 'not before the timeout');
    const outs = tick(replica, 2);
    const [vc] = sent(outs, 'view-change');
    assert.ok(vc, 'view change sent');
    assert.equal(vc.body.newView, 1);
    assert.equal(vc.body.stableSeq, 0);
    assert.equal(vc.body.prepared.length, 1, 'the prepared certificate for seq 1');
    assert.deepEqual(vc.body.prepared[0]!.prePrepare, cert.pp.bytes);
    assert.equal(vc.body.prepared[0]!.prepares.length, 2);
    const persistAt = outs.findIndex((o) => o.type === 'persist' && o.record.type === 'signed');
    assert.ok(persistAt < outs.findIndex((o) => o.type === 'broadcast' && o.msg.kind === 'view-change'));
    assert.ok(replica.changingView);
  });

  test('rule: while changing view a replica does not vote in the old view', () => {
    const { replica } = timedOut(2);
    const outs = deliver(c, replica, prePrepare(c, 0, 1, [request(c, 1, 1)]));
    assert.equal(sent(outs, 'prepare').length, 0);
  });

  test('rule: the new primary, with 2f+1 VIEW-CHANGEs, re-proposes each prepared digest and fills gaps with null requests', () => {
    const { replica } = timedOut(1); // replica 1 is the primary of view 1
    const c1 = certificate(1, 0);
    const c3 = certificate(3, 1);
    deliver(c, replica, viewChange(2, 1, [c1]));
    const outs = deliver(c, replica, viewChange(3, 1, [c3]));
    const [nv] = sent(outs, 'new-view');
    assert.ok(nv, 'NEW-VIEW sent');
    assert.equal(nv.body.view, 1);
    assert.equal(nv.body.viewChanges.length, 3);
    const pps = ofType(outs, 'broadcast')
      .map((o) => o.msg)
      .filter((m): m is Message<'pre-prepare'> => m.kind === 'pre-prepare');
    assert.equal(pps.length, 0, 'the pre-prepares travel inside the NEW-VIEW');
    assert.equal(nv.body.prePrepares.length, 3);
    assert.equal(replica.view, 1);
    assert.ok(!replica.changingView);
    assert.deepEqual(
      ofType(outs, 'new-view').map((o) => o.view),
      [1],
    );
  });

  test('rule: a backup recomputes the NEW-VIEW and accepts it only when the pre-prepares match', () => {
    const { replica: primary } = timedOut(1);
    const c1 = certificate(1, 0);
    deliver(c, primary, viewChange(2, 1, [c1]));
    const nv = sent(deliver(c, primary, viewChange(3, 1)), 'new-view')[0]!;
    // A backup in view 0 accepts it and prepares seq 1 with the certificate's digest.
    const { replica: backup } = makeReplica(c, 2, TIMING);
    const outs = deliver(c, backup, nv);
    const prepares = sent(outs, 'prepare');
    assert.deepEqual(
      prepares.map((p) => [p.body.view, p.body.seq]),
      [[1, 1]],
    );
    assert.deepEqual(prepares[0]!.body.digest, c1.pp.body.digest);
    // The same view changes with a replaced digest at seq 1: refused.
    const forged = asReplica(c, 1, 'new-view', {
      view: 1,
      viewChanges: nv.body.viewChanges,
      prePrepares: [
        asReplica(c, 1, 'pre-prepare', { view: 1, seq: 1, digest: NULL_BATCH_DIGEST, requests: [] }).bytes,
      ],
    });
    const { replica: other } = makeReplica(c, 3, TIMING);
    assert.deepEqual(
      ofType(deliver(c, other, forged), 'ignored').map((o) => o.reason),
      ['bad-new-view'],
    );
    assert.equal(other.view, 0);
  });

  test('rule: f+1 VIEW-CHANGEs for higher views make a replica join the smallest of them', () => {
    const { replica } = makeReplica(c, 3, TIMING);
    assert.equal(sent(deliver(c, replica, viewChange(1, 3)), 'view-change').length, 0, 'f = 1 is not enough');
    const outs = deliver(c, replica, viewChange(2, 2));
    const [vc] = sent(outs, 'view-change');
    assert.equal(vc?.body.newView, 2, 'joins view 2, the smallest that f+1 replicas ask for');
  });

  test('rule: a lone replica changing view does not escalate without a quorum, and retransmits its VIEW-CHANGE', () => {
    const { replica } = timedOut(2);
    const later = tick(replica, 100);
    const vcs = sent(later, 'view-change');
    assert.ok(vcs.length >= 10, 'retransmitted every retransmitTicks');
    assert.ok(
      vcs.every((v) => v.body.newView === 1),
      'still asks for view 1',
    );
  });

  test('rule: the view-change timeout doubles per consecutive failed view and is capped', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 10].map((k) => viewTimeoutTicks(10, k, 40)),
      [10, 20, 40, 40, 40],
    );
    // Replica 3 (never the primary of views 1 and 2) moves to view 1 after 10 ticks; with a quorum for view 1 but no NEW-VIEW it moves to
    // view 2 after 20 more ticks, then (with a quorum for view 2) to view 3 after 40.
    const { replica } = timedOut(3);
    assert.equal(replica.view, 1);
    deliver(c, replica, viewChange(0, 1));
    deliver(c, replica, viewChange(2, 1));
    tick(replica, 19);
    assert.equal(replica.view, 1);
    tick(replica, 1);
    assert.equal(replica.view, 2);
    deliver(c, replica, viewChange(0, 2));
    deliver(c, replica, viewChange(2, 2));
    tick(replica, 39);
    assert.equal(replica.view, 2, 'the next timeout is doubled');
    tick(replica, 1);
    assert.equal(replica.view, 3);
    tick(replica, 39);
    assert.equal(replica.view, 3, 'no quorum for view 3: no escalation');
  });

  test('rule: a replica that installed a view hands its NEW-VIEW to a replica still changing to it', () => {
    const { replica: primary } = timedOut(1);
    deliver(c, primary, viewChange(2, 1));
    const nv = sent(deliver(c, primary, viewChange(3, 1)), 'new-view')[0]!;
    const outs = deliver(c, primary, viewChange(0, 1));
    const relayed = ofType(outs, 'send').filter((s) => s.msg.kind === 'new-view');
    assert.equal(relayed.length, 1);
    assert.equal(relayed[0]!.to, 0);
    assert.deepEqual(relayed[0]!.msg.bytes, nv.bytes);
  });
});
