/**
 * Step tests of checkpoints, log truncation, retransmission and catching up (log fetch and
 * snapshot transfer against a checkpoint certificate). Each test names the rule it checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PbftReplica } from '../../src/core/pbft/replica.js';
import type { Output } from '../../src/core/pbft/types.js';
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

/** Feeds replica 1 everything it needs to commit `pp` (replica 2's prepare, commits of 0 and 2). */
function agree(replica: PbftReplica, pp: Message<'pre-prepare'>): Output[] {
  const { view, seq, digest } = pp.body;
  const outs = deliver(c, replica, pp);
  outs.push(...deliver(c, replica, asReplica(c, 2, 'prepare', { view, seq, digest })));
  outs.push(...deliver(c, replica, asReplica(c, 0, 'commit', { view, seq, digest })));
  outs.push(...deliver(c, replica, asReplica(c, 2, 'commit', { view, seq, digest })));
  return outs;
}

/** Replica 1 after committing seqs 1..k (K = 4), one transfer each. */
function runTo(k: number) {
  const r = makeReplica(c, 1);
  const pps: Message<'pre-prepare'>[] = [];
  const outs: Output[] = [];
  for (let seq = 1; seq <= k; seq++) {
    const pp = prePrepare(c, 0, seq, [request(c, 2, seq, 'client-0', 1n)]);
    pps.push(pp);
    outs.push(...agree(r.replica, pp));
  }
  return { ...r, pps, outs };
}

