/**
 * Every checker fails when it should: each test feeds a fabricated event stream that breaks one
 * rule and asserts the violation names the checker, the replica and the sequence number. A clean
 * stream of the same shape reports nothing, so the checkers are neither silent nor noisy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Output } from '../../src/core/pbft/types.js';
import type { VerifiedMessage } from '../../src/messages/types.js';
import { CheckerSuite, type LedgerView } from '../../src/sim/checkers.js';

type Executed = Extract<Output, { type: 'executed' }>;

/** A checker suite for n = 4, K = 4, two client accounts of 100 each; `faulty` are not correct. */
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

/** A fabricated verified request (only the fields the checkers read). */
function request(client: number, timestamp: number): VerifiedMessage<'request'> {
  return {
    kind: 'request',
    sender: client,
    body: { client, timestamp, op: new Uint8Array([2]) },
    bytes: new Uint8Array([client, timestamp]),
  } as unknown as VerifiedMessage<'request'>;
}

/** A fabricated `executed` output. */
function executed(
  seq: number,
  digestByte: number,
  requests: [number, number][],
  applied?: boolean[],
): Executed {
  return {
    type: 'executed',
    seq,
    view: 0,
    digest: new Uint8Array(32).fill(digestByte),
    requests: requests.map(([c, t]) => request(c, t)),
    applied: applied ?? requests.map(() => true),
  };
}

/** A fabricated reply output. */
function reply(client: number, timestamp: number, seq: number, resultByte: number): Output {
  const result = new Uint8Array([resultByte]);
  const body = { view: 0, client, timestamp, seq, result, index: 0, leafCount: 1, path: [] };
  return { type: 'reply', client, msg: { kind: 'reply', sender: 0, body, bytes: new Uint8Array(0) } };
}

/** Asserts exactly one violation, starting with `prefix` and containing every part. */
function assertOne(s: CheckerSuite, prefix: string, ...parts: string[]): void {
  assert.equal(s.violations.length, 1, `violations: ${JSON.stringify(s.violations)}`);
  const v = s.violations[0]!;
  assert.ok(v.startsWith(`${prefix}:`), v);
  for (const part of parts) assert.ok(v.includes(part), `"${v}" should mention "${part}"`);
}

