/**
 * The crash-and-restart checkers fail when they should: fabricated streams in which a replica signs
 * a second, different message for a slot after a restart (equivocation), sends a message it never
 * persisted, restarts below what it executed (durability), or applies a request that a state
 * transfer already gave it (exactly-once). Clean streams of the same shape report nothing, and a
 * restart that resumes where the replica stopped is not an order violation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Output } from '../../src/core/pbft/types.js';
import { sha256 } from '../../src/crypto/hash.js';
import { KeyedHashSigner } from '../../src/crypto/keyed-hash.js';
import { sealMessage } from '../../src/messages/reply-batch.js';
import type { BodyOf, Kind } from '../../src/messages/schema.js';
import type { Message, VerifiedMessage } from '../../src/messages/types.js';
import { CheckerSuite } from '../../src/sim/checkers.js';

const CLUSTER = new Uint8Array(16).fill(3);
const signers = [0, 1, 2, 3].map((i) =>
  KeyedHashSigner.fromSeed(new TextEncoder().encode(`restart-checkers/${i}`)),
);

/** A checker suite for n = 4, K = 4; `faulty` are not held to the rules. */
function suite(faulty: readonly number[] = []): CheckerSuite {
  return new CheckerSuite({
    n: 4,
    f: 1,
    checkpointInterval: 4,
    genesisTotal: 200n,
    accounts: ['client-0', 'client-1'],
    isCorrect: (id) => !faulty.includes(id),
  });
}

/** A message really signed by replica `sender`. */
function signed<K extends Kind>(sender: number, kind: K, body: BodyOf[K]): Message<K> {
  return sealMessage(signers[sender]!, sha256, CLUSTER, kind, sender, body);
}

/** The persist output of a signed message. */
function persist(msg: Message): Output {
  return { type: 'persist', record: { type: 'signed', msg } };
}

/** A digest filled with one byte. */
function digest(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte);
}

/** A VIEW-CHANGE to `newView` from `sender` claiming stable seq `stableSeq`. */
function viewChange(sender: number, newView: number, stableSeq: number): Message<'view-change'> {
  return signed(sender, 'view-change', {
    newView,
    stableSeq,
    stableDigest: digest(stableSeq),
    checkpointProof: [],
    prepared: [],
  });
}

/** A fabricated verified request (only the fields the checkers read). */
function request(client: number, timestamp: number): VerifiedMessage<'request'> {
  return {
    kind: 'request',
    sender: client,
    body: { client, timestamp, op: new Uint8Array([2]) },
    bytes: new Uint8Array([client, timestamp]),
  } as unknown as VerifiedMessage<'request'>;
}

/** A fabricated `executed` output applying the given (client, timestamp) requests. */
function executed(seq: number, requests: [number, number][]): Output {
  return {
    type: 'executed',
    seq,
    view: 0,
    digest: digest(seq),
    requests: requests.map(([c, t]) => request(c, t)),
    applied: requests.map(() => true),
  };
}

/** Asserts exactly one violation, starting with `prefix` and containing every part. */
function assertOne(s: CheckerSuite, prefix: string, ...parts: string[]): void {
  assert.equal(s.violations.length, 1, `violations: ${JSON.stringify(s.violations)}`);
  const v = s.violations[0]!;
  assert.ok(v.startsWith(`${prefix}:`), v);
  for (const part of parts) assert.ok(v.includes(part), `"${v}" should mention "${part}"`);
}

