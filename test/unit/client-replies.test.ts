/**
 * The client's reply rules, fed real frames: the crash-fault rule (one reply from the authenticated
 * leader completes a request; redirects move the client's belief at most once per term) and PBFT's
 * (f + 1 matching batch-signed replies; a forged one is dropped and its group waits for another; a
 * replica's batch signature is verified once per process).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { CftReplies } from '../../src/client/cft-replies.js';
import { PbftReplies } from '../../src/client/pbft-replies.js';
import {
  sharedVerifiedRoots,
  VERIFIED_ROOTS_CAPACITY,
  VerifiedRoots,
} from '../../src/client/verified-roots.js';
import { type Cluster, initCluster, loadSigner } from '../../src/config/index.js';
import { cryptoCounters, cryptoDelta } from '../../src/crypto/counters.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { Verifier } from '../../src/crypto/types.js';
import { encodeResult, encodeTransfer, ResultCode } from '../../src/ledger/index.js';
import { sealCft } from '../../src/messages/cft-boundary.js';
import type { CftMessage } from '../../src/messages/cft-types.js';
import { seal } from '../../src/messages/envelope.js';
import { replyWithSignature, sealReplies } from '../../src/messages/reply-batch.js';
import { type BodyOf, NO_LEADER } from '../../src/messages/schema.js';
import type { Message } from '../../src/messages/types.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-replies-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A cluster on disk (keys included) of the protocol. */
function clusterOf(protocol: 'pbft' | 'cft', replicas: number): { cluster: Cluster; dir: string } {
  const dir = path.join(root, protocol);
  return { cluster: initCluster({ dir, replicas, clients: 2, protocol }).cluster, dir };
}

/** Client 0's transfer with timestamp `ts`. */
function requestOf(cluster: Cluster, dir: string, ts: number): Message<'request'> {
  const op = encodeTransfer('client-0', 'client-1', 1n);
  return seal(loadSigner(dir, 'client', 0, cluster), cluster.clusterId, 'request', 0, {
    client: 0,
    timestamp: ts,
    op,
  });
}

const OK_RESULT = encodeResult(ResultCode.ok, 999n);

/** The envelope's sender (bytes 17..20): a frame fed as if it came on that replica's own connection. */
const senderOf = (frame: Uint8Array): number => new DataView(frame.buffer, frame.byteOffset).getUint32(17);

/** Feeds a PBFT reply rule a frame on the connection of the replica that signed it. */
const feed = (rule: PbftReplies, frame: Uint8Array) => rule.onFrame(frame, senderOf(frame));

describe('the crash-fault reply rule', () => {
  const { cluster, dir } = clusterOf('cft', 3);
  const frame = (m: CftMessage) => sealCft(cluster.clusterId, m);
  const redirect = (sender: number, term: number, leader: number, timestamp = 1) =>
    frame({ kind: 'redirect', sender, body: { term, client: 0, timestamp, leader } });
  const reply = (sender: number, term: number, timestamp = 1) =>
    frame({ kind: 'cft-reply', sender, body: { term, client: 0, timestamp, index: 7, result: OK_RESULT } });

  test('targets replica 0 until it learns a leader; a redirect to a newer leader moves it, once per term', () => {
    const rule = new CftReplies(cluster, 0);
    rule.begin(requestOf(cluster, dir, 1));
    assert.equal(rule.target(), 0);
    assert.deepEqual(rule.onFrame(redirect(0, 3, 2), 0), { type: 'redirect', to: 2 });
    assert.equal(rule.target(), 2);
    assert.equal(rule.onFrame(redirect(1, 3, 2), 1), undefined, 'the same belief again');
    assert.equal(rule.onFrame(redirect(1, 2, 1), 1), undefined, 'an older term');
    assert.equal(rule.onFrame(redirect(1, 4, NO_LEADER), 1), undefined, 'no leader known');
    assert.equal(rule.onFrame(redirect(1, 4, 1, 99), 1), undefined, 'another request');
    assert.deepEqual(rule.onFrame(redirect(0, 4, 1), 0), { type: 'redirect', to: 1 }, 'a newer term');
  });

  test('one reply completes the request: index and term as seq and view, the ledger result decoded', () => {
    const rule = new CftReplies(cluster, 0);
    rule.begin(requestOf(cluster, dir, 1));
    assert.equal(rule.onFrame(reply(2, 5, 2), 2), undefined, 'a reply to another request');
    assert.deepEqual(rule.onFrame(reply(2, 5), 2), {
      type: 'done',
      outcome: { status: 'committed', seq: 7, view: 5, result: { code: 'ok', balance: '999' }, timestamp: 1 },
    });
    assert.equal(rule.target(), 2, 'the replier leads');
    assert.equal(rule.onFrame(reply(2, 5), 2), undefined, 'nothing in flight any more');
  });

  test('a reply counts only from the connection of the replica it names', () => {
    const rule = new CftReplies(cluster, 0);
    rule.begin(requestOf(cluster, dir, 1));
    assert.equal(rule.onFrame(reply(1, 5), 2), undefined, 'replica 1 on replica 2 connection');
    assert.equal(rule.onFrame(reply(1, 5), undefined), undefined, 'not a replica connection');
    assert.equal(rule.onFrame(new Uint8Array([1, 2, 3]), 1), undefined, 'garbage');
    assert.equal(rule.onFrame(reply(1, 5), 1)?.type, 'done');
  });
});

