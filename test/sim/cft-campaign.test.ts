/**
 * Seeded campaigns of the crash-fault protocol on the simulator: n = 3 and n = 5 under crashes,
 * partitions and a lossy, duplicating, reordering network, with the liveness phase after healing.
 * Every checker must stay silent, every liveness phase pass, and faults must really happen.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCampaign, runSimulation, type SimOptions } from '../../src/sim/index.js';

/** The fault mix of the CI campaign: crashes of up to f replicas, partitions, 3% loss. */
const FAULTS: Omit<SimOptions, 'seed'> = {
  protocol: 'cft',
  requests: 120,
  crash: true,
  partition: true,
  loss: 0.03,
  dup: 0.02,
  reorder: 0.1,
  faultPhaseMs: 10_000,
};
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('crash-fault campaigns', () => {
  for (const replicas of [3, 5]) {
    test(`n = ${replicas}: 20 seeds with crashes, partitions and loss, no violation, every liveness phase passes`, () => {
      const c = runCampaign({ ...FAULTS, replicas }, SEEDS);
      assert.deepEqual(c.failing, []);
      assert.equal(c.livenessPassed, SEEDS.length);
      assert.equal(c.committedRequests, SEEDS.length * 120);
      assert.ok(c.crashes > 0 && c.restarts > 0 && c.partitions > 0, 'faults happened');
      assert.ok(c.viewChanges > SEEDS.length, 'elections happened (every run has at least one)');
      assert.ok(c.stateTransfers > 0, 'some follower fell behind a snapshot and installed it');
    });
  }

  test('a run is a pure function of its options, and the seed matters', () => {
    const options = { ...FAULTS, replicas: 3, seed: 77 };
    const a = runSimulation(options);
    assert.equal(runSimulation(options).fingerprint, a.fingerprint);
    assert.notEqual(runSimulation({ ...options, seed: 78 }).fingerprint, a.fingerprint);
  });

  test('without faults every request completes on the first leader, in one term', () => {
    const r = runSimulation({ protocol: 'cft', replicas: 3, seed: 5, requests: 100 });
    assert.deepEqual(r.violations, []);
    assert.equal(r.committedRequests, 100);
    assert.equal(r.newViews, 1, 'one leader elected');
    assert.equal(r.maxView, 1);
    assert.ok(r.converged);
    const digests = new Set(r.replicas.map((x) => x.digest));
    assert.equal(digests.size, 1, 'every replica ends with the same ledger');
  });

  test('Byzantine options are refused for the crash-fault protocol', () => {
    assert.throws(() => runSimulation({ protocol: 'cft', replicas: 4, seed: 1, byzantine: 1 }), /crash/);
    assert.throws(() => runSimulation({ protocol: 'cft', replicas: 2, seed: 1 }), /replicas/);
  });
});