describe('checkers', () => {
  it('agreement: two correct replicas executing different batches at one seq', () => {
    const s = suite();
    s.issued(0, 1);
    s.output(0, executed(1, 0xaa, [[0, 1]]));
    s.output(1, executed(1, 0xaa, [[0, 1]]));
    assert.deepEqual(s.violations, []);
    s.output(2, executed(1, 0xbb, [[0, 1]]));
    assertOne(s, 'agreement', 'replica 2', 'seq 1');
  });

  it('agreement: a faulty replica is not held to it', () => {
    const s = suite([3]);
    s.issued(0, 1);
    s.output(0, executed(1, 0xaa, [[0, 1]]));
    s.output(3, executed(1, 0xbb, [[0, 1]]));
    assert.deepEqual(s.violations, []);
  });

  it('validity: applying a request no client issued', () => {
    const s = suite();
    s.issued(0, 1);
    s.output(
      0,
      executed(1, 1, [
        [0, 1],
        [1, 7],
      ]),
    );
    assertOne(s, 'validity', 'replica 0', 'seq 1', '1:7');
  });

  it('validity: a request that was not applied need not have been issued', () => {
    const s = suite();
    s.output(0, executed(1, 1, [[1, 7]], [false]));
    assert.deepEqual(s.violations, []);
  });

  it('exactly-once: one replica applying (client, timestamp) twice', () => {
    const s = suite();
    s.issued(0, 1);
    s.output(1, executed(1, 1, [[0, 1]]));
    s.output(1, executed(2, 2, [[0, 1]]));
    assertOne(s, 'exactly-once', 'replica 1', 'seq 2', '0:1');
  });

  it('order: a gap in execution without a state transfer', () => {
    const s = suite();
    s.output(2, executed(1, 1, []));
    s.output(2, executed(3, 3, []));
    assertOne(s, 'order', 'replica 2', 'seq 3');
  });

  it('order: a state transfer legitimately jumps, but never backwards', () => {
    const s = suite();
    s.output(2, executed(1, 1, []));
    s.output(2, { type: 'state-transferred', seq: 8, stateDigest: new Uint8Array(32).fill(8) });
    s.output(2, executed(9, 9, []));
    assert.deepEqual(s.violations, []);
    s.output(2, { type: 'state-transferred', seq: 4, stateDigest: new Uint8Array(32).fill(4) });
    assertOne(s, 'order', 'replica 2', 'seq 4');
  });

  it('checkpoint: different ledger digests recorded at one checkpoint', () => {
    const s = suite();
    s.boundaryDigest(0, 4, new Uint8Array(32).fill(1));
    s.boundaryDigest(1, 4, new Uint8Array(32).fill(1));
    assert.deepEqual(s.violations, []);
    s.boundaryDigest(3, 4, new Uint8Array(32).fill(2));
    assertOne(s, 'checkpoint', 'replica 3', 'seq 4');
  });

  it('checkpoint: a stable or transferred digest that differs from the recorded one', () => {
    const s = suite();
    s.boundaryDigest(0, 4, new Uint8Array(32).fill(1));
    s.output(1, { type: 'stable', seq: 4, stateDigest: new Uint8Array(32).fill(1) });
    assert.deepEqual(s.violations, []);
    s.output(2, { type: 'stable', seq: 4, stateDigest: new Uint8Array(32).fill(9) });
    assertOne(s, 'checkpoint', 'replica 2', 'seq 4', 'stable');
    const t = suite();
    t.output(1, { type: 'stable', seq: 8, stateDigest: new Uint8Array(32).fill(1) });
    t.output(3, { type: 'state-transferred', seq: 8, stateDigest: new Uint8Array(32).fill(2) });
    assertOne(t, 'checkpoint', 'replica 3', 'seq 8', 'state transfer');
  });

  it('checkpoint: a digest at a seq that is not a multiple of K', () => {
    const s = suite();
    s.output(0, { type: 'stable', seq: 5, stateDigest: new Uint8Array(32) });
    assertOne(s, 'checkpoint', 'replica 0', 'seq 5');
  });

  it('money: supply not equal to genesis + minted, or a negative balance', () => {
    const ledger = (supply: bigint, minted: bigint, b0: bigint | undefined): LedgerView => ({
      totalSupply: () => supply,
      minted: () => minted,
      balance: (a) => (a === 'client-0' ? b0 : 100n),
    });
    const s = suite();
    s.ledger(0, 3, ledger(250n, 50n, 150n));
    assert.deepEqual(s.violations, []);
    s.ledger(1, 3, ledger(251n, 50n, 151n));
    assertOne(s, 'money', 'replica 1', 'seq 3');
    const t = suite();
    t.ledger(2, 6, ledger(200n, 0n, -5n));
    assertOne(t, 'money', 'replica 2', 'seq 6', 'client-0');
    const u = suite();
    u.ledger(2, 6, ledger(200n, 0n, undefined));
    assertOne(u, 'money', 'replica 2', 'seq 6', 'vanished');
  });

  it('reply: two correct replicas replying differently to one request', () => {
    const s = suite();
    s.output(0, reply(1, 1, 5, 0));
    s.output(1, reply(1, 1, 5, 0));
    assert.deepEqual(s.violations, []);
    s.output(2, reply(1, 1, 5, 3));
    assertOne(s, 'reply', 'replica 2', 'seq 5');
  });

  /** A stream where (client 0, timestamp 1) executed at seq 1 on replicas 0 and 1 and was replied 0x00. */
  function completedStream(): CheckerSuite {
    const s = suite();
    s.issued(0, 1);
    for (const r of [0, 1]) {
      s.output(r, reply(0, 1, 1, 0));
      s.output(r, executed(1, 1, [[0, 1]]));
    }
    return s;
  }

  it('completion: a clean completion passes', () => {
    const s = completedStream();
    s.completed({
      client: 0,
      timestamp: 1,
      seq: 1,
      result: new Uint8Array([0]),
      issuedAt: 0,
      completedAt: 9,
    });
    s.finish([], 100);
    assert.deepEqual(s.violations, []);
  });

  it('completion: a result no correct replica replied', () => {
    const s = completedStream();
    s.completed({
      client: 0,
      timestamp: 1,
      seq: 1,
      result: new Uint8Array([7]),
      issuedAt: 0,
      completedAt: 9,
    });
    s.finish([], 100);
    assertOne(s, 'completion', 'client 0', 'seq 1');
  });

  it('completion: accepted at a seq where no correct replica applied it', () => {
    const s = completedStream();
    s.completed({
      client: 0,
      timestamp: 1,
      seq: 2,
      result: new Uint8Array([0]),
      issuedAt: 0,
      completedAt: 9,
    });
    s.finish([], 100);
    assert.ok(s.violations.length >= 1);
    assert.ok(
      s.violations.every((v) => v.startsWith('completion:') && v.includes('seq 2')),
      s.violations.join('\n'),
    );
  });

  it('completion: applied by fewer than f + 1 correct replicas', () => {
    const s = suite();
    s.issued(0, 1);
    s.output(0, reply(0, 1, 1, 0));
    s.output(0, executed(1, 1, [[0, 1]]));
    s.completed({
      client: 0,
      timestamp: 1,
      seq: 1,
      result: new Uint8Array([0]),
      issuedAt: 0,
      completedAt: 9,
    });
    s.finish([], 100);
    assertOne(s, 'completion', 'held by 1', 'seq 1');
  });

  it('client-order: a later request of one client accepted at an earlier seq', () => {
    const s = suite();
    s.completed({
      client: 1,
      timestamp: 1,
      seq: 5,
      result: new Uint8Array([0]),
      issuedAt: 0,
      completedAt: 9,
    });
    s.completed({
      client: 2,
      timestamp: 1,
      seq: 3,
      result: new Uint8Array([0]),
      issuedAt: 0,
      completedAt: 9,
    });
    assert.deepEqual(s.violations, []);
    s.completed({
      client: 1,
      timestamp: 2,
      seq: 4,
      result: new Uint8Array([0]),
      issuedAt: 9,
      completedAt: 19,
    });
    assertOne(s, 'client-order', 'client 1', 'seq 4');
  });

  it('liveness: a client that did not finish', () => {
    const s = suite();
    s.finish([{ client: 3, done: 4, total: 10, pending: 5 }], 120_000);
    assertOne(s, 'liveness', 'client 3', '4/10');
  });

  it('invariant and exception reports name the replica and seq', () => {
    const s = suite();
    s.invariant(2, 17, new Error('invariant violated: stable checkpoint <= last executed'));
    assertOne(s, 'invariant', 'replica 2', 'seq 17');
    const t = suite();
    t.threw(1, 3, new Error('boom'));
    assertOne(t, 'exception', 'replica 1', 'seq 3', 'boom');
  });
});