describe('PBFT checkpoints and catching up', () => {
  test('rule: every K sequence numbers a replica signs a CHECKPOINT of the ledger digest', () => {
    const { outs, sm } = runTo(4);
    const cps = sent(outs, 'checkpoint');
    assert.equal(cps.length, 1);
    assert.equal(cps[0]!.body.seq, 4);
    assert.deepEqual(cps[0]!.body.stateDigest, sm.digest());
  });

  test('rule: a quorum of matching CHECKPOINTs makes it stable: h advances and the log below is discarded', () => {
    const { replica, sm } = runTo(4);
    const stateDigest = sm.digest();
    const wrong = deliver(
      c,
      replica,
      asReplica(c, 0, 'checkpoint', { seq: 4, stateDigest: new Uint8Array(32) }),
    );
    assert.equal(ofType(wrong, 'stable').length, 0, 'a non-matching digest does not count');
    assert.equal(
      ofType(deliver(c, replica, asReplica(c, 2, 'checkpoint', { seq: 4, stateDigest })), 'stable').length,
      0,
    );
    const outs = deliver(c, replica, asReplica(c, 3, 'checkpoint', { seq: 4, stateDigest }));
    assert.deepEqual(
      ofType(outs, 'stable').map((s) => s.seq),
      [4],
    );
    const persisted = ofType(outs, 'persist').find((p) => p.record.type === 'stable-checkpoint');
    assert.ok(persisted, 'the stable checkpoint and its snapshot are persisted');
    assert.equal(replica.lowWatermark, 4);
    replica.assertInvariants();
    const old = deliver(
      c,
      replica,
      asReplica(c, 2, 'prepare', { view: 0, seq: 3, digest: new Uint8Array(32) }),
    );
    assert.equal(ofType(old, 'ignored')[0]?.reason, 'outside-window');
    // The window moved: seq 12 = h + L is now acceptable.
    assert.equal(sent(deliver(c, replica, prePrepare(c, 0, 12, [request(c, 1, 1)])), 'prepare').length, 1);
  });

  test('rule: a replica resends its own votes for an open slot after retransmitTicks, byte for byte', () => {
    const { replica } = makeReplica(c, 1, { retransmitTicks: 5 });
    const prepare = sent(deliver(c, replica, prePrepare(c, 0, 1, [request(c, 1, 1)])), 'prepare')[0]!;
    assert.equal(sent(tick(replica, 4), 'prepare').length, 0);
    const again = sent(tick(replica, 1), 'prepare');
    assert.equal(again.length, 1);
    assert.deepEqual(again[0]!.bytes, prepare.bytes, 'same signed bytes, never re-signed');
  });

  test('rule: a replica that knows of later slots and makes no progress fetches the log; a peer relays the certificate', () => {
    const ahead = runTo(2);
    const { replica: behind } = makeReplica(c, 3, { fetchTicks: 10 });
    // `behind` only ever saw a commit for seq 2: it knows it is behind.
    deliver(c, behind, asReplica(c, 2, 'commit', { view: 0, seq: 2, digest: ahead.pps[1]!.body.digest }));
    const fetches = sent(tick(behind, 10), 'fetch-state');
    assert.equal(fetches.length, 1);
    assert.deepEqual([fetches[0]!.body.seq, fetches[0]!.body.what], [1, 0]);
    // The peer that executed relays pre-prepares and votes; `behind` executes both slots in order.
    const relayed = ofType(deliver(c, ahead.replica, fetches[0]!), 'send').map((s) => s.msg);
    assert.ok(relayed.length >= 8);
    const executed = relayed.flatMap((m) => ofType(deliver(c, behind, m), 'executed').map((e) => e.seq));
    assert.deepEqual(executed, [1, 2]);
    behind.assertInvariants();
  });

  test('rule: a replica behind a certified checkpoint fetches the snapshot and verifies it against the certificate; a lying peer is skipped', () => {
    const ahead = runTo(4);
    const stateDigest = ahead.sm.digest();
    const { replica: behind, sm } = makeReplica(c, 3, { fetchTicks: 10 });
    const cert = [0, 1, 2].map((id) => asReplica(c, id, 'checkpoint', { seq: 4, stateDigest }));
    let outs: Output[] = [];
    for (const cp of cert) outs = deliver(c, behind, cp);
    const ask = sent(outs, 'fetch-state')[0]!;
    assert.deepEqual([ask.body.seq, ask.body.what], [4, 1]);
    const liar = ofType(outs, 'send')[0]!.to;
    // The first peer asked lies: its chunk is a snapshot of another state.
    const lie = asReplica(c, liar, 'state-chunk', {
      seq: 4,
      what: 1,
      part: 0,
      parts: 1,
      data: sm.snapshot(),
    });
    const afterLie = deliver(c, behind, lie);
    assert.deepEqual(
      ofType(afterLie, 'bad-peer').map((b) => b.peer),
      [liar],
    );
    const next = ofType(afterLie, 'send').find((s) => s.msg.kind === 'fetch-state')!;
    assert.notEqual(next.to, liar, 'the next request goes to another peer');
    const truth = asReplica(c, next.to, 'state-chunk', {
      seq: 4,
      what: 1,
      part: 0,
      parts: 1,
      data: ahead.sm.snapshot(),
    });
    const done = deliver(c, behind, truth);
    assert.deepEqual(
      ofType(done, 'state-transferred').map((s) => s.seq),
      [4],
    );
    assert.equal(behind.lastExecuted, 4);
    assert.equal(behind.lowWatermark, 4);
    assert.deepEqual(sm.digest(), stateDigest);
    behind.assertInvariants();
  });

  test('rule: a peer serves its stable snapshot in chunks and the certificate to a replica behind it', () => {
    const ahead = runTo(4);
    const stateDigest = ahead.sm.digest();
    for (const id of [2, 3])
      deliver(c, ahead.replica, asReplica(c, id, 'checkpoint', { seq: 4, stateDigest }));
    assert.equal(ahead.replica.lowWatermark, 4);
    const ask = asReplica(c, 3, 'fetch-state', { seq: 1, what: 0, part: 0 });
    const proof = sent(deliver(c, ahead.replica, ask), 'checkpoint');
    assert.equal(proof.length, 3, 'the 2f+1 checkpoint certificate');
    const chunk = sent(
      deliver(c, ahead.replica, asReplica(c, 3, 'fetch-state', { seq: 4, what: 1, part: 0 })),
      'state-chunk',
    );
    assert.equal(chunk.length, 1);
    assert.deepEqual(chunk[0]!.body.data, ahead.sm.snapshot());
  });
});
