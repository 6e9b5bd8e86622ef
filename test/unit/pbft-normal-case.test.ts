/**
 * Step tests of the PBFT core's normal case: one replica, inputs in, outputs asserted. Each test
 * names the protocol rule it checks (DESIGN section 4; Castro & Liskov 1999, section 4.2-4.3).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pbftConfig } from '../../src/core/pbft/index.js';
import { PbftReplica } from '../../src/core/pbft/replica.js';
import { maxFaulty, quorumSize } from '../../src/core/quorum.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { Signer } from '../../src/crypto/types.js';
import { decodeResult } from '../../src/ledger/index.js';
import { LedgerStateMachine } from '../../src/ledger/state-machine.js';
import { openFrame } from '../../src/messages/boundary.js';
import type { AnyMessage } from '../../src/messages/types.js';
import {
  asReplica,
  deliver,
  makeCluster,
  makeReplica,
  ofType,
  prePrepare,
  request,
  sent,
} from '../support/cluster.js';

const c = makeCluster(4);

/** Drives backup `id` through pre-prepare and the other backups' prepares and commits for one slot. */
function commitSlot(id: number, seq: number, reqs: ReturnType<typeof request>[], view = 0) {
  const { replica, sm } = makeReplica(c, id);
  const pp = prePrepare(c, view, seq, reqs);
  deliver(c, replica, pp);
  return { replica, sm, pp };
}

