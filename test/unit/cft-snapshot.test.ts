/**
 * Step tests of the crash-fault core's log compaction, snapshot installation and restart from
 * disk: one replica, inputs in, outputs asserted (Raft section 7, and the persisted state of 5.1).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CftSnapshot } from '../../src/core/cft/types.js';
import { toHex } from '../../src/crypto/hex.js';
import {
  deliver,
  elect,
  type Harness,
  indexOf,
  makeCftCluster,
  makeCftReplica,
  ofType,
  request,
  sent,
  submit,
  wire,
} from '../support/cft-cluster.js';

const c = makeCftCluster(3);

/** Leader 0 with requests committed (acknowledged by replica 1) until it took a snapshot. */
function leaderWithSnapshot(chunkBytes = 64): { h: Harness; snap: CftSnapshot } {
  const h = makeCftReplica(c, 0, { maxBatch: 1, chunkBytes });
  elect(c, h);
  let snap: CftSnapshot | undefined;
  for (let ts = 1; snap === undefined && ts < 20; ts++) {
    const outs = [
      ...submit(c, h, request(c, ts % 3, ts)),
      ...deliver(c, h, 1, 'append-ack', { term: h.replica.term, success: true, index: h.replica.lastIndex }),
    ];
    for (const o of outs) if (o.type === 'persist' && o.record.type === 'snapshot') snap = o.record.snapshot;
  }
  assert.ok(snap !== undefined);
  return { h, snap };
}

/** The install-snapshot chunks the leader sends replica 2 once it learns replica 2 has nothing. */
function chunksFor(h: Harness) {
  const outs = deliver(c, h, 2, 'append-ack', { term: h.replica.term, success: false, index: 0 });
  return sent(outs, 'install-snapshot');
}

describe('CFT snapshots', () => {
  test('rule: the log is compacted to a ledger snapshot every snapshotInterval applied entries', () => {
    const { h, snap } = leaderWithSnapshot();
    assert.equal(snap.index, h.config.snapshotInterval);
    assert.equal(h.replica.snapshotIndex, snap.index);
    assert.equal(h.replica.logLength, h.replica.lastIndex - snap.index);
    assert.equal(snap.term, 1);
    assert.equal(toHex(snap.stateDigest), toHex(h.sm.digest()), 'taken right after applying its index');
  });

  test('rule: a follower behind the snapshot gets it in chunks, at most once per min election timeout', () => {
    const { h, snap } = leaderWithSnapshot(64);
    const chunks = chunksFor(h);
    const parts = Math.ceil(snap.snapshot.length / 64);
    assert.ok(parts > 1, 'the test snapshot spans several chunks');
    assert.equal(chunks.length, parts);
    assert.deepEqual(
      chunks.map((m) => [m.to, m.body.lastIncludedIndex, m.body.part, m.body.parts]),
      Array.from({ length: parts }, (_, i) => [2, snap.index, i, parts]),
    );
    const again = deliver(c, h, 2, 'append-ack', { term: h.replica.term, success: false, index: 0 });
    assert.equal(sent(again, 'install-snapshot').length, 0, 'not resent at once');
  });

  test('rule: a follower installs the snapshot with restore(snapshot, digest), durably, and acknowledges it', () => {
    const { h: leader, snap } = leaderWithSnapshot(64);
    submit(c, leader, request(c, 0, 99));
    assert.equal(leader.replica.lastIndex, snap.index + 1, 'one entry follows the snapshot');
    const chunks = chunksFor(leader);
    const f = makeCftReplica(c, 2);
    deliver(c, f, 0, 'append-entries', {
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      leaderCommit: 0,
      entries: wire([{ term: 1 }, { term: 1 }]),
    });
    let outs: ReturnType<typeof deliver> = [];
    for (const m of [...chunks].reverse()) outs = deliver(c, f, 0, 'install-snapshot', m.body);
    assert.deepEqual(ofType(outs, 'snapshot-installed'), [
      { type: 'snapshot-installed', index: snap.index, stateDigest: snap.stateDigest },
    ]);
    assert.equal(toHex(f.sm.digest()), toHex(snap.stateDigest));
    assert.deepEqual(
      [f.replica.lastApplied, f.replica.commitIndex, f.replica.snapshotIndex],
      [snap.index, snap.index, snap.index],
    );
    const records = ofType(outs, 'persist').map((p) => p.record.type);
    assert.deepEqual(
      records,
      ['truncate', 'snapshot', 'hard-state'],
      'its own log (index 2 only) is dropped',
    );
    assert.ok(indexOf(outs, (o) => o.type === 'persist') < indexOf(outs, (o) => o.type === 'send'));
    assert.deepEqual(sent(outs, 'append-ack')[0]?.body, { term: 1, success: true, index: snap.index });
    // The leader then sends what follows the snapshot.
    const next = deliver(c, leader, 2, 'append-ack', { term: 1, success: true, index: snap.index });
    assert.equal(sent(next, 'append-entries')[0]?.body.prevIndex, snap.index);
  });

  test('rule: snapshot bytes that do not match the digest are refused and change nothing', () => {
    const { h: leader } = leaderWithSnapshot(1 << 20);
    const [chunk] = chunksFor(leader);
    assert.ok(chunk !== undefined);
    const f = makeCftReplica(c, 2);
    const before = toHex(f.sm.digest());
    const data = Uint8Array.from(chunk.body.data);
    data[data.length - 1]! ^= 1;
    const outs = deliver(c, f, 0, 'install-snapshot', { ...chunk.body, data });
    assert.equal(ofType(outs, 'ignored')[0]?.reason, 'bad-snapshot');
    assert.equal(toHex(f.sm.digest()), before);
    assert.equal(f.replica.lastApplied, 0);
    assert.equal(sent(outs, 'append-ack').length, 0);
  });

  test('rule: a restart resumes from disk alone: term and vote, the snapshot, and the log applied up to the commit', () => {
    const { h, snap } = leaderWithSnapshot();
    const commit = h.replica.commitIndex;
    const last = h.replica.lastIndex;
    const digest = toHex(h.sm.digest());
    h.restart();
    assert.deepEqual(
      [h.replica.term, h.replica.role, h.replica.snapshotIndex, h.replica.lastIndex],
      [1, 'follower', snap.index, last],
    );
    assert.equal(h.replica.lastApplied, commit, 'applied again up to the persisted commit');
    assert.equal(toHex(h.sm.digest()), digest);
    const vote = deliver(c, h, 2, 'request-vote', { term: 1, lastIndex: 99, lastTerm: 1 });
    assert.equal(sent(vote, 'vote')[0]?.body.granted, false, 'it voted for itself in term 1');
  });
});
