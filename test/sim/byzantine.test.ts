/**
 * One simulator test per Byzantine behaviour: with up to f such replicas, safety holds (agreement,
 * equal digests, exactly-once), every client request completes, and the attributable lies
 * (equivocation, forged view-change certificates) are caught as evidence against the replica that
 * told them, never against a correct one. The Byzantine replica is chosen per seed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BEHAVIOUR_NAMES } from '../../src/byzantine/index.js';
import { byzantinePlan } from '../../src/sim/byzantine-plan.js';
import type { FaultEvent } from '../../src/sim/faults.js';
import { runSimulation, type SimOptions } from '../../src/sim/index.js';

const BASE: Omit<SimOptions, 'seed'> = { replicas: 4, requests: 60, loss: 0.02, reorder: 0.1 };
const SEEDS = [1, 2, 3, 4, 5, 6];

/** Lies that only show in a view change: the primary of view 0 crashes, so every seed has one. */
const VIEW_CHANGE: Partial<SimOptions> = {
  schedule: [{ atMs: 200, type: 'crash', replicas: [0] }] satisfies FaultEvent[],
  faultPhaseMs: 3000,
};

/** The kind of evidence each behaviour must produce against its replica over the seeds. */
const EXPECTED: Partial<Record<string, string>> = {
  equivocate: 'equivocation',
  'bad-view-change': 'forged-certificate',
};

describe('Byzantine behaviours in the simulator (n = 4, f = 1)', () => {
  for (const name of BEHAVIOUR_NAMES) {
    test(`behaviour: ${name} — safety holds and every request completes`, () => {
      const againstByzantine = new Set<string>();
      const againstCorrect: string[] = [];
      for (const seed of SEEDS) {
        const [byz] = [...byzantinePlan(seed, 4, 1, [name]).specs.keys()];
        const r = runSimulation({
          ...BASE,
          ...(name === 'bad-view-change' ? VIEW_CHANGE : {}),
          seed,
          byzantine: 1,
          behaviours: [name],
          onEvidence: (holder, ev) => {
            if (holder === byz) return;
            if (ev.replica === byz) againstByzantine.add(ev.kind);
            else againstCorrect.push(`seed ${seed}: ${ev.kind} against ${ev.replica}`);
          },
        });
        assert.deepEqual(r.violations, [], `seed ${seed}`);
        assert.equal(r.committedRequests, BASE.requests, `seed ${seed}: every request completed`);
      }
      assert.deepEqual(againstCorrect, [], 'evidence never names a correct replica');
      const expected = EXPECTED[name];
      if (expected) assert.ok(againstByzantine.has(expected), `${name} produced ${expected} evidence`);
    });
  }

  test('two Byzantine replicas with random behaviours among seven (f = 2), with loss and crashes', () => {
    for (const seed of [11, 12, 13]) {
      const byz = new Set(byzantinePlan(seed, 7, 2).specs.keys());
      const againstCorrect: number[] = [];
      const r = runSimulation({
        seed,
        replicas: 7,
        requests: 60,
        byzantine: 2,
        loss: 0.02,
        crash: true,
        onEvidence: (holder, ev) => {
          if (!byz.has(holder) && !byz.has(ev.replica)) againstCorrect.push(ev.replica);
        },
      });
      assert.deepEqual(r.violations, [], `seed ${seed}`);
      assert.equal(r.committedRequests, 60);
      assert.deepEqual(againstCorrect, [], `seed ${seed}: evidence never names a correct replica`);
    }
  });
});
