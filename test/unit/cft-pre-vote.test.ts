/**
 * Step tests of the crash-fault core's pre-vote (Ongaro's thesis, section 9.6; etcd's raft PreVote):
 * one replica, inputs in, outputs asserted. A replica whose election timeout fires asks for
 * pre-votes for term + 1 without changing its term or vote; peers grant one only to an up-to-date
 * log when no live leader holds them; only a majority of them starts the real election.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CftOutput } from '../../src/core/cft/types.js';
import {
  deliver,
  elect,
  type Harness,
  makeCftCluster,
  makeCftReplica,
  ofType,
  sent,
  tick,
  tickToElection,
  tickToTimeout,
  wire,
} from '../support/cft-cluster.js';

const c = makeCftCluster(3);
const c5 = makeCftCluster(5);

/** The persist records among `outs`. */
const persists = (outs: CftOutput[]) => outs.filter((o) => o.type === 'persist');

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

/** Ticks until `h` asks for pre-votes (at most 100 ticks); how many ticks that took. */
function ticksToPreVote(h: Harness): number {
  for (let t = 1; t <= 100; t++) {
    if (h.step({ type: 'tick' }).some((o) => o.type === 'pre-vote-started')) return t;
  }
  return assert.fail('no pre-vote within 100 ticks');
}