describe('the PBFT reply rule', () => {
  const { cluster, dir } = clusterOf('pbft', 4);
  const signers = cluster.replicas.map((r) => loadSigner(dir, 'replica', r.id, cluster));
  /** Replica `sender`'s replies of one batch (view 0, `seq`): client 0's at index 1 of 5, client 1's at 3. */
  const batch = (sender: number, result = OK_RESULT, seq = 3) =>
    sealReplies(signers[sender]!, sha256, cluster.clusterId, sender, { view: 0, seq }, [
      { client: 7, timestamp: 4, result: OK_RESULT },
      { client: 0, timestamp: 1, result },
      { client: 8, timestamp: 2, result: OK_RESULT },
      { client: 1, timestamp: 1, result },
      { client: 9, timestamp: 9, result: OK_RESULT },
    ]);
  /** Client 0's reply from replica `sender`; `forged` flips a bit of its batch signature. */
  const reply = (sender: number, result = OK_RESULT, forged = false) => {
    const bytes = batch(sender, result)[1]!.bytes.slice();
    if (forged) bytes[bytes.length - 1]! ^= 0x01;
    return bytes;
  };
  /** Client 0's reply from replica `sender` with its body patched, under the batch's real signature. */
  const tampered = (sender: number, patch: Partial<BodyOf['reply']>) => {
    const m = batch(sender)[1]!;
    return replyWithSignature(cluster.clusterId, sender, { ...m.body, ...patch }, m.bytes.subarray(-64))
      .bytes;
  };
  /** Inline signature verifications made while `fn` runs. */
  const verifications = (fn: () => void): number => {
    const before = cryptoCounters();
    fn();
    return cryptoDelta(before, cryptoCounters()).count['verify-inline'];
  };

  test('f + 1 matching batch-signed replies complete a request; mismatching ones do not add up', () => {
    const rule = new PbftReplies(cluster, 0, new VerifiedRoots());
    rule.begin(requestOf(cluster, dir, 1));
    assert.equal(rule.target(), 0);
    assert.equal(feed(rule, reply(0)), undefined, 'one reply');
    assert.equal(feed(rule, reply(1, encodeResult(ResultCode.ok, 5n))), undefined, 'another result');
    assert.equal(feed(rule, reply(0)), undefined, 'the same replica twice');
    const done = feed(rule, reply(2));
    assert.equal(done?.type, 'done');
    assert.deepEqual(done.type === 'done' && done.outcome.result, { code: 'ok', balance: '999' });
    assert.equal(done.type === 'done' && done.outcome.seq, 3);
  });

  test('a Byzantine member of the matching group cannot move the client to a made-up view', () => {
    const rule = new PbftReplies(cluster, 0, new VerifiedRoots());
    rule.begin(requestOf(cluster, dir, 1));
    // Replica 3 signs the right result but claims view 4,000,001 (primary 1); replica 2 is honest (view 0).
    const inflated = sealReplies(signers[3]!, sha256, cluster.clusterId, 3, { view: 4_000_001, seq: 3 }, [
      { client: 0, timestamp: 1, result: OK_RESULT },
    ])[0]!.bytes;
    assert.equal(feed(rule, inflated), undefined);
    const done = feed(rule, reply(2));
    assert.equal(done?.type, 'done');
    assert.equal(done.type === 'done' && done.outcome.view, 0, 'the view a correct member vouches for');
    assert.equal(rule.target(), 0, 'requests still go to the real primary');
  });

  test("a reply counts only on its replica's connection; one pending reply per replica", () => {
    const relayed = new PbftReplies(cluster, 0, new VerifiedRoots());
    relayed.begin(requestOf(cluster, dir, 1));
    assert.equal(relayed.onFrame(reply(1), 0), undefined, "replica 1's reply on replica 0's connection");
    assert.equal(relayed.onFrame(reply(1), undefined), undefined, 'on a connection that is no replica');
    assert.equal(feed(relayed, reply(2)), undefined, 'neither counted for replica 1');
    assert.equal(feed(relayed, reply(1))?.type, 'done', "replica 1's own reply counts");

    const lie = encodeResult(ResultCode.ok, 5n);
    const changing = new PbftReplies(cluster, 0, new VerifiedRoots());
    changing.begin(requestOf(cluster, dir, 1));
    assert.equal(feed(changing, reply(3, lie)), undefined);
    assert.equal(feed(changing, reply(3)), undefined, "replica 3's second reply replaces its first");
    assert.equal(feed(changing, reply(0, lie)), undefined, 'so the lie has one supporter, not f + 1');
    const done = feed(changing, reply(2));
    assert.equal(done?.type === 'done' && done.outcome.result.balance, '999');
  });

  test('a reply with a broken batch signature is dropped; another genuine one completes it', () => {
    const rule = new PbftReplies(cluster, 0, new VerifiedRoots());
    rule.begin(requestOf(cluster, dir, 1));
    assert.equal(feed(rule, reply(0)), undefined);
    assert.equal(feed(rule, reply(1, OK_RESULT, true)), undefined, 'the forged one fails verification');
    assert.equal(feed(rule, reply(3))?.type, 'done');
  });

  test('forged content under a real batch signature never counts: result, path, index', () => {
    const lie = encodeResult(ResultCode.ok, 5n);
    const path = batch(1)[1]!.body.path.map((h) => h.slice());
    path[0]![0]! ^= 1;
    for (const forged of [tampered(1, { result: lie }), tampered(1, { path }), tampered(1, { index: 0 })]) {
      const rule = new PbftReplies(cluster, 0, new VerifiedRoots());
      rule.begin(requestOf(cluster, dir, 1));
      // Replica 0 lies with a result it signed itself; replica 1's reply is forged to match it.
      const liar = sealReplies(signers[0]!, sha256, cluster.clusterId, 0, { view: 0, seq: 3 }, [
        { client: 0, timestamp: 1, result: lie },
      ])[0]!.bytes;
      assert.equal(feed(rule, liar), undefined);
      assert.equal(feed(rule, forged), undefined, 'f + 1 for the lie, but one is forged');
      assert.equal(feed(rule, reply(2)), undefined, 'one correct reply');
      assert.equal(feed(rule, reply(3))?.type, 'done', 'f + 1 correct replies');
    }
  });

  test('a batch signature verified for one client is not verified again for another client of the process', () => {
    const roots = new VerifiedRoots();
    const first = new PbftReplies(cluster, 0, roots);
    const second = new PbftReplies(cluster, 1, roots);
    first.begin(requestOf(cluster, dir, 1));
    second.begin(requestOf(cluster, dir, 1));
    const [b0, b1] = [batch(0), batch(1)];
    assert.equal(
      verifications(() => {
        assert.equal(feed(first, b0[1]!.bytes), undefined);
        assert.equal(feed(first, b1[1]!.bytes)?.type, 'done');
      }),
      2,
      "client 0 verifies the f + 1 replicas' roots",
    );
    assert.equal(roots.size, 2);
    assert.equal(
      verifications(() => {
        assert.equal(feed(second, b0[3]!.bytes), undefined);
        assert.equal(feed(second, b1[3]!.bytes)?.type, 'done');
      }),
      0,
      'client 1 reuses both',
    );
    const fresh = new PbftReplies(cluster, 1, new VerifiedRoots());
    fresh.begin(requestOf(cluster, dir, 1));
    const again = verifications(() => {
      feed(fresh, b0[3]!.bytes);
      feed(fresh, b1[3]!.bytes);
    });
    assert.equal(again, 2, 'another cache verifies for itself');
  });

  test('a remembered root does not vouch for forged content under its signature', () => {
    const roots = new VerifiedRoots();
    const rule = new PbftReplies(cluster, 0, roots);
    rule.begin(requestOf(cluster, dir, 1));
    feed(rule, reply(0));
    feed(rule, reply(1));
    assert.equal(roots.size, 2);
    const next = new PbftReplies(cluster, 0, roots);
    next.begin(requestOf(cluster, dir, 1));
    assert.equal(feed(next, tampered(0, { result: encodeResult(ResultCode.ok, 5n) })), undefined);
    assert.equal(feed(next, tampered(1, { result: encodeResult(ResultCode.ok, 5n) })), undefined);
    assert.equal(roots.size, 2, 'nothing forged was remembered');
  });

  test('the verified-root cache is bounded and forgets the least recently used first', () => {
    const roots = new VerifiedRoots(3);
    const verifier = { publicKey: signers[0]!.publicKey } as Verifier;
    const envelope = (i: number) => Uint8Array.of(i, 1, 2, 3);
    for (const i of [1, 2, 3]) roots.remember(envelope(i), verifier);
    assert.equal(roots.known(envelope(1), verifier), true, 'a hit makes 1 the most recent');
    roots.remember(envelope(4), verifier);
    assert.equal(roots.size, 3);
    assert.deepEqual(
      [1, 2, 3, 4].map((i) => roots.known(envelope(i), verifier)),
      [true, false, true, true],
    );
    const otherKey = { publicKey: signers[1]!.publicKey } as Verifier;
    assert.equal(roots.known(envelope(4), otherKey), false, 'the same bytes under another key');
    assert.equal(sharedVerifiedRoots.capacity, VERIFIED_ROOTS_CAPACITY);
  });
});