describe('restart checkers', () => {
  it('equivocation: a prepare for the same (view, seq) with another digest after a restart', () => {
    const s = suite();
    const first = signed(1, 'prepare', { view: 0, seq: 5, digest: digest(0xaa) });
    s.output(1, persist(first));
    s.output(1, { type: 'broadcast', msg: first });
    s.replicaCrashed(1, 4);
    s.replicaRestarted(1, 4);
    s.output(1, persist(first));
    s.output(1, { type: 'broadcast', msg: first });
    assert.deepEqual(s.violations, [], 'the same vote again is a retransmission');
    const second = signed(1, 'prepare', { view: 0, seq: 5, digest: digest(0xbb) });
    s.output(1, persist(second));
    s.output(1, { type: 'broadcast', msg: second });
    assertOne(s, 'equivocation', 'replica 1', 'prepare view 0 seq 5');
  });

  it('equivocation: pre-prepare and commit per (view, seq), checkpoint per seq', () => {
    const cases: [Message, Message, string][] = [
      [
        signed(0, 'pre-prepare', { view: 0, seq: 3, digest: digest(1), requests: [] }),
        signed(0, 'pre-prepare', { view: 0, seq: 3, digest: digest(2), requests: [] }),
        'pre-prepare view 0 seq 3',
      ],
      [
        signed(2, 'commit', { view: 1, seq: 9, digest: digest(1) }),
        signed(2, 'commit', { view: 1, seq: 9, digest: digest(2) }),
        'commit view 1 seq 9',
      ],
      [
        signed(3, 'checkpoint', { seq: 8, stateDigest: digest(1) }),
        signed(3, 'checkpoint', { seq: 8, stateDigest: digest(2) }),
        'checkpoint seq 8',
      ],
    ];
    for (const [a, b, slot] of cases) {
      const s = suite();
      s.output(a.sender, persist(a));
      s.output(b.sender, persist(b));
      assertOne(s, 'equivocation', `replica ${a.sender}`, slot);
    }
    const other = suite();
    other.output(1, persist(signed(1, 'commit', { view: 1, seq: 9, digest: digest(1) })));
    other.output(1, persist(signed(1, 'commit', { view: 2, seq: 9, digest: digest(2) })));
    assert.deepEqual(other.violations, [], 'another view is another slot');
  });

  it('equivocation: a second, different VIEW-CHANGE for one new view, or NEW-VIEW for one view', () => {
    const s = suite();
    s.output(2, persist(viewChange(2, 1, 0)));
    s.output(2, persist(viewChange(2, 2, 4)));
    assert.deepEqual(s.violations, []);
    s.output(2, persist(viewChange(2, 1, 4)));
    assertOne(s, 'equivocation', 'replica 2', 'view-change to view 1');
    const t = suite();
    const nv = (vcs: Message<'view-change'>[]) =>
      signed(1, 'new-view', { view: 1, viewChanges: vcs.map((v) => v.bytes), prePrepares: [] });
    t.output(1, persist(nv([viewChange(2, 1, 0)])));
    t.output(1, persist(nv([viewChange(3, 1, 0)])));
    assertOne(t, 'equivocation', 'replica 1', 'new-view view 1');
  });

  it('equivocation: a faulty replica is not held to it', () => {
    const s = suite([1]);
    s.output(1, persist(signed(1, 'prepare', { view: 0, seq: 5, digest: digest(1) })));
    s.output(1, persist(signed(1, 'prepare', { view: 0, seq: 5, digest: digest(2) })));
    assert.deepEqual(s.violations, []);
  });

  it('persist-before-send: sending an own vote that was never persisted', () => {
    const s = suite();
    const relayed = signed(2, 'commit', { view: 0, seq: 1, digest: digest(1) });
    s.output(1, { type: 'send', to: 3, msg: relayed });
    assert.deepEqual(s.violations, [], 'relaying what another replica signed is fine');
    const own = signed(1, 'commit', { view: 0, seq: 1, digest: digest(1) });
    s.output(1, { type: 'broadcast', msg: own });
    assertOne(s, 'persist-before-send', 'replica 1', 'commit view 0 seq 1');
  });

  it('durability: a restart below the seq executed before the crash', () => {
    const s = suite();
    s.replicaCrashed(2, 12);
    s.replicaRestarted(2, 12);
    s.replicaCrashed(2, 13);
    s.replicaRestarted(2, 16);
    assert.deepEqual(s.violations, []);
    s.replicaCrashed(2, 16);
    s.replicaRestarted(2, 8);
    assertOne(s, 'durability', 'replica 2', 'seq 8', 'seq 16');
  });

  it('order: a restart that resumes where the replica stopped is not a violation; a lost batch is', () => {
    const s = suite();
    s.issued(0, 1);
    s.issued(0, 2);
    s.output(1, executed(1, [[0, 1]]));
    s.replicaCrashed(1, 1);
    s.replicaRestarted(1, 1);
    s.output(1, executed(2, [[0, 2]]));
    assert.deepEqual(s.violations, []);
    s.replicaCrashed(1, 2);
    s.replicaRestarted(1, 1);
    s.output(1, executed(2, [[0, 2]]));
    const found: readonly string[] = s.violations;
    assert.equal(found.length, 2, found.join('\n'));
    assert.ok(found[0]!.startsWith('durability: replica 1 seq 1'), found[0]);
    assert.ok(found[1]!.startsWith('exactly-once: replica 1 seq 2'), found[1]);
  });

  it('exactly-once: applying a request that a state transfer already delivered', () => {
    const s = suite();
    s.issued(0, 1);
    s.issued(1, 1);
    for (const r of [0, 1]) {
      s.output(r, executed(1, []));
      s.output(r, executed(2, [[0, 1]]));
      s.output(r, executed(3, []));
      s.output(r, executed(4, []));
      s.output(r, executed(5, [[1, 1]]));
    }
    s.output(2, executed(1, []));
    s.output(2, { type: 'state-transferred', seq: 4, stateDigest: digest(4) });
    s.output(2, executed(5, [[1, 1]]));
    assert.deepEqual(s.violations, []);
    assert.deepEqual(s.execution.tally(2), { applied: 1, heldByTransfer: 1 });
    s.output(2, executed(6, [[0, 1]]));
    assertOne(s, 'exactly-once', 'replica 2', 'seq 6', '0:1', 'state transfer');
  });

  it('liveness: a request still pending at its deadline is named', () => {
    const s = suite();
    s.overdue(3, 17, 19_500, 50_000, 30_000);
    assertOne(s, 'liveness', 'client 3', 'timestamp 17', '30000 ms');
  });
});
