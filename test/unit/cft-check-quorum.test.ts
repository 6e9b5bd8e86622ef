/**
 * Step tests of the crash-fault core's check-quorum (etcd's raft CheckQuorum): one replica, inputs
 * in, outputs asserted. A leader that hears from no majority (itself included) within a minimum
 * election timeout steps down and redirects clients; a replica that a live leader holds drops
 * requests for votes in a higher term (leader stickiness). Each rule is also shown off.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CftOutput } from '../../src/core/cft/types.js';
import { NO_LEADER } from '../../src/messages/schema.js';
import {
  deliver,
  elect,
  type Harness,
  makeCftCluster,
  makeCftReplica,
  ofType,
  request,
  sent,
  submit,
  tick,
} from '../support/cft-cluster.js';

const c = makeCftCluster(3);
const c5 = makeCftCluster(5);

/** A follower's successful answer to leader `h` for everything up to its last index. */
function ack(cluster: typeof c, h: Harness, from: number): CftOutput[] {
  const { term, lastIndex: index } = h.replica;
  return deliver(cluster, h, from, 'append-ack', { term, success: true, index });
}

/** A heartbeat (empty append-entries at the start of the log) from `leader` in `term`. */
function heartbeat(h: Harness, leader: number, term: number): CftOutput[] {
  return deliver(c, h, leader, 'append-entries', {
    term,
    prevIndex: 0,
    prevTerm: 0,
    leaderCommit: 0,
    entries: [],
  });
}

describe('CFT check-quorum', () => {
  test('rule: a leader that hears from no majority within a minimum election timeout steps down in its term and redirects clients', () => {
    const h = makeCftReplica(c, 0);
    elect(c, h);
    const period = h.config.electionTimeoutMinTicks;
    assert.deepEqual(ofType(tick(h, period - 1), 'stepped-down'), []);
    assert.equal(h.replica.role, 'leader');
    const outs = tick(h, 1);
    assert.deepEqual(ofType(outs, 'stepped-down'), [{ type: 'stepped-down', term: 1 }]);
    assert.deepEqual([h.replica.role, h.replica.term, h.replica.leader], ['follower', 1, undefined]);
    assert.equal(ofType(outs, 'term-changed').length, 0, 'same term, same vote: nothing to persist');
    assert.deepEqual(
      outs.filter((o) => o.type === 'persist'),
      [],
    );
    const red = submit(c, h, request(c, 1, 1));
    assert.equal(ofType(red, 'redirect')[0]?.msg.body.leader, NO_LEADER);
    assert.equal(ofType(red, 'ignored')[0]?.reason, 'not-leader-redirected');
  });

  test('rule: answers from a majority keep the leader, period after period; an answer counts for one period only', () => {
    const h = makeCftReplica(c5, 0);
    elect(c5, h);
    const period = h.config.electionTimeoutMinTicks;
    for (let p = 0; p < 4; p++) {
      ack(c5, h, 1);
      ack(c5, h, 2);
      assert.deepEqual(ofType(tick(h, period), 'stepped-down'), [], `period ${p}`);
    }
    assert.equal(h.replica.role, 'leader');
    ack(c5, h, 1);
    const outs = tick(h, period);
    assert.deepEqual(ofType(outs, 'stepped-down'), [{ type: 'stepped-down', term: 1 }], 'two of five');
    assert.equal(h.replica.role, 'follower');
  });

  test('rule: a failed answer is an answer too (the follower is alive, only behind)', () => {
    const h = makeCftReplica(c, 0);
    elect(c, h);
    deliver(c, h, 2, 'append-ack', { term: 1, success: false, index: 0 });
    assert.deepEqual(ofType(tick(h, h.config.electionTimeoutMinTicks), 'stepped-down'), []);
  });

  test('rule: with check-quorum off, a leader that hears from nobody stays leader', () => {
    const h = makeCftReplica(c, 0, { checkQuorum: false });
    elect(c, h);
    const outs = tick(h, 10 * h.config.electionTimeoutMaxTicks);
    assert.deepEqual(ofType(outs, 'stepped-down'), []);
    assert.equal(h.replica.role, 'leader');
  });

  test('rule: a stepped-down leader grants pre-votes and, after its own timeout, asks for them', () => {
    const h = makeCftReplica(c, 0);
    elect(c, h);
    tick(h, h.config.electionTimeoutMinTicks);
    assert.equal(h.replica.role, 'follower');
    const reply = deliver(c, h, 1, 'pre-vote', { term: 2, lastIndex: 1, lastTerm: 1 });
    assert.deepEqual(sent(reply, 'pre-vote-reply')[0]?.body, { term: 2, granted: true });
    const outs = tick(h, h.config.electionTimeoutMaxTicks);
    assert.deepEqual(ofType(outs, 'pre-vote-started')[0], { type: 'pre-vote-started', term: 2 });
  });

  test('rule: a follower a live leader holds drops requests for votes in a higher term, until the lease runs out', () => {
    const h = makeCftReplica(c, 1, { electionTimeoutMinTicks: 6, electionTimeoutMaxTicks: 12 });
    heartbeat(h, 0, 1);
    const ask = () => deliver(c, h, 2, 'request-vote', { term: 2, lastIndex: 0, lastTerm: 0 });
    tick(h, 5);
    const dropped = ask();
    assert.deepEqual(dropped, [{ type: 'ignored', kind: 'request-vote', from: 2, reason: 'leader-lease' }]);
    assert.deepEqual([h.replica.term, h.replica.leader], [1, 0], 'term and leader kept, nothing answered');
    tick(h, 1);
    const granted = ask();
    assert.deepEqual(sent(granted, 'vote')[0]?.body, { term: 2, granted: true });
    assert.equal(h.replica.term, 2);
  });

  test('rule: stickiness leaves requests for votes of the current term alone', () => {
    const h = makeCftReplica(c, 1);
    heartbeat(h, 0, 1);
    const outs = deliver(c, h, 2, 'request-vote', { term: 1, lastIndex: 0, lastTerm: 0 });
    assert.equal(sent(outs, 'vote').length, 1, 'answered (Raft: one vote per term)');
  });

  test('rule: with check-quorum off, a follower votes in a higher term at once (Raft without stickiness)', () => {
    const h = makeCftReplica(c, 1, { checkQuorum: false });
    heartbeat(h, 0, 1);
    const outs = deliver(c, h, 2, 'request-vote', { term: 2, lastIndex: 0, lastTerm: 0 });
    assert.deepEqual(sent(outs, 'vote')[0]?.body, { term: 2, granted: true });
    assert.deepEqual([h.replica.term, h.replica.leader], [2, undefined]);
  });

  test('rule: a leader drops requests for votes in a higher term with check-quorum on, and steps down with it off', () => {
    const on = makeCftReplica(c, 0);
    elect(c, on);
    const kept = deliver(c, on, 1, 'request-vote', { term: 3, lastIndex: 1, lastTerm: 1 });
    assert.equal(ofType(kept, 'ignored')[0]?.reason, 'leader-lease');
    assert.deepEqual([on.replica.role, on.replica.term], ['leader', 1]);
    const off = makeCftReplica(c, 0, { checkQuorum: false });
    elect(c, off);
    const lost = deliver(c, off, 1, 'request-vote', { term: 3, lastIndex: 1, lastTerm: 1 });
    assert.deepEqual(sent(lost, 'vote')[0]?.body, { term: 3, granted: true });
    assert.deepEqual([off.replica.role, off.replica.term], ['follower', 3]);
  });
});