describe('PBFT normal case', () => {
  test('rule: quorum is 2f+1 for n = 3f+1 and ceil((n+f+1)/2) in general', () => {
    assert.equal(quorumSize(4, 1), 3);
    assert.equal(quorumSize(7, 2), 5);
    assert.equal(quorumSize(5, 1), 4);
    assert.equal(quorumSize(6, 1), 4);
    assert.equal(maxFaulty(4), 1);
    assert.equal(maxFaulty(10), 3);
  });

  test('rule: the primary of view v is v mod n and orders a request in a signed pre-prepare, persisted before sent', () => {
    const { replica } = makeReplica(c, 0);
    const outs = deliver(c, replica, request(c, 1, 1));
    const pps = sent(outs, 'pre-prepare');
    assert.equal(pps.length, 1);
    assert.deepEqual([pps[0]!.body.view, pps[0]!.body.seq, pps[0]!.body.requests.length], [0, 1, 1]);
    const persistAt = outs.findIndex((o) => o.type === 'persist' && o.record.type === 'signed');
    const sendAt = outs.findIndex((o) => o.type === 'broadcast');
    assert.ok(persistAt >= 0 && persistAt < sendAt, 'persist precedes broadcast');
  });

  test('rule: a backup accepts a pre-prepare of the current view inside the watermarks and prepares it', () => {
    const { replica } = makeReplica(c, 1);
    const outs = deliver(c, replica, prePrepare(c, 0, 1, [request(c, 1, 1)]));
    const prepares = sent(outs, 'prepare');
    assert.equal(prepares.length, 1);
    assert.equal(prepares[0]!.sender, 1);
    const persistAt = outs.findIndex((o) => o.type === 'persist');
    assert.ok(persistAt >= 0 && persistAt < outs.findIndex((o) => o.type === 'broadcast'));
  });

  test('rule: pre-prepares of another view or outside (h, h+L] are not accepted', () => {
    const { replica } = makeReplica(c, 1); // L = 8
    const wrongView = asReplica(c, 1, 'pre-prepare', { ...prePrepare(c, 1, 1, [request(c, 1, 1)]).body });
    assert.deepEqual(
      ofType(deliver(c, replica, wrongView), 'ignored').map((o) => o.reason),
      ['wrong-view'],
    );
    const beyond = deliver(c, replica, prePrepare(c, 0, 9, [request(c, 1, 2)]));
    assert.deepEqual(
      ofType(beyond, 'ignored').map((o) => o.reason),
      ['outside-window'],
    );
    assert.equal(sent(beyond, 'prepare').length, 0);
  });

  test('rule: a second pre-prepare for the same (view, seq) with another digest is ignored; the first stands', () => {
    const { replica } = makeReplica(c, 2);
    deliver(c, replica, prePrepare(c, 0, 1, [request(c, 1, 1)]));
    const outs = deliver(c, replica, prePrepare(c, 0, 1, [request(c, 2, 1)]));
    assert.deepEqual(
      ofType(outs, 'ignored').map((o) => o.reason),
      ['conflicting-pre-prepare'],
    );
    assert.equal(sent(outs, 'prepare').length, 0, 'never signs a second prepare for one slot');
  });

  test('rule: prepared needs 2f matching prepares from distinct backups (duplicates, the primary and other digests do not count)', () => {
    const { replica, pp } = commitSlot(1, 1, [request(c, 1, 1)]);
    const d = pp.body.digest;
    const other = new Uint8Array(32).fill(9);
    // A prepare from the primary, another digest, and a duplicate of replica 1's own: none counts.
    assert.equal(
      sent(deliver(c, replica, asReplica(c, 3, 'prepare', { view: 0, seq: 1, digest: other })), 'commit')
        .length,
      0,
    );
    const dup = deliver(c, replica, asReplica(c, 3, 'prepare', { view: 0, seq: 1, digest: d }));
    assert.equal(
      ofType(dup, 'ignored')[0]?.reason,
      'conflicting-vote',
      'replica 3 already voted another digest',
    );
    // Replica 2's matching prepare makes 2f = 2 with replica 1's own: prepared, so it commits.
    const outs = deliver(c, replica, asReplica(c, 2, 'prepare', { view: 0, seq: 1, digest: d }));
    assert.equal(sent(outs, 'commit').length, 1);
    const again = deliver(c, replica, asReplica(c, 2, 'prepare', { view: 0, seq: 1, digest: d }));
    assert.equal(ofType(again, 'ignored')[0]?.reason, 'duplicate');
    assert.equal(sent(again, 'commit').length, 0, 'one commit per slot');
  });

  test('rule: a vote counts once per replica id, never per message', () => {
    const { replica, pp } = commitSlot(1, 1, [request(c, 1, 1)]);
    const d = pp.body.digest;
    deliver(c, replica, asReplica(c, 2, 'prepare', { view: 0, seq: 1, digest: d }));
    const commit2 = asReplica(c, 2, 'commit', { view: 0, seq: 1, digest: d });
    // Replica 1's own commit + replica 2's commit delivered three times = 2 distinct: not committed.
    for (let i = 0; i < 3; i++) assert.equal(ofType(deliver(c, replica, commit2), 'executed').length, 0);
    const outs = deliver(c, replica, asReplica(c, 3, 'commit', { view: 0, seq: 1, digest: d }));
    assert.equal(ofType(outs, 'executed').length, 1, 'third distinct commit executes');
  });

  test('rule: committed = prepared + 2f+1 matching commits; then the batch executes and each client gets a reply', () => {
    const { replica, sm, pp } = commitSlot(1, 1, [request(c, 1, 1, 'client-2', 5n)]);
    const d = pp.body.digest;
    deliver(c, replica, asReplica(c, 2, 'prepare', { view: 0, seq: 1, digest: d }));
    deliver(c, replica, asReplica(c, 0, 'commit', { view: 0, seq: 1, digest: d }));
    const outs = deliver(c, replica, asReplica(c, 2, 'commit', { view: 0, seq: 1, digest: d }));
    const [exec] = ofType(outs, 'executed');
    assert.deepEqual([exec?.seq, exec?.applied], [1, [true]]);
    const [reply] = ofType(outs, 'reply');
    assert.equal(reply?.client, 1);
    assert.equal(decodeResult(reply!.msg.body.result)?.code, 0);
    assert.equal(sm.ledger.balance('client-2'), 1005n);
  });

  test('rule: a replica signs ONE reply root per executed batch; every reply carries its leaf path and verifies', () => {
    let signatures = 0;
    const own = c.replicas[1]!;
    const counting: Signer = {
      publicKey: own.publicKey,
      sign: (data) => {
        signatures++;
        return own.sign(data);
      },
    };
    const config = pbftConfig(c.n, 1, c.cluster, { checkpointInterval: 4, watermarkWindow: 8 });
    const sm = new LedgerStateMachine(c.genesis, sha256);
    const replica = new PbftReplica(config, { signer: counting, stateMachine: sm, hash: sha256 });
    const reqs = [request(c, 2, 1), request(c, 0, 1), request(c, 1, 1)];
    const pp = prePrepare(c, 0, 1, reqs);
    const d = pp.body.digest;
    deliver(c, replica, pp);
    deliver(c, replica, asReplica(c, 2, 'prepare', { view: 0, seq: 1, digest: d }));
    deliver(c, replica, asReplica(c, 0, 'commit', { view: 0, seq: 1, digest: d }));
    signatures = 0;
    const outs = deliver(c, replica, asReplica(c, 2, 'commit', { view: 0, seq: 1, digest: d }));
    assert.equal(ofType(outs, 'executed').length, 1);
    assert.equal(signatures, 1, 'one signature for the three replies');
    const replies = ofType(outs, 'reply');
    assert.deepEqual(
      replies.map((r) => [r.client, r.msg.body.index, r.msg.body.leafCount, r.msg.body.seq]),
      [
        [2, 0, 3, 1],
        [0, 1, 3, 1],
        [1, 2, 3, 1],
      ],
      'one leaf per reply, in batch order',
    );
    const signatureOf = (b: Uint8Array) => Buffer.from(b.subarray(-64)).toString('hex');
    assert.equal(new Set(replies.map((r) => signatureOf(r.msg.bytes))).size, 1, 'all under one signature');
    for (const r of replies) assert.ok(openFrame(r.msg.bytes, c.ctx).ok, `reply to ${r.client} verifies`);

    signatures = 0;
    const retry = ofType(deliver(c, replica, reqs[1]!), 'reply');
    assert.equal(signatures, 1, 'a re-sent reply is signed on its own');
    assert.deepEqual(
      retry.map((r) => [r.client, r.msg.body.index, r.msg.body.leafCount, r.msg.body.path.length]),
      [[0, 0, 1, 0]],
    );
    assert.ok(openFrame(retry[0]!.msg.bytes, c.ctx).ok);
  });

  test('rule: commits alone do not commit a slot that is not prepared', () => {
    const { replica } = makeReplica(c, 1);
    const digest = new Uint8Array(32).fill(1);
    for (const id of [0, 2, 3]) {
      const outs = deliver(c, replica, asReplica(c, id, 'commit', { view: 0, seq: 1, digest }));
      assert.equal(ofType(outs, 'executed').length, 0);
    }
  });

  test('rule: a vote is surplus (dropped unverified) only once its slot has the quorum that kind counts towards', () => {
    const { replica, pp } = commitSlot(1, 1, [request(c, 1, 1)]);
    const d = pp.body.digest;
    const vote = (kind: 'prepare' | 'commit', id: number, body = { view: 0, seq: 1, digest: d }) =>
      asReplica(c, id, kind, body);
    const surplus = (m: AnyMessage) => replica.isSurplusVote(m);
    // Before the quorum every vote may count, whatever it says.
    assert.equal(surplus(vote('prepare', 3)), false);
    assert.equal(surplus(vote('commit', 3)), false);
    deliver(c, replica, vote('prepare', 2)); // own prepare + replica 2's = 2f: prepared, commit sent
    assert.equal(surplus(vote('prepare', 3)), true, 'a third prepare after prepared');
    assert.equal(surplus(vote('prepare', 3, { view: 0, seq: 1, digest: new Uint8Array(32) })), true);
    assert.equal(surplus(vote('commit', 3)), false, 'commits still count');
    deliver(c, replica, vote('commit', 0));
    assert.equal(ofType(deliver(c, replica, vote('commit', 2)), 'executed').length, 1);
    assert.equal(surplus(vote('commit', 3)), true, 'a fourth commit after committed');
    // Other slots, other views and other kinds are judged normally.
    assert.equal(surplus(vote('commit', 3, { view: 0, seq: 2, digest: d })), false);
    assert.equal(surplus(vote('commit', 3, { view: 1, seq: 1, digest: d })), false);
    assert.equal(surplus(pp), false);
    assert.equal(surplus(request(c, 1, 2)), false);
  });

  test('rule: execution is strictly in sequence order', () => {
    const { replica } = makeReplica(c, 1);
    const pp1 = prePrepare(c, 0, 1, [request(c, 1, 1)]);
    const pp2 = prePrepare(c, 0, 2, [request(c, 2, 1)]);
    const drive = (pp: typeof pp1) => {
      const out = deliver(c, replica, pp);
      const d = pp.body.digest;
      const seq = pp.body.seq;
      out.push(...deliver(c, replica, asReplica(c, 2, 'prepare', { view: 0, seq, digest: d })));
      out.push(...deliver(c, replica, asReplica(c, 0, 'commit', { view: 0, seq, digest: d })));
      out.push(...deliver(c, replica, asReplica(c, 2, 'commit', { view: 0, seq, digest: d })));
      return out;
    };
    assert.equal(ofType(drive(pp2), 'executed').length, 0, 'seq 2 waits for seq 1');
    assert.deepEqual(
      ofType(drive(pp1), 'executed').map((e) => e.seq),
      [1, 2],
    );
  });

  test('rule: a retried request is answered from the reply cache, never re-executed; an older timestamp is dropped', () => {
    const { replica, sm } = makeReplica(c, 0);
    const req = request(c, 1, 7, 'client-2', 3n);
    const pp = sent(deliver(c, replica, req), 'pre-prepare')[0]!;
    const d = pp.body.digest;
    for (const id of [1, 2]) deliver(c, replica, asReplica(c, id, 'prepare', { view: 0, seq: 1, digest: d }));
    for (const id of [1, 2]) deliver(c, replica, asReplica(c, id, 'commit', { view: 0, seq: 1, digest: d }));
    assert.equal(sm.ledger.balance('client-2'), 1003n);
    const retry = deliver(c, replica, req);
    assert.equal(ofType(retry, 'reply').length, 1, 'cached reply resent');
    assert.equal(sent(retry, 'pre-prepare').length, 0, 'not ordered again');
    assert.equal(sm.ledger.balance('client-2'), 1003n);
    const older = deliver(c, replica, request(c, 1, 6));
    assert.deepEqual(
      ofType(older, 'ignored').map((o) => o.reason),
      ['stale-request'],
    );
  });

  test('rule: adaptive batching — propose at once when idle, then only full batches while one is in flight', () => {
    const { replica } = makeReplica(c, 0, { maxBatch: 2 });
    assert.equal(
      sent(deliver(c, replica, request(c, 0, 1)), 'pre-prepare').length,
      1,
      'idle: proposes at once',
    );
    assert.equal(sent(deliver(c, replica, request(c, 1, 1)), 'pre-prepare').length, 0, 'in flight: waits');
    const full = sent(deliver(c, replica, request(c, 2, 1)), 'pre-prepare');
    assert.equal(full.length, 1, 'a full batch goes out');
    assert.equal(full[0]!.body.requests.length, 2);
    assert.equal(full[0]!.body.seq, 2);
  });

  test('rule: pipelining stays inside the high watermark h + L and the in-flight limit', () => {
    const c8 = makeCluster(4, 12);
    const { replica } = makeReplica(c8, 0, { maxBatch: 1, maxInflight: 100, watermarkWindow: 8 });
    let proposed = 0;
    for (let client = 0; client < 12; client++)
      proposed += sent(deliver(c8, replica, request(c8, client, 1)), 'pre-prepare').length;
    assert.equal(proposed, 8, 'seq 9 is above h + L = 8');
    const { replica: r2 } = makeReplica(c8, 0, { maxBatch: 1, maxInflight: 3 });
    let p2 = 0;
    for (let client = 0; client < 6; client++)
      p2 += sent(deliver(c8, r2, request(c8, client, 1)), 'pre-prepare').length;
    assert.equal(p2, 3);
  });

  test('rule: a backup forwards a client request to the primary once', () => {
    const { replica } = makeReplica(c, 2);
    const req = request(c, 1, 1);
    const outs = deliver(c, replica, req);
    const sends = ofType(outs, 'send');
    assert.equal(sends.length, 1);
    assert.equal(sends[0]!.to, 0);
    assert.deepEqual(sends[0]!.msg.bytes, req.bytes, 'relays the client-signed envelope verbatim');
    assert.equal(ofType(deliver(c, replica, req), 'send').length, 0);
  });
});
