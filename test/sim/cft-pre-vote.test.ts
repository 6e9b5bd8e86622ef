/**
 * Pre-vote and check-quorum on the simulator. The scenario they exist for: one replica is cut off
 * for a while, then the network heals. With them, a cut-off follower never raises its term and the
 * leader keeps its place; without them, the follower's term climbs with every timeout and deposes
 * the leader on its return. And campaigns with each safeguard switched off stay clean.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CftConfig } from '../../src/core/cft/types.js';
import { runCampaign, runSimulation, type SimOptions, type SimResult } from '../../src/sim/index.js';

/** Replica `r` of 3 cut off from 1 s to 5 s of virtual time, with `flags` for the election rules. */
function isolated(seed: number, r: number, flags: Partial<CftConfig>): SimResult {
  const result = runSimulation({
    protocol: 'cft',
    replicas: 3,
    seed,
    requests: 100,
    faultPhaseMs: 8000,
    schedule: [
      { atMs: 1000, type: 'isolate', replicas: [r] },
      { atMs: 5000, type: 'heal' },
    ],
    cftOverrides: flags,
  });
  assert.deepEqual(result.violations, [], `seed ${seed}, replica ${r} cut off`);
  assert.ok(result.livenessPassed);
  return result;
}

describe('crash-fault pre-vote and check-quorum in the simulator', () => {
  test('a follower cut off and back never raises the term with them; without them it deposes the leader', () => {
    const OFF = { preVote: false, checkQuorum: false };
    for (const seed of [1, 2, 3]) {
      const on = [0, 1, 2].map((r) => isolated(seed, r, {}));
      // Cutting off the leader forces one new election; cutting off a follower changes nothing.
      const followers = [0, 1, 2].filter((r) => on[r]!.newViews === 1);
      assert.equal(followers.length, 2, `seed ${seed}: two of the three are followers`);
      for (const r of followers) {
        assert.deepEqual([on[r]!.maxView, on[r]!.viewChanges], [1, 1], `seed ${seed}: term 1 throughout`);
        const off = isolated(seed, r, OFF);
        assert.ok(off.maxView > 5, `seed ${seed}, replica ${r}: its term climbed to ${off.maxView}`);
        assert.equal(off.newViews, 2, `seed ${seed}, replica ${r}: the leader was deposed on its return`);
      }
    }
  });

  test('campaigns with crashes, partitions and loss stay clean with either safeguard off, or both', () => {
    const FAULTS: Omit<SimOptions, 'seed'> = {
      protocol: 'cft',
      replicas: 3,
      requests: 100,
      crash: true,
      partition: true,
      loss: 0.03,
      dup: 0.02,
      reorder: 0.1,
      faultPhaseMs: 10_000,
    };
    const SEEDS = Array.from({ length: 8 }, (_, i) => i + 1);
    const settings: Partial<CftConfig>[] = [
      { preVote: false },
      { checkQuorum: false },
      { preVote: false, checkQuorum: false },
    ];
    for (const flags of settings) {
      const c = runCampaign({ ...FAULTS, cftOverrides: flags }, SEEDS);
      assert.deepEqual(c.failing, [], JSON.stringify(flags));
      assert.equal(c.livenessPassed, SEEDS.length);
      assert.equal(c.committedRequests, SEEDS.length * 100);
    }
  });
});
