/**
 * Proof that the harness bites: deliberately broken variants of the core, run through the same
 * seed campaign as the honest one, must be caught by the checkers.
 *
 * Note on what an honest-only campaign can catch: quorum-weakening bugs (a vote counted twice, a
 * commit quorum of f + 1) do not break safety while every replica is honest, because any two
 * majorities still intersect; they are caught once Byzantine replicas equivocate. Ordering,
 * determinism and premature-execution bugs are caught here.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PbftReplica } from '../../src/core/pbft/replica.js';
import type { Slot } from '../../src/core/pbft/slot.js';
import { runCampaign, type SimOptions } from '../../src/sim/index.js';

/** Bug: executes any committed slot at once, without waiting for the ones before it. */
class OutOfOrder extends PbftReplica {
  protected override executeReady(): void {
    for (const slot of [...this.slots.values()].sort((a, b) => b.seq - a.seq)) {
      if (slot.committed && slot.prePrepare && slot.seq > this.executed) this.execute(slot, slot.prePrepare);
    }
    super.executeReady();
  }
}

/** Bug: executes a batch as soon as it is prepared, without waiting for a quorum of commits. */
class ExecuteOnPrepared extends PbftReplica {
  protected override checkPrepared(slot: Slot): void {
    super.checkPrepared(slot);
    if (slot.prepared && !slot.committed) {
      slot.committed = true;
      this.executeReady();
    }
  }
}

const CAMPAIGN: Omit<SimOptions, 'seed'> = {
  replicas: 4,
  requests: 120,
  loss: 0.05,
  dup: 0.05,
  reorder: 0.2,
};
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('faulty variants are caught by the checkers', () => {
  test('the honest core passes the campaign', () => {
    const result = runCampaign(CAMPAIGN, SEEDS);
    assert.equal(result.violations, 0, JSON.stringify(result.failing.slice(0, 2)));
  });

  test('out-of-order execution is caught', () => {
    const result = runCampaign({ ...CAMPAIGN, replicaFactory: (c, d) => new OutOfOrder(c, d) }, SEEDS);
    assert.ok(result.failing.length > 0, 'some seed fails');
    const all = result.failing.flatMap((f) => f.violations).join('\n');
    assert.match(all, /order|digest|agreement/i);
  });

  test('executing on prepared instead of committed is caught', () => {
    const result = runCampaign(
      {
        ...CAMPAIGN,
        loss: 0.15,
        configOverrides: { requestTimeoutTicks: 20 },
        replicaFactory: (c, d) => new ExecuteOnPrepared(c, d),
      },
      SEEDS,
    );
    assert.ok(result.failing.length > 0, 'some seed fails');
  });
});
