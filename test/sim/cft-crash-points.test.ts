/**
 * Crash points for the crash-fault protocol: one replica crashes right after every step that wrote
 * to its store (half the time before that step's messages left) and restarts from the store on its
 * next tick. Whatever it promised (a vote, an acknowledged entry, an applied index) must survive.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runSimulation } from '../../src/sim/index.js';

describe('crash-fault crash points', () => {
  for (const replicas of [3, 5]) {
    test(`n = ${replicas}: a replica crashing after every write breaks no promise`, () => {
      let crashPoints = 0;
      for (let seed = 1; seed <= 6; seed++) {
        const r = runSimulation({
          protocol: 'cft',
          replicas,
          seed,
          requests: 60,
          loss: 0.02,
          crashEveryWrite: seed % replicas,
          faultPhaseMs: 4000,
        });
        assert.deepEqual(r.violations, [], `seed ${seed}`);
        assert.equal(r.committedRequests, 60);
        crashPoints += r.crashPoints;
      }
      assert.ok(crashPoints > 100, `crash points happened (${crashPoints})`);
    });
  }
});
