/**
 * Step tests of the crash-fault core's log replication, commitment, execution and clients: one
 * replica, inputs in, outputs asserted, each named after its rule (Raft sections 5.3, 5.4.2, 8).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeResult, ResultCode } from '../../src/ledger/index.js';
import { NO_LEADER } from '../../src/messages/schema.js';
import {
  appended,
  deliver,
  elect,
  indexOf,
  makeCftCluster,
  makeCftReplica,
  ofType,
  request,
  sent,
  submit,
  tick,
  wire,
} from '../support/cft-cluster.js';

const c = makeCftCluster(3);
const c5 = makeCftCluster(5);

/** A follower (replica 1) that got entries of terms `terms` from leader 0 in term `term`. */
function followerWith(terms: number[], term = Math.max(1, ...terms)) {
  const h = makeCftReplica(c, 1);
  deliver(c, h, 0, 'append-entries', {
    term,
    prevIndex: 0,
    prevTerm: 0,
    leaderCommit: 0,
    entries: wire(terms.map((t) => ({ term: t }))),
  });
  return h;
}

describe('CFT replication', () => {
  test('rule: a follower appends entries that continue its log, durably before it acknowledges them', () => {
    const h = makeCftReplica(c, 1);
    const outs = deliver(c, h, 0, 'append-entries', {
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      leaderCommit: 0,
      entries: wire([{ term: 1, requests: [request(c, 0, 1)] }]),
    });
    assert.deepEqual(
      appended(outs).map((e) => [e.index, e.term, e.requests.length]),
      [[1, 1, 1]],
    );
    assert.deepEqual(sent(outs, 'append-ack')[0]?.body, { term: 1, success: true, index: 1 });
    const persistAt = indexOf(outs, (o) => o.type === 'persist');
    assert.ok(persistAt >= 0 && persistAt < indexOf(outs, (o) => o.type === 'send'), 'persist precedes send');
  });

  test('rule: an append-entries whose previous entry the follower lacks is refused with a back-up hint', () => {
    const h = followerWith([1, 1, 2]);
    const beyond = deliver(c, h, 0, 'append-entries', {
      term: 3,
      prevIndex: 7,
      prevTerm: 3,
      leaderCommit: 0,
      entries: [],
    });
    assert.deepEqual(
      sent(beyond, 'append-ack')[0]?.body,
      { term: 3, success: false, index: 3 },
      'end of a shorter log',
    );
    const conflict = deliver(c, h, 0, 'append-entries', {
      term: 3,
      prevIndex: 3,
      prevTerm: 3,
      leaderCommit: 0,
      entries: [],
    });
    assert.deepEqual(
      sent(conflict, 'append-ack')[0]?.body,
      { term: 3, success: false, index: 2 },
      'before term 2',
    );
    assert.equal(ofType(conflict, 'ignored')[0]?.reason, 'log-mismatch');
    assert.equal(h.replica.lastIndex, 3, 'nothing changed');
  });

  test('rule: a conflicting uncommitted suffix is truncated and replaced; matching entries are kept', () => {
    const h = followerWith([1, 1, 1, 1], 1);
    const outs = deliver(c, h, 2, 'append-entries', {
      term: 2,
      prevIndex: 1,
      prevTerm: 1,
      leaderCommit: 0,
      entries: wire([{ term: 1 }, { term: 2 }]),
    });
    const persists = ofType(outs, 'persist').map((p) => p.record);
    assert.deepEqual(persists[0], { type: 'truncate', from: 3 });
    assert.deepEqual(
      appended(outs).map((e) => [e.index, e.term]),
      [[3, 2]],
    );
    assert.deepEqual([h.replica.lastIndex, h.replica.leader], [3, 2]);
    assert.deepEqual(sent(outs, 'append-ack')[0]?.body, { term: 2, success: true, index: 3 });
    // A stale, shorter copy of the same leader's entries truncates nothing.
    const again = deliver(c, h, 2, 'append-entries', {
      term: 2,
      prevIndex: 1,
      prevTerm: 1,
      leaderCommit: 0,
      entries: wire([{ term: 1 }]),
    });
    assert.equal(ofType(again, 'persist').length, 0);
    assert.equal(h.replica.lastIndex, 3);
  });

  test('rule: a follower commits what the leader committed, only as far as the message vouches for its log', () => {
    const h = followerWith([1, 1, 1]);
    const outs = deliver(c, h, 0, 'append-entries', {
      term: 1,
      prevIndex: 1,
      prevTerm: 1,
      leaderCommit: 9,
      entries: [],
    });
    assert.equal(h.replica.commitIndex, 1, 'entries 2-3 are not vouched for by this message');
    assert.deepEqual(
      ofType(outs, 'executed').map((e) => e.index),
      [1],
    );
    const hard = indexOf(
      outs,
      (o) => o.type === 'persist' && o.record.type === 'hard-state' && o.record.commit === 1,
    );
    assert.ok(
      hard >= 0 && hard < indexOf(outs, (o) => o.type === 'executed'),
      'the commit index is durable first',
    );
  });

  test('rule: a follower redirects clients to the leader it knows (or to none)', () => {
    const h = makeCftReplica(c, 1);
    const none = submit(c, h, request(c, 2, 1));
    assert.equal(ofType(none, 'redirect')[0]?.msg.body.leader, NO_LEADER);
    deliver(c, h, 2, 'append-entries', { term: 1, prevIndex: 0, prevTerm: 0, leaderCommit: 0, entries: [] });
    const outs = submit(c, h, request(c, 2, 1));
    const [redirect] = ofType(outs, 'redirect');
    assert.deepEqual(
      [redirect?.client, redirect?.msg.body],
      [2, { term: 1, client: 2, timestamp: 1, leader: 2 }],
    );
    assert.equal(ofType(outs, 'ignored')[0]?.reason, 'not-leader-redirected');
    assert.equal(h.replica.lastIndex, 0);
  });
});