describe('CFT pre-vote', () => {
  test('rule: when its election timeout fires, a replica asks for pre-votes for term + 1 and changes nothing of its own', () => {
    const h = makeCftReplica(c, 1);
    deliver(c, h, 0, 'append-entries', {
      term: 2,
      prevIndex: 0,
      prevTerm: 0,
      leaderCommit: 0,
      entries: wire([{ term: 1 }, { term: 2 }]),
    });
    const outs = tickToTimeout(h);
    assert.deepEqual(ofType(outs, 'pre-vote-started'), [{ type: 'pre-vote-started', term: 3 }]);
    const [pv] = sent(outs, 'pre-vote');
    assert.deepEqual([pv?.to, pv?.body], [-1, { term: 3, lastIndex: 2, lastTerm: 2 }], 'broadcast');
    assert.equal(h.replica.term, 2, 'the term is not raised');
    assert.equal(h.replica.role, 'follower');
    assert.deepEqual(persists(outs), [], 'nothing to persist');
    assert.equal(ofType(outs, 'election-started').length + ofType(outs, 'term-changed').length, 0);
    const disk = h.store.loadSync();
    assert.deepEqual([disk.term, disk.votedFor], [2, undefined], 'no vote cast');
  });

  test('rule: only a majority of pre-votes (its own included) starts the election; refusals and repeats do not count', () => {
    const h = makeCftReplica(c5, 3);
    deliver(c5, h, 0, 'request-vote', { term: 1, lastIndex: 0, lastTerm: 0 });
    tickToTimeout(h);
    deliver(c5, h, 0, 'pre-vote-reply', { term: 2, granted: true });
    deliver(c5, h, 0, 'pre-vote-reply', { term: 2, granted: true });
    const refused = deliver(c5, h, 1, 'pre-vote-reply', { term: 1, granted: false });
    assert.deepEqual(refused, [], 'a refusal of its own term changes nothing');
    assert.deepEqual([h.replica.term, h.replica.role], [1, 'follower'], 'two of five, whatever the repeats');
    const outs = deliver(c5, h, 4, 'pre-vote-reply', { term: 2, granted: true });
    assert.deepEqual([h.replica.term, h.replica.role], [2, 'candidate']);
    assert.deepEqual(ofType(outs, 'election-started'), [{ type: 'election-started', term: 2 }]);
    assert.deepEqual(sent(outs, 'request-vote')[0]?.body, { term: 2, lastIndex: 0, lastTerm: 0 });
    const disk = h.store.loadSync();
    assert.deepEqual([disk.term, disk.votedFor], [2, 3], 'the real vote for itself is durable');
  });

  test('rule: a pre-vote is granted to an up-to-date log when no leader holds the replica; term, vote and timer stay', () => {
    let early = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const granter = makeCftReplica(c, 0, {}, seed);
      const twin = makeCftReplica(c, 0, {}, seed);
      tick(granter, 2);
      tick(twin, 2);
      const outs = deliver(c, granter, 1, 'pre-vote', { term: 1, lastIndex: 0, lastTerm: 0 });
      const [reply] = sent(outs, 'pre-vote-reply');
      assert.deepEqual([reply?.to, reply?.body], [1, { term: 1, granted: true }]);
      assert.deepEqual(outs.length, 1, 'only the reply: no persist, no term change');
      assert.equal(granter.replica.term, 0);
      // The granter's election timer runs on as its twin's, which granted nothing.
      const left = ticksToPreVote(twin);
      assert.equal(ticksToPreVote(granter), left, `seed ${seed}`);
      if (left < granter.config.electionTimeoutMinTicks) early++;
    }
    assert.ok(early > 0, 'some timer fires sooner than a restarted one could');
  });

  test('rule: a pre-vote is refused while a live leader holds the replica (heard within a minimum election timeout)', () => {
    const h = makeCftReplica(c, 1, { electionTimeoutMinTicks: 6, electionTimeoutMaxTicks: 12 });
    heartbeat(h, 0, 1);
    const ask = () => deliver(c, h, 2, 'pre-vote', { term: 2, lastIndex: 0, lastTerm: 0 });
    tick(h, 5);
    const refused = ask();
    assert.deepEqual(sent(refused, 'pre-vote-reply')[0]?.body, { term: 1, granted: false });
    assert.equal(ofType(refused, 'ignored')[0]?.reason, 'leader-lease');
    tick(h, 1);
    assert.deepEqual(sent(ask(), 'pre-vote-reply')[0]?.body, { term: 2, granted: true }, 'the lease ran out');
    heartbeat(h, 0, 1);
    assert.deepEqual(sent(ask(), 'pre-vote-reply')[0]?.body.granted, false, 'the leader is back');
    assert.equal(h.replica.term, 1);
  });

  test('rule: a pre-vote is refused to a less up-to-date log, a stale term, or in a term voted for another', () => {
    const h = makeCftReplica(c, 0, { electionTimeoutMinTicks: 3, electionTimeoutMaxTicks: 4 });
    deliver(c, h, 1, 'append-entries', {
      term: 2,
      prevIndex: 0,
      prevTerm: 0,
      leaderCommit: 0,
      entries: wire([{ term: 1 }, { term: 2 }]),
    });
    tick(h, 3); // the leader's lease is over
    const pv = (from: number, term: number, lastIndex: number, lastTerm: number) =>
      deliver(c, h, from, 'pre-vote', { term, lastIndex, lastTerm });
    const stale = pv(2, 3, 9, 1);
    assert.deepEqual(sent(stale, 'pre-vote-reply')[0]?.body, { term: 2, granted: false });
    assert.equal(ofType(stale, 'ignored')[0]?.reason, 'stale-log');
    assert.equal(sent(pv(2, 3, 2, 2), 'pre-vote-reply')[0]?.body.granted, true, 'as up to date');
    deliver(c, h, 1, 'request-vote', { term: 5, lastIndex: 2, lastTerm: 2 });
    const old = pv(2, 4, 2, 2);
    assert.deepEqual(sent(old, 'pre-vote-reply')[0]?.body, { term: 5, granted: false }, 'tells its term');
    assert.equal(ofType(old, 'ignored')[0]?.reason, 'stale-term');
    const other = pv(2, 5, 2, 2);
    assert.equal(ofType(other, 'ignored')[0]?.reason, 'already-voted');
    assert.equal(sent(pv(1, 5, 2, 2), 'pre-vote-reply')[0]?.body.granted, true, 'its own candidate');
    assert.equal(sent(pv(2, 6, 2, 2), 'pre-vote-reply')[0]?.body.granted, true, 'the next term');
    assert.deepEqual([h.replica.term, h.store.loadSync().votedFor], [5, 1]);
  });

  test('rule: a leader refuses pre-votes, whatever its check-quorum setting', () => {
    for (const checkQuorum of [true, false]) {
      const h = makeCftReplica(c, 0, { checkQuorum });
      elect(c, h);
      const outs = deliver(c, h, 1, 'pre-vote', { term: 2, lastIndex: 1, lastTerm: 1 });
      assert.deepEqual(sent(outs, 'pre-vote-reply')[0]?.body, { term: 1, granted: false });
      assert.equal(ofType(outs, 'ignored')[0]?.reason, 'leader-lease');
      assert.equal(h.replica.role, 'leader');
    }
  });

  test('rule: a refusal of a higher term moves the pre-candidate to that term, and ends its campaign', () => {
    const h = makeCftReplica(c, 1);
    tickToTimeout(h);
    const outs = deliver(c, h, 0, 'pre-vote-reply', { term: 4, granted: false });
    assert.deepEqual(ofType(outs, 'term-changed'), [{ type: 'term-changed', term: 4 }]);
    assert.deepEqual([h.replica.term, h.replica.role], [4, 'follower']);
    const late = deliver(c, h, 2, 'pre-vote-reply', { term: 1, granted: true });
    assert.equal(ofType(late, 'ignored')[0]?.reason, 'stale-term');
    const unasked = deliver(c, h, 2, 'pre-vote-reply', { term: 5, granted: true });
    assert.equal(ofType(unasked, 'ignored')[0]?.reason, 'not-candidate');
    assert.deepEqual([h.replica.term, h.replica.role], [4, 'follower'], 'no election without asking');
  });

  test('rule: a pre-candidate that hears from the leader of its term stops asking', () => {
    const h = makeCftReplica(c, 1);
    heartbeat(h, 0, 1);
    tickToTimeout(h);
    heartbeat(h, 0, 1);
    const outs = deliver(c, h, 2, 'pre-vote-reply', { term: 2, granted: true });
    assert.equal(ofType(outs, 'ignored')[0]?.reason, 'not-candidate');
    assert.deepEqual([h.replica.term, h.replica.role, h.replica.leader], [1, 'follower', 0]);
  });

  test('rule: each timeout without a majority asks again for the same term', () => {
    const h = makeCftReplica(c, 1);
    const first = tickToTimeout(h);
    const second = tickToTimeout(h);
    assert.deepEqual(ofType(first, 'pre-vote-started'), [{ type: 'pre-vote-started', term: 1 }]);
    assert.deepEqual(ofType(second, 'pre-vote-started'), [{ type: 'pre-vote-started', term: 1 }]);
    assert.equal(sent(second, 'pre-vote').length, 1);
    assert.equal(h.replica.term, 0);
  });

  test('rule: a candidate whose election times out asks for pre-votes again, keeping its term and vote', () => {
    const h = makeCftReplica(c, 1);
    tickToElection(c, h);
    assert.deepEqual([h.replica.term, h.replica.role], [1, 'candidate']);
    const outs = tickToTimeout(h);
    assert.deepEqual(ofType(outs, 'pre-vote-started'), [{ type: 'pre-vote-started', term: 2 }]);
    assert.deepEqual([h.replica.term, h.replica.role], [1, 'follower']);
    assert.deepEqual(persists(outs), []);
    const late = deliver(c, h, 0, 'vote', { term: 1, granted: true });
    assert.equal(ofType(late, 'ignored')[0]?.reason, 'not-candidate', 'the old election is over');
    const disk = h.store.loadSync();
    assert.deepEqual([disk.term, disk.votedFor], [1, 1]);
  });

  test('rule: with pre-vote off, the timeout starts the election at once, and pre-votes are still answered', () => {
    const h = makeCftReplica(c, 1, { preVote: false });
    const outs = tickToTimeout(h);
    assert.deepEqual(ofType(outs, 'election-started'), [{ type: 'election-started', term: 1 }]);
    assert.equal(ofType(outs, 'pre-vote-started').length, 0);
    const other = makeCftReplica(c, 0, { preVote: false });
    const reply = deliver(c, other, 2, 'pre-vote', { term: 1, lastIndex: 0, lastTerm: 0 });
    assert.deepEqual(sent(reply, 'pre-vote-reply')[0]?.body, { term: 1, granted: true });
  });
});
