/**
 * One simulator test per Byzantine behaviour: with up to f such replicas, safety holds (agreement,
 * equal digests, exactly-once), every client request completes, and equivocation is caught as
 * evidence against the replica that did it. The Byzantine replica is chosen per seed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BEHAVIOUR_NAMES } from '../../src/byzantine/index.js';
import { byzantinePlan } from '../../src/sim/byzantine-plan.js';
import { runSimulation, type SimOptions } from '../../src/sim/index.js';

const BASE: Omit<SimOptions, 'seed'> = { replicas: 4, requests: 60, loss: 0.02, reorder: 0.1 };
const SEEDS = [1, 2, 3, 4, 5, 6];

describe('Byzantine behaviours in the simulator (n = 4, f = 1)', () => {
  for (const name of BEHAVIOUR_NAMES) {
    test(`behaviour: ${name} — safety holds and every request completes`, () => {
      let evidenceAgainstByzantine = 0;
      let evidenceAgainstCorrect = 0;
      for (const seed of SEEDS) {
        const [byz] = [...byzantinePlan(seed, 4, 1, [name]).specs.keys()];
        const r = runSimulation({
          ...BASE,
          seed,
          byzantine: 1,
          behaviours: [name],
          onOutput: (replica, out) => {
            if (out.type !== 'evidence' || replica === byz) return;
            if (out.replica === byz) evidenceAgainstByzantine++;
            else evidenceAgainstCorrect++;
          },
        });
        assert.deepEqual(r.violations, [], `seed ${seed}`);
        assert.equal(r.committedRequests, BASE.requests, `seed ${seed}: every request completed`);
      }
      assert.equal(evidenceAgainstCorrect, 0, 'evidence never names a correct replica');
      if (name === 'equivocate') assert.ok(evidenceAgainstByzantine > 0, 'equivocation produced evidence');
    });
  }

  test('two Byzantine replicas with random behaviours among seven (f = 2), with loss and crashes', () => {
    for (const seed of [11, 12, 13]) {
      const r = runSimulation({ seed, replicas: 7, requests: 60, byzantine: 2, loss: 0.02, crash: true });
      assert.deepEqual(r.violations, [], `seed ${seed}`);
      assert.equal(r.committedRequests, 60);
    }
  });
});
