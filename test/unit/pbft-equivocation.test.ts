/**
 * Regression tests for behaviour found by running the Byzantine behaviours against the core.
 * Each names the rule it checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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

describe('PBFT against an equivocating primary', () => {
  test('rule: a request a backup saw, already inside a stuck pre-prepare, keeps its view-change timer running', () => {
    const { replica } = makeReplica(c, 3, { requestTimeoutTicks: 10 });
    const req = request(c, 1, 1);
    deliver(c, replica, prePrepare(c, 0, 1, [req]));
    const retry = deliver(c, replica, req);
    assert.deepEqual(
      ofType(retry, 'ignored').map((o) => o.reason),
      ['duplicate'],
    );
    assert.ok(sent(tick(replica, 12), 'view-change').length >= 1, 'the timer fired');
  });

  test('rule: a slot follows a conflicting pre-prepare once 2f backups prepared it (the quorum, not the first seen)', () => {
    const { replica, sm } = makeReplica(c, 3);
    const a = prePrepare(c, 0, 1, [request(c, 1, 1, 'client-2', 7n)]);
    const b = prePrepare(c, 0, 1, [request(c, 2, 1)]);
    deliver(c, replica, b); // replica 3 was shown the other batch first
    for (const id of [1, 2])
      deliver(c, replica, asReplica(c, id, 'prepare', { view: 0, seq: 1, digest: a.body.digest }));
    const outs = deliver(c, replica, a); // relayed later: evidence, then it follows the prepared batch
    assert.equal(ofType(outs, 'evidence').length, 1);
    assert.ok(replica.changingView, 'the proof against the primary starts a view change (no more votes)');
    for (const id of [0, 1, 2])
      deliver(c, replica, asReplica(c, id, 'commit', { view: 0, seq: 1, digest: a.body.digest }));
    assert.equal(replica.lastExecuted, 1);
    assert.equal(sm.ledger.balance('client-2'), 1007n);
    replica.assertInvariants();
  });

  test('rule: proof that the primary equivocated is relayed to every replica and starts a view change at once', () => {
    const { replica } = makeReplica(c, 2);
    const a = prePrepare(c, 0, 1, [request(c, 1, 1)]);
    const b = prePrepare(c, 0, 1, [request(c, 2, 1)]);
    deliver(c, replica, a);
    const outs = deliver(c, replica, b);
    const relayed = ofType(outs, 'broadcast').filter((o) => o.msg.kind === 'pre-prepare');
    assert.equal(relayed.length, 2, 'both pre-prepares go to every replica');
    assert.equal(sent(outs, 'view-change')[0]?.body.newView, 1);
    assert.ok(replica.changingView);
  });

  test('rule: far-future agreement messages do not make a replica fetch state forever', () => {
    const { replica } = makeReplica(c, 1, { fetchTicks: 5 });
    deliver(c, replica, asReplica(c, 2, 'prepare', { view: 0, seq: 1000, digest: new Uint8Array(32) }));
    assert.equal(sent(tick(replica, 20), 'fetch-state').length, 0);
  });
});
