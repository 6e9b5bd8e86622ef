/**
 * A CI-sized campaign with random crashes and partitions: at most f replicas down at once,
 * symmetric and one-way partitions with clients on one side or both, all inside a fault phase,
 * then a liveness phase in which every pending request must complete. Every seed must be clean.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCampaign, type SimOptions } from '../../src/sim/index.js';

/** Small runs with a short fault phase: many seeds within the test budget. */
const FAULTS: Omit<SimOptions, 'seed'> = {
  crash: true,
  partition: true,
  requests: 40,
  faultPhaseMs: 6000,
  livenessBoundMs: 30_000,
};

describe('campaign with crashes and partitions', () => {
  it('40 seeds with n = 4 and 10 seeds with n = 7: no violation, every liveness phase passes', () => {
    const four = runCampaign(
      { ...FAULTS, replicas: 4 },
      Array.from({ length: 40 }, (_, i) => 1000 + i),
    );
    assert.deepEqual(four.failing, []);
    assert.equal(four.livenessPassed, 40);
    assert.equal(four.committedRequests, 40 * 40);
    assert.ok(four.crashes > 0 && four.restarts === four.crashes, 'crashes happened, each restarted');
    assert.ok(four.partitions > 0 && four.viewChanges > 0 && four.runsWithNewView > 0);
    const seven = runCampaign(
      { ...FAULTS, replicas: 7 },
      Array.from({ length: 10 }, (_, i) => 2000 + i),
    );
    assert.deepEqual(seven.failing, []);
    assert.equal(seven.livenessPassed, 10);
    assert.equal(seven.committedRequests, 10 * 40);
    assert.ok(seven.crashes > 0 && seven.partitions > 0);
  });
});
