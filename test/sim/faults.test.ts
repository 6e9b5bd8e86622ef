/**
 * The fault machinery on its own: partition link filters (symmetric, one-way, isolation, client
 * placement), the random fault plan (inside the phase, never more than f down), the validation of
 * the new options, the liveness bound, restarts from the store alone, and exact replay with faults.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRng } from '../../src/core/prng.js';
import {
  activePartition,
  cuts,
  type Endpoint,
  type FaultEvent,
  randomFaultPlan,
  resolveOptions,
  runSimulation,
  SimOptionError,
  type SimOptions,
} from '../../src/sim/index.js';

const replica = (id: number): Endpoint => ({ role: 'replica', id });
const client = (id: number): Endpoint => ({ role: 'client', id });

describe('partitions', () => {
  it('symmetric: no message crosses between groups; unlisted replicas are unaffected', () => {
    const p = activePartition({ atMs: 0, type: 'partition', groups: [[0, 1], [2]] }, 4, 2);
    assert.equal(cuts(p, replica(0), replica(2)), true);
    assert.equal(cuts(p, replica(2), replica(1)), true);
    assert.equal(cuts(p, replica(0), replica(1)), false);
    assert.equal(cuts(p, replica(3), replica(2)), false, 'replica 3 is in no group');
    assert.equal(cuts(p, client(0), replica(2)), false, 'clients default to every side');
  });

  it('one-way: group 0 -> group 1 is dropped, the other direction is delivered', () => {
    const p = activePartition({ atMs: 0, type: 'partition', groups: [[1], [2, 3]], oneWay: true }, 4, 1);
    assert.equal(cuts(p, replica(1), replica(2)), true);
    assert.equal(cuts(p, replica(3), replica(1)), false);
  });

  it('isolation cuts a replica off from every replica and client; clients may sit on one side', () => {
    const iso = activePartition({ atMs: 0, type: 'isolate', replicas: [2, 3] }, 4, 2);
    assert.equal(cuts(iso, replica(2), replica(3)), true, 'isolated replicas are alone');
    assert.equal(cuts(iso, replica(0), replica(2)), true);
    assert.equal(cuts(iso, client(1), replica(3)), true);
    assert.equal(cuts(iso, replica(3), client(0)), true);
    assert.equal(cuts(iso, client(0), replica(1)), false);
    const placed = activePartition(
      { atMs: 0, type: 'partition', groups: [[0], [1, 2, 3]], clients: [0, 'all'] },
      4,
      2,
    );
    assert.equal(cuts(placed, client(0), replica(1)), true, 'client 0 sits with replica 0');
    assert.equal(cuts(placed, client(0), replica(0)), false);
    assert.equal(cuts(placed, client(1), replica(0)), false, 'client 1 reaches both sides');
    assert.equal(cuts(placed, client(1), replica(3)), false);
  });
});

describe('random fault plan', () => {
  it('stays inside the phase and never has more than maxDown replicas down', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const plan = randomFaultPlan(
        { n: 7, clients: 3, maxDown: 2, phaseMs: 20_000, crash: true, partition: true },
        seededRng(seed),
      );
      const down = new Set<number>();
      let peak = 0;
      for (const e of plan) {
        assert.ok(e.atMs >= 0 && e.atMs < 20_000);
        if (e.type === 'crash') for (const r of e.replicas) down.add(r);
        if (e.type === 'restart') for (const r of e.replicas) down.delete(r);
        peak = Math.max(peak, down.size);
      }
      assert.ok(peak <= 2, `seed ${seed}: ${peak} down at once`);
      assert.ok(plan.some((e) => e.type === 'crash') && plan.some((e) => e.type === 'partition'));
    }
    const none = randomFaultPlan(
      { n: 4, clients: 1, maxDown: 0, phaseMs: 20_000, crash: true, partition: false },
      seededRng(1),
    );
    assert.deepEqual(none, [], 'no crash when no replica may be down');
  });
});

describe('fault options', () => {
  it('are validated with clear messages', () => {
    const bad: [Partial<SimOptions>, RegExp][] = [
      [{ faultPhaseMs: 0 }, /faultPhaseMs/],
      [{ livenessBoundMs: -1 }, /livenessBoundMs/],
      [{ crashEveryWrite: 4 }, /crashEveryWrite/],
      [{ crash: true, maxTimeMs: 10_000 }, /maxTimeMs/],
      [{ schedule: [{ atMs: 30_000, type: 'heal' }] }, /outside the fault phase/],
      [{ schedule: [{ atMs: 5, type: 'crash', replicas: [9] }] }, /replica id/],
      [{ schedule: [{ atMs: 5, type: 'partition', groups: [[0, 1], [1]] }] }, /overlap/],
      [{ schedule: [{ atMs: 5, type: 'partition', groups: [[0]] }] }, /two or more groups/],
      [{ schedule: [{ atMs: 5, type: 'partition', groups: [[0], [1], [2]], oneWay: true }] }, /exactly two/],
      [{ schedule: [{ atMs: 5, type: 'partition', groups: [[0], [1]], clients: 2 }] }, /client group/],
      [{ schedule: [{ atMs: 5, type: 'partition', groups: [[0], [1]], clients: [0] }] }, /places 1 clients/],
      [{ thinkMs: -5 }, /thinkMs/],
    ];
    for (const [options, pattern] of bad) {
      assert.throws(
        () => resolveOptions({ seed: 1, ...options }),
        (e: unknown) => e instanceof SimOptionError && pattern.test(e.message),
        JSON.stringify(options),
      );
    }
    const quiet = resolveOptions({ seed: 1 });
    assert.equal(quiet.faults, false);
    assert.equal(quiet.thinkMs, 0);
    const loud = resolveOptions({ seed: 1, crash: true });
    assert.equal(loud.faults, true);
    assert.ok(loud.thinkMs > 0, 'with faults the workload spreads over the phase');
  });
});

describe('crash, restart and the liveness bound', () => {
  it('a replica restarted from its store alone resumes where it stopped and catches up', () => {
    const schedule: FaultEvent[] = [
      { atMs: 300, type: 'crash', replicas: [2] },
      { atMs: 900, type: 'restart', replicas: [2] },
    ];
    const r = runSimulation({
      seed: 8,
      requests: 60,
      thinkMs: 20,
      faultPhaseMs: 1500,
      drainMs: 500,
      schedule,
    });
    assert.deepEqual(r.violations, []);
    assert.equal(r.crashes, 1);
    assert.equal(r.restarts, 1);
    assert.equal(r.committedRequests, 60);
    const me = r.replicas[2]!;
    assert.equal(me.status, 'up');
    assert.ok(r.replicas.every((x) => x.digest === me.digest && x.lastExecuted === me.lastExecuted));
  });

  it('a request still pending past the bound after the fault phase is a liveness violation naming it', () => {
    // More than f replicas stay cut off until the very end: nothing can commit in the phase, and a
    // bound shorter than a view change after healing cannot be met.
    const r = runSimulation({
      seed: 2,
      requests: 8,
      faultPhaseMs: 2000,
      livenessBoundMs: 5,
      schedule: [{ atMs: 0, type: 'isolate', replicas: [0, 1] }],
    });
    assert.ok(r.violations.length > 0);
    assert.match(
      r.violations[0]!,
      /^liveness: client \d+ timestamp \d+ \(issued at \d+ ms\) not completed by/,
    );
    assert.equal(r.livenessPassed, false);
  });

  it('a run with crashes and partitions replays bit for bit from its seed', () => {
    const options: SimOptions = {
      seed: 4242,
      crash: true,
      partition: true,
      requests: 40,
      faultPhaseMs: 6000,
    };
    const a = runSimulation(options);
    const b = runSimulation(options);
    assert.deepEqual(a, b);
    assert.ok(a.crashes > 0 && a.partitions > 0);
    assert.notEqual(runSimulation({ ...options, seed: 4243 }).fingerprint, a.fingerprint);
  });
});
