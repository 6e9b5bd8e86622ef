/**
 * Proof that the crash-fault checkers bite: deliberately broken variants of the core (test-only
 * subclasses, passed as `cftFactory`) run through the same kind of campaign as the honest one and
 * must be caught. One commits an entry on the leader's word alone, without a majority; the other
 * grants its vote to every candidate of a term.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CftReplica } from '../../src/core/cft/replica.js';
import type { CftConfig, CftDeps, CftRecoveredState } from '../../src/core/cft/types.js';
import type { CftVerified } from '../../src/messages/cft-types.js';
import { type CftReplicaFactory, runCampaign, type SimOptions } from '../../src/sim/index.js';

/** Bug: the leader commits each entry of its term as soon as it appends it (a "majority" of one). */
class CommitAlone extends CftReplica {
  protected override advanceCommit(): void {
    if (this.isLeader && this.log.lastTerm === this.currentTerm) this.commitTo(this.log.lastIndex);
    super.advanceCommit();
  }
}

/** Bug: forgets the vote it cast, so it votes for every up-to-date candidate of a term. */
class VotesTwice extends CftReplica {
  protected override refuseVote(msg: CftVerified<'request-vote'>): 'already-voted' | 'stale-log' | null {
    const reason = super.refuseVote(msg);
    return reason === 'already-voted' && this.currentRole === 'follower' ? null : reason;
  }
}

/** A factory for a variant (restarts recover into the same variant). */
function factory(variant: typeof CftReplica): CftReplicaFactory {
  return (config: CftConfig, deps: CftDeps, recovered?: CftRecoveredState) =>
    recovered === undefined ? new variant(config, deps) : variant.recover(config, deps, recovered);
}

const CAMPAIGN: Omit<SimOptions, 'seed'> = {
  protocol: 'cft',
  replicas: 3,
  requests: 100,
  crash: true,
  partition: true,
  loss: 0.03,
  faultPhaseMs: 10_000,
};
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('faulty crash-fault variants are caught by the checkers', () => {
  test('the honest core passes the campaign', () => {
    const c = runCampaign(CAMPAIGN, SEEDS);
    assert.deepEqual(c.failing, []);
  });

  test('committing without a majority is caught', () => {
    const c = runCampaign({ ...CAMPAIGN, cftFactory: factory(CommitAlone) }, SEEDS);
    assert.ok(c.failing.length > 0, 'some seed fails');
    const all = c.failing.flatMap((f) => f.violations).join('\n');
    assert.match(all, /agreement|completion|checkpoint|exception|invariant/);
  });

  test('granting two votes in one term is caught', () => {
    const c = runCampaign({ ...CAMPAIGN, replicas: 5, cftFactory: factory(VotesTwice) }, SEEDS);
    assert.ok(c.failing.length > 0, 'some seed fails');
    const all = c.failing.flatMap((f) => f.violations).join('\n');
    assert.match(all, /vote: replica \d+ term \d+: voted for \d+ after voting for \d+/);
  });
});
