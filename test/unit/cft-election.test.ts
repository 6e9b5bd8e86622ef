/**
 * Step tests of the crash-fault core's terms and elections: one replica, inputs in, outputs
 * asserted. Each test names the rule it checks (Raft, Ongaro & Ousterhout 2014, section 5.2, 5.4.1).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { majority } from '../../src/core/cft/index.js';
import {
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
  tickToElection,
  wire,
} from '../support/cft-cluster.js';

const c = makeCftCluster(3);
const c5 = makeCftCluster(5);

describe('CFT elections', () => {
  test('rule: a majority is floor(n / 2) + 1', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 7].map(majority), [1, 2, 2, 3, 3, 4]);
  });

  test('rule: a follower that hears no leader within its randomized timeout stands in the next term', () => {
    const waits = new Set<number>();
    for (let seed = 1; seed <= 30; seed++) {
      const h = makeCftReplica(c, 1, {}, seed);
      let t = 0;
      while (h.replica.role === 'follower') {
        h.step({ type: 'tick' });
        t++;
      }
      assert.ok(
        t >= h.config.electionTimeoutMinTicks && t <= h.config.electionTimeoutMaxTicks,
        `waited ${t}`,
      );
      assert.equal(h.replica.term, 1);
      waits.add(t);
    }
    assert.ok(waits.size > 1, 'the timeout is randomized');
  });

  test('rule: a candidate votes for itself durably before asking for votes with its last log position', () => {
    const h = makeCftReplica(c, 1);
    const outs = tickToElection(h);
    assert.equal(h.replica.role, 'candidate');
    assert.equal(h.replica.term, 1);
    const [rv] = sent(outs, 'request-vote');
    assert.deepEqual(rv?.body, { term: 1, lastIndex: 0, lastTerm: 0 });
    assert.equal(rv?.to, -1, 'broadcast');
    const hard = indexOf(
      outs,
      (o) => o.type === 'persist' && o.record.type === 'hard-state' && o.record.votedFor === 1,
    );
    assert.ok(hard >= 0 && hard < indexOf(outs, (o) => o.type === 'broadcast'), 'persist precedes send');
  });

  test('rule: a vote is granted to an up-to-date candidate, persisted before the vote is sent', () => {
    const h = makeCftReplica(c, 0);
    const outs = deliver(c, h, 2, 'request-vote', { term: 3, lastIndex: 0, lastTerm: 0 });
    assert.equal(h.replica.term, 3);
    const [vote] = sent(outs, 'vote');
    assert.deepEqual([vote?.to, vote?.body], [2, { term: 3, granted: true }]);
    const hard = indexOf(outs, (o) => o.type === 'persist' && o.record.type === 'hard-state');
    const rec = outs[hard];
    assert.ok(rec?.type === 'persist' && rec.record.type === 'hard-state');
    assert.deepEqual([rec.record.term, rec.record.votedFor], [3, 2]);
    assert.ok(hard < indexOf(outs, (o) => o.type === 'send'), 'persist precedes send');
  });

  test('rule: one vote per term — a second candidate in the same term is refused, also after a restart', () => {
    const h = makeCftReplica(c, 0);
    deliver(c, h, 1, 'request-vote', { term: 2, lastIndex: 0, lastTerm: 0 });
    const again = deliver(c, h, 2, 'request-vote', { term: 2, lastIndex: 5, lastTerm: 1 });
    assert.deepEqual(sent(again, 'vote')[0]?.body, { term: 2, granted: false });
    assert.equal(ofType(again, 'ignored')[0]?.reason, 'already-voted');
    h.restart();
    const afterCrash = deliver(c, h, 2, 'request-vote', { term: 2, lastIndex: 5, lastTerm: 1 });
    assert.deepEqual(sent(afterCrash, 'vote')[0]?.body, { term: 2, granted: false }, 'the vote is durable');
    const same = deliver(c, h, 1, 'request-vote', { term: 2, lastIndex: 0, lastTerm: 0 });
    assert.deepEqual(
      sent(same, 'vote')[0]?.body,
      { term: 2, granted: true },
      'the same candidate may ask again',
    );
  });

  test('rule: a vote is refused to a candidate whose log is less up to date (last term, then last index)', () => {
    const h = makeCftReplica(c, 0);
    deliver(c, h, 1, 'append-entries', {
      term: 2,
      prevIndex: 0,
      prevTerm: 0,
      leaderCommit: 0,
      entries: wire([{ term: 1 }, { term: 2 }, { term: 2 }]),
    });
    const cases: [number, number, boolean][] = [
      [9, 1, false], // lower last term, however long
      [2, 2, false], // same last term, shorter
      [3, 2, true], // same last term, as long
      [1, 3, true], // higher last term, however short
    ];
    let term = 3;
    for (const [lastIndex, lastTerm, granted] of cases) {
      const outs = deliver(c, h, 2, 'request-vote', { term, lastIndex, lastTerm });
      assert.equal(sent(outs, 'vote')[0]?.body.granted, granted, `(${lastIndex}, ${lastTerm})`);
      if (!granted) assert.equal(ofType(outs, 'ignored')[0]?.reason, 'stale-log');
      term++;
    }
  });

  test('rule: a candidate with a majority of votes leads, appends a no-op of its term and replicates it', () => {
    const h = makeCftReplica(c5, 3);
    tickToElection(h);
    const first = deliver(c5, h, 0, 'vote', { term: 1, granted: true });
    assert.equal(h.replica.role, 'candidate', 'two of five is no majority');
    deliver(c5, h, 1, 'vote', { term: 1, granted: false });
    assert.equal(h.replica.role, 'candidate', 'a refusal does not count');
    const outs = deliver(c5, h, 4, 'vote', { term: 1, granted: true });
    assert.equal(first.length, 0);
    assert.equal(h.replica.role, 'leader');
    assert.equal(h.replica.leader, 3);
    assert.deepEqual(ofType(outs, 'leader-elected')[0], { type: 'leader-elected', term: 1, leader: 3 });
    const aes = sent(outs, 'append-entries');
    assert.deepEqual(aes.map((m) => m.to).sort(), [0, 1, 2, 4]);
    assert.deepEqual(aes[0]?.body.entries, [{ term: 1, requests: [] }], 'the no-op of its term');
  });

  test('rule: a message of a higher term makes a leader step down to follower of that term', () => {
    const h = makeCftReplica(c, 0);
    elect(c, h);
    submit(c, h, request(c, 1, 1));
    const outs = deliver(c, h, 2, 'append-ack', { term: 4, success: false, index: 0 });
    assert.equal(h.replica.role, 'follower');
    assert.equal(h.replica.term, 4);
    assert.equal(h.replica.leader, undefined);
    assert.deepEqual(ofType(outs, 'term-changed'), [{ type: 'term-changed', term: 4 }]);
    const hard = outs.find((o) => o.type === 'persist' && o.record.type === 'hard-state');
    assert.ok(
      hard?.type === 'persist' && hard.record.type === 'hard-state' && hard.record.votedFor === undefined,
    );
  });

  test('rule: messages of a lower term are refused, and a stale leader learns the current term', () => {
    const h = makeCftReplica(c, 0);
    deliver(c, h, 1, 'request-vote', { term: 5, lastIndex: 0, lastTerm: 0 });
    const outs = deliver(c, h, 2, 'append-entries', {
      term: 4,
      prevIndex: 0,
      prevTerm: 0,
      leaderCommit: 0,
      entries: [],
    });
    assert.deepEqual(sent(outs, 'append-ack')[0]?.body, { term: 5, success: false, index: 0 });
    assert.equal(ofType(outs, 'ignored')[0]?.reason, 'stale-term');
    assert.equal(h.replica.leader, undefined, 'a stale leader is not followed');
    const vote = deliver(c, h, 2, 'vote', { term: 4, granted: true });
    assert.equal(ofType(vote, 'ignored')[0]?.reason, 'stale-term');
  });

  test('rule: an append-entries of the current term makes a candidate follow its sender', () => {
    const h = makeCftReplica(c, 0);
    tickToElection(h);
    const outs = deliver(c, h, 2, 'append-entries', {
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      leaderCommit: 0,
      entries: [],
    });
    assert.equal(h.replica.role, 'follower');
    assert.equal(h.replica.leader, 2);
    assert.deepEqual(ofType(outs, 'leader-elected'), [{ type: 'leader-elected', term: 1, leader: 2 }]);
  });

  test('rule: a leader sends a heartbeat to every follower every heartbeatTicks, and never stands', () => {
    const h = makeCftReplica(c, 0);
    elect(c, h);
    const outs = tick(h, 20);
    assert.equal(sent(outs, 'append-entries').length, 2 * (20 / h.config.heartbeatTicks));
    assert.equal(ofType(outs, 'election-started').length, 0);
  });
});