describe('CFT leader', () => {
  test('rule: adaptive batching — propose at once when idle, then only full batches within maxInflight', () => {
    const h = makeCftReplica(c, 0); // maxBatch 4, maxInflight 2
    elect(c, h); // the no-op at 1 is in flight
    assert.equal(appended(submit(c, h, request(c, 0, 1))).length, 0, 'waits while the no-op is in flight');
    deliver(c, h, 1, 'append-ack', { term: 1, success: true, index: 1 });
    assert.equal(h.replica.commitIndex, 1);
    assert.equal(h.replica.lastIndex, 2, 'proposed on commit');
    submit(c, h, request(c, 1, 1));
    submit(c, h, request(c, 2, 1));
    assert.equal(h.replica.lastIndex, 2, 'not full: waits');
    const out = [request(c, 0, 2), request(c, 1, 2)].flatMap((r) => submit(c, h, r));
    assert.equal(h.replica.lastIndex, 2, 'three clients wait: still not a full batch');
    assert.equal(appended(out).length, 0);
  });

  test('rule: an entry is committed at a majority, applied, and its client answered by the leader', () => {
    const h = makeCftReplica(c5, 0);
    elect(c5, h);
    deliver(c5, h, 1, 'append-ack', { term: 1, success: true, index: 1 });
    deliver(c5, h, 2, 'append-ack', { term: 1, success: true, index: 1 });
    const proposed = submit(c5, h, request(c5, 0, 1, 'client-1', 5n));
    const [ae] = sent(proposed, 'append-entries');
    assert.deepEqual([ae?.body.prevIndex, ae?.body.entries.length], [1, 1]);
    const one = deliver(c5, h, 3, 'append-ack', { term: 1, success: true, index: 2 });
    assert.equal(ofType(one, 'executed').length, 0, 'leader + 1 of 5 is no majority');
    const outs = deliver(c5, h, 4, 'append-ack', { term: 1, success: true, index: 2 });
    assert.equal(h.replica.commitIndex, 2);
    assert.deepEqual(ofType(outs, 'executed')[0]?.applied, [true]);
    const [reply] = ofType(outs, 'reply');
    assert.deepEqual([reply?.client, reply?.msg.body.index, reply?.msg.body.timestamp], [0, 2, 1]);
    assert.equal(decodeResult(reply!.msg.body.result)?.code, ResultCode.ok);
  });

  test('rule: an entry of an older term is never committed by counting replicas, only with one of the current term', () => {
    const h = makeCftReplica(c, 0);
    // Replica 0 holds an entry of term 1 that no majority acknowledged, then wins term 2.
    deliver(c, h, 1, 'append-entries', {
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      leaderCommit: 0,
      entries: wire([{ term: 1 }]),
    });
    elect(c, h);
    assert.equal(h.replica.term, 2);
    assert.equal(h.replica.lastIndex, 2, 'its no-op of term 2 follows');
    const old = deliver(c, h, 2, 'append-ack', { term: 2, success: true, index: 1 });
    assert.equal(h.replica.commitIndex, 0, 'index 1 (term 1) is on a majority but not committed');
    assert.equal(ofType(old, 'executed').length, 0);
    const outs = deliver(c, h, 2, 'append-ack', { term: 2, success: true, index: 2 });
    assert.equal(h.replica.commitIndex, 2);
    assert.deepEqual(
      ofType(outs, 'executed').map((e) => [e.index, e.term]),
      [
        [1, 1],
        [2, 2],
      ],
    );
  });

  test('rule: a refusal moves the follower back to its hint, and the leader resends from there', () => {
    const h = makeCftReplica(c, 0);
    elect(c, h);
    deliver(c, h, 1, 'append-ack', { term: 1, success: true, index: 1 });
    submit(c, h, request(c, 0, 1));
    const outs = deliver(c, h, 2, 'append-ack', { term: 1, success: false, index: 0 });
    const [ae] = sent(outs, 'append-entries');
    assert.deepEqual([ae?.to, ae?.body.prevIndex, ae?.body.entries.length], [2, 0, 2]);
    const stale = deliver(c, h, 2, 'append-ack', { term: 1, success: false, index: 2 });
    assert.equal(sent(stale, 'append-entries').length, 0, 'a hint at or past the next index sends nothing');
  });

  test('rule: exactly once — a retry after execution gets the cached reply; a request in the log is not appended again', () => {
    const h = makeCftReplica(c, 0);
    elect(c, h);
    deliver(c, h, 1, 'append-ack', { term: 1, success: true, index: 1 });
    const req = request(c, 1, 1);
    submit(c, h, req);
    const dup = submit(c, h, req);
    assert.equal(ofType(dup, 'ignored')[0]?.reason, 'duplicate');
    assert.equal(h.replica.lastIndex, 2);
    deliver(c, h, 1, 'append-ack', { term: 1, success: true, index: 2 });
    const balance = h.sm.ledger.balance('client-1');
    const retry = submit(c, h, req);
    assert.equal(ofType(retry, 'ignored')[0]?.reason, 'already-executed');
    assert.equal(ofType(retry, 'reply')[0]?.msg.body.index, 2, 'answered from the reply cache');
    assert.equal(h.sm.ledger.balance('client-1'), balance, 'not executed again');
    assert.equal(h.replica.lastIndex, 2);
    const stale = submit(c, h, request(c, 1, 0));
    assert.equal(ofType(stale, 'ignored')[0]?.reason, 'stale-request');
  });

  test('rule: a request that sits in two entries is executed once (the ledger refuses the second)', () => {
    const h = makeCftReplica(c, 1);
    const req = request(c, 2, 1);
    const outs = deliver(c, h, 0, 'append-entries', {
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      leaderCommit: 2,
      entries: wire([
        { term: 1, requests: [req] },
        { term: 1, requests: [req] },
      ]),
    });
    assert.deepEqual(
      ofType(outs, 'executed').map((e) => e.applied),
      [[true], [false]],
    );
    assert.equal(ofType(outs, 'reply').length, 0, 'followers do not answer clients');
  });

  test('rule: the leader sends new entries only to followers not already sent them (optimistic next index)', () => {
    const h = makeCftReplica(c, 0, { maxInflight: 4, maxBatch: 1 });
    elect(c, h);
    const outs = [request(c, 0, 1), request(c, 1, 1)].flatMap((r) => submit(c, h, r));
    const aes = sent(outs, 'append-entries');
    assert.deepEqual(
      aes.map((m) => [m.to, m.body.prevIndex, m.body.entries.length]),
      [
        [1, 1, 1],
        [2, 1, 1],
        [1, 2, 1],
        [2, 2, 1],
      ],
    );
    const beat = sent(tick(h, h.config.heartbeatTicks), 'append-entries');
    assert.deepEqual(
      beat.map((m) => [m.body.prevIndex, m.body.entries.length]),
      [
        [3, 0],
        [3, 0],
      ],
    );
  });
});
