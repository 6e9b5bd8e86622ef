/**
 * The recording state machine captures the ledger digest right after each multiple of K, however
 * the core groups executions into steps (several batches per step, empty batches, a restore).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '../../src/crypto/hash.js';
import { toHex } from '../../src/crypto/hex.js';
import { encodeTransfer } from '../../src/ledger/ops.js';
import { LedgerStateMachine } from '../../src/ledger/state-machine.js';
import { RecordingStateMachine } from '../../src/sim/recording-state-machine.js';
import { buildWorld } from '../../src/sim/setup.js';

const world = buildWorld({ seed: 1, n: 4, f: 1, clients: 2, crypto: 'keyed-hash', startingBalance: 1000n });
const K = 4;

/** Requests per seq: seq s holds (s % 3) transfers; seqs 3, 6, 9, ... are empty batches. */
function batchOf(seq: number): { client: number; op: Uint8Array }[] {
  return Array.from({ length: seq % 3 }, (_, i) => ({
    client: (seq + i) % 2,
    op: encodeTransfer(`client-${(seq + i) % 2}`, `client-${(seq + i + 1) % 2}`, BigInt(seq)),
  }));
}

/** Reference: the digest after each seq, executing one seq at a time. */
function referenceDigests(upTo: number): Map<number, string> {
  const ledger = new LedgerStateMachine(world.genesis, sha256);
  const out = new Map<number, string>();
  let ts = 0;
  for (let seq = 1; seq <= upTo; seq++) {
    for (const r of batchOf(seq)) ledger.execute(r.client, ++ts, r.op, seq);
    out.set(seq, toHex(ledger.digest()));
  }
  return out;
}

describe('RecordingStateMachine', () => {
  for (const stepSizes of [[1], [3], [5, 1, 7], [16], [2, 9, 1, 1]]) {
    it(`records every K boundary with steps of ${stepSizes.join(', ')} seqs`, () => {
      const recorded = new Map<number, string>();
      const sm = new RecordingStateMachine(new LedgerStateMachine(world.genesis, sha256), K, (seq, d) => {
        assert.ok(!recorded.has(seq), `seq ${seq} recorded twice`);
        recorded.set(seq, toHex(d));
      });
      const last = 26;
      let seq = 0;
      let ts = 0;
      for (let i = 0; seq < last; i++) {
        const size = stepSizes[i % stepSizes.length]!;
        const end = Math.min(last, seq + size);
        for (seq = seq + 1; seq <= end; seq++) {
          for (const r of batchOf(seq)) sm.execute(r.client, ++ts, r.op, seq);
        }
        seq = end;
        sm.endStep(seq, undefined);
      }
      const ref = referenceDigests(last);
      assert.deepEqual([...recorded.keys()], [4, 8, 12, 16, 20, 24]);
      for (const [s, d] of recorded) assert.equal(d, ref.get(s), `digest at seq ${s}`);
    });
  }

  it('after a restore, resumes recording from the restored seq', () => {
    const ref = new LedgerStateMachine(world.genesis, sha256);
    let ts = 0;
    for (let seq = 1; seq <= 8; seq++) for (const r of batchOf(seq)) ref.execute(r.client, ++ts, r.op, seq);
    const recorded = new Map<number, string>();
    const sm = new RecordingStateMachine(new LedgerStateMachine(world.genesis, sha256), K, (s, d) => {
      recorded.set(s, toHex(d));
    });
    assert.equal(sm.restore(ref.snapshot(), ref.digest()), true);
    for (let seq = 9; seq <= 13; seq++) for (const r of batchOf(seq)) sm.execute(r.client, ++ts, r.op, seq);
    sm.endStep(13, 8);
    const all = referenceDigests(13);
    assert.deepEqual([...recorded.keys()], [12]);
    assert.equal(recorded.get(12), all.get(12));
  });
});
