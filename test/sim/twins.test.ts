/**
 * Twins: the scenario enumeration (indexable, one partition into at most two groups per view), a
 * seeded sample of the one-twin enumeration (f = 1 Byzantine id: no violation may appear), the
 * canary (two twinned ids exceed f, so some scenario must fork the correct replicas), and
 * determinism (one index, one result).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findFork,
  formatSchedule,
  isForkViolation,
  nodeName,
  nodesOfId,
  partitionsPerView,
  runTwinsCampaign,
  runTwinsIndex,
  sampleIndices,
  scenarioCount,
  scheduleOf,
  type TwinsSpec,
} from '../../src/sim/index.js';

/** n = 4 with id 0 twinned, three views. */
const ONE: TwinsSpec = { replicas: 4, twins: 1, views: 3 };
/** n = 4 with ids 0 and 1 twinned: more Byzantine keys than f = 1. */
const TWO: TwinsSpec = { replicas: 4, twins: 2, views: 3 };

/** A canonical form of a two-group partition (the sorted group of node 0, then the rest). */
function canonical(groups: readonly number[]): string {
  const first = groups[0];
  return groups.map((g) => (g === first ? 'A' : 'B')).join('');
}

describe('twins enumeration', () => {
  it('has S(5,1) + S(5,2) = 16 partitions per view and 16^3 scenarios for one twin', () => {
    assert.equal(partitionsPerView(ONE), 16);
    assert.equal(scenarioCount(ONE), 4096);
    assert.equal(partitionsPerView(TWO), 32);
    assert.equal(scenarioCount(TWO), 32 ** 3);
    const seen = new Set<string>();
    for (let i = 0; i < 16; i++) seen.add(canonical(scheduleOf(ONE, i).groups[0] ?? []));
    assert.equal(seen.size, 16, 'every view-0 digit is a distinct set partition');
  });

  it('maps each index to one schedule and names the twin instances', () => {
    assert.deepEqual(nodesOfId(ONE, 0), [0, 4]);
    assert.deepEqual(nodesOfId(ONE, 2), [2]);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((n) => nodeName(ONE, n)),
      ['0a', '1', '2', '3', '0b'],
    );
    const s = scheduleOf(ONE, 1 + 16 * 2 + 256 * 15);
    assert.deepEqual(s.groups, [
      [0, 1, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 1, 1, 1, 1],
    ]);
    assert.equal(
      formatSchedule(ONE, s),
      'v0(primary 0)[0a 2 3 0b | 1] v1(primary 1)[0a 1 3 0b | 2] v2(primary 2)[0a | 1 2 3 0b]',
    );
    assert.equal(
      formatSchedule(ONE, scheduleOf(ONE, 0)),
      'v0(primary 0)[all] v1(primary 1)[all] v2(primary 2)[all]',
    );
    assert.throws(() => scheduleOf(ONE, 4096), RangeError);
    assert.deepEqual(sampleIndices(ONE, 20, 7), sampleIndices(ONE, 20, 7));
    assert.equal(new Set(sampleIndices(ONE, 20, 7)).size, 20);
  });
});

describe('twins runs', () => {
  it('one twinned id (f = 1): a seeded sample of 150 scenarios has no violation', () => {
    const indices = sampleIndices(ONE, 150, 1);
    const campaign = runTwinsCampaign(ONE, indices);
    assert.deepEqual(
      campaign.failing.map((f) => `${f.index} ${f.schedule}: ${f.violations.join(' | ')}`),
      [],
    );
    assert.equal(campaign.scenarios, 150);
    assert.equal(campaign.committedRequests, 150 * 24, 'every workload completed after healing');
    assert.ok(campaign.withNewView > 0, 'some scenarios force view changes');
  });

  it('both instances of a twinned id run: same key, separate state', () => {
    const run = runTwinsIndex(ONE, 0);
    assert.deepEqual(run.result.violations, []);
    const [a, , , , b] = run.result.replicas;
    assert.ok(a !== undefined && b !== undefined);
    assert.equal(a.correct, false);
    assert.equal(b.correct, false);
    assert.ok(a.lastExecuted > 0 && b.lastExecuted > 0, 'each instance executes');
    assert.ok((run.result.ignored['conflicting-pre-prepare'] ?? 0) > 0, 'the twin primaries equivocate');
  });

  it('two twinned ids (> f): the canary finds a fork between correct replicas', () => {
    const fork = findFork(TWO, {}, 0, 64);
    assert.ok(fork !== undefined, 'a fork within the first 64 scenarios');
    assert.ok(fork.violations.some(isForkViolation), fork.violations.join(' | '));
    const forked = fork.violations.filter(isForkViolation).join(' ');
    assert.match(forked, /replica [23]/, 'the fork is between correct replicas');
    assert.doesNotMatch(forked, /replica [01] /, 'twinned ids are not held to the rules');
  });

  it('is deterministic: the same index gives the same fingerprint', () => {
    const first = runTwinsIndex(ONE, 1234).result.fingerprint;
    assert.equal(runTwinsIndex(ONE, 1234).result.fingerprint, first);
    assert.notEqual(runTwinsIndex(ONE, 1235).result.fingerprint, first);
  });
});
