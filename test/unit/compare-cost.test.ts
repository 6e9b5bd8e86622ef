/** The cost split of `bench compare`: timed and estimated crypto, the rest, per-transaction figures. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildRunResult,
  costAccount,
  type ProcessSample,
  planRuns,
  processCost,
  sampleDelta,
  sampleDeltas,
} from '../../src/bench/compare/index.js';
import { type CryptoCalibration, zeroCryptoCounters } from '../../src/crypto/index.js';

/** Round numbers: sign 40 us, verify 100 us, hash 2 us per call + 1 us per KB, timer 1 us. */
const CAL: CryptoCalibration = {
  signSeconds: 40e-6,
  verifySeconds: 100e-6,
  sha256CallSeconds: 2e-6,
  sha256KbSeconds: 1e-6,
  timerSeconds: 1e-6,
  messageBytes: 200,
  rounds: 1,
};

/** A sample with the given figures (counts in `count`, timed seconds in `seconds`). */
function sample(
  name: string,
  over: {
    cpu: number;
    count?: Partial<ProcessSample['crypto']['count']>;
    seconds?: Partial<ProcessSample['crypto']['seconds']>;
    hashBytes?: number;
    messages?: number;
    bytes?: number;
    role?: ProcessSample['role'];
  },
): ProcessSample {
  const z = zeroCryptoCounters();
  return {
    role: over.role ?? 'replica',
    name,
    cpuSeconds: over.cpu,
    crypto: {
      count: { ...z.count, ...over.count },
      seconds: { ...z.seconds, ...over.seconds },
      hashBytes: over.hashBytes ?? 0,
      timing: true,
    },
    messagesOut: over.messages ?? 0,
    bytesOut: over.bytes ?? 0,
    missing: [],
  };
}

/** Asserts two numbers are equal to 1e-12 (sums of binary fractions). */
function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} != ${expected}`);
}

describe('processCost', () => {
  it('takes timed crypto as measured less the timer per call, and the rest as what remains', () => {
    const p = processCost(
      sample('r', {
        cpu: 1,
        count: { sign: 1000, 'verify-inline': 2000, hash: 10_000 },
        seconds: { sign: 0.05, 'verify-inline': 0.25, hash: 0.03 },
        hashBytes: 1024 * 1000,
      }),
      CAL,
    );
    near(p.seconds.sign, 0.05 - 1000 * 1e-6, 'sign');
    near(p.seconds.verify, 0.25 - 2000 * 1e-6, 'verify');
    near(p.seconds.hash, 0.03 - 10_000 * 1e-6, 'hash');
    near(p.seconds.rest, 1 - 0.049 - 0.248 - 0.02, 'rest');
    near(p.seconds.total, 1, 'total');
    assert.deepEqual(p.estimated, []);
    assert.equal(p.clipped, false);
  });

  it('attributes pool verifications and untimed ops as calls x calibrated cost', () => {
    const p = processCost(
      sample('r', {
        cpu: 2,
        count: { sign: 100, 'verify-inline': 10, 'verify-pool': 500, hash: 1000 },
        seconds: { 'verify-inline': 0.002 },
        hashBytes: 2048 * 1000,
      }),
      CAL,
    );
    near(p.seconds.sign, 100 * 40e-6, 'sign (untimed)');
    near(p.seconds.verify, 0.002 - 10 * 1e-6 + 500 * 100e-6, 'verify (timed inline + pool)');
    near(p.seconds.hash, 1000 * 2e-6 + 2000 * 1e-6, 'hash (untimed: per call + per KB)');
    assert.deepEqual(p.estimated, ['sign', 'verify', 'hash']);
    near(p.seconds.total, 2, 'total');
  });

  it('never lets the rest go negative: crypto above CPU time is flagged as clipped', () => {
    const p = processCost(sample('r', { cpu: 0.01, count: { sign: 1 }, seconds: { sign: 0.02 } }), CAL);
    assert.equal(p.seconds.rest, 0);
    assert.equal(p.clipped, true);
    near(p.seconds.total, 0.02 - 1e-6, 'total is the sum of the parts');
  });

  it('with counted attribution, ignores timings and charges every call its calibrated cost', () => {
    const p = processCost(
      sample('r', {
        cpu: 1,
        count: { sign: 100, 'verify-inline': 200, 'verify-pool': 300, hash: 1000 },
        seconds: { sign: 0.5, 'verify-inline': 0.4, hash: 0.3 },
        hashBytes: 1024 * 500,
      }),
      CAL,
      'counted',
    );
    near(p.seconds.sign, 100 * 40e-6, 'sign');
    near(p.seconds.verify, 500 * 100e-6, 'verify (inline and pool)');
    near(p.seconds.hash, 1000 * 2e-6 + 500 * 1e-6, 'hash');
    near(p.seconds.rest, 1 - 0.004 - 0.05 - 0.0025, 'rest');
    assert.deepEqual(p.estimated, ['sign', 'verify', 'hash']);
    assert.equal(p.clipped, false, 'inflated timings do not clip the rest');
    assert.deepEqual(p.ops, { sign: 100, verify: 500, hash: 1000 });
    assert.deepEqual(p.timedSeconds, { sign: 0.5, verify: 0.4, hash: 0.3 }, 'timings kept for comparison');
  });

  it('a process with no crypto is all rest', () => {
    const p = processCost(sample('r', { cpu: 0.5 }), CAL);
    assert.deepEqual(p.seconds, { sign: 0, verify: 0, hash: 0, rest: 0.5, total: 0.5 });
  });
});

describe('sampleDelta', () => {
  it('subtracts every counter and unions what was missing', () => {
    const a = {
      ...sample('replica-1', { cpu: 1, count: { sign: 5 }, messages: 10, bytes: 100 }),
      missing: ['x'],
    };
    const b = {
      ...sample('replica-1', { cpu: 3, count: { sign: 9 }, messages: 25, bytes: 400 }),
      missing: ['y'],
    };
    const d = sampleDelta(a, b);
    assert.equal(d.cpuSeconds, 2);
    assert.equal(d.crypto.count.sign, 4);
    assert.equal(d.messagesOut, 15);
    assert.equal(d.bytesOut, 300);
    assert.deepEqual(d.missing, ['x', 'y']);
  });

  it('refuses samples of two different processes', () => {
    assert.throws(
      () => sampleDelta(sample('replica-0', { cpu: 0 }), sample('replica-1', { cpu: 1 })),
      /different/,
    );
  });

  it('matches processes by name and drops one that was not there at the start', () => {
    const before = [sample('replica-0', { cpu: 1 }), sample('replica-1', { cpu: 1 })];
    const after = [
      sample('replica-1', { cpu: 4 }),
      sample('replica-0', { cpu: 2 }),
      sample('late', { cpu: 9 }),
    ];
    assert.deepEqual(
      sampleDeltas(before, after).map((d) => [d.name, d.cpuSeconds]),
      [
        ['replica-1', 3],
        ['replica-0', 1],
      ],
    );
  });
});

describe('costAccount', () => {
  it('sums processes, divides by committed transactions, and keeps replicas apart', () => {
    const deltas = [
      sample('replica-0', { cpu: 0.6, messages: 300, bytes: 30_000 }),
      sample('replica-1', { cpu: 0.4, messages: 200, bytes: 20_000 }),
      sample('clients', { cpu: 0.2, messages: 100, bytes: 10_000, role: 'client' }),
    ];
    const a = costAccount(deltas, 100, CAL);
    near(a.total.total, 1.2, 'total CPU');
    near(a.perTx.total, 0.012, 'CPU per tx');
    near(a.replicaPerTx.total, 0.01, 'replica CPU per tx');
    assert.equal(a.messagesPerTx, 6);
    assert.equal(a.bytesPerTx, 600);
    assert.equal(a.processes.length, 3);
    assert.equal(a.attribution, 'timed', 'the default');
  });

  it('counts crypto operations per transaction, all processes and replicas alone', () => {
    const deltas = [
      sample('replica-0', { cpu: 1, count: { sign: 300, 'verify-inline': 500, hash: 40 } }),
      sample('replica-1', { cpu: 1, count: { sign: 300, 'verify-pool': 600, hash: 60 } }),
      sample('clients', { cpu: 1, count: { sign: 100, 'verify-inline': 200 }, role: 'client' }),
    ];
    const a = costAccount(deltas, 100, CAL, 'counted');
    assert.equal(a.attribution, 'counted');
    assert.deepEqual(a.opsPerTx, { sign: 7, verify: 13, hash: 1 });
    assert.deepEqual(a.replicaOpsPerTx, { sign: 6, verify: 11, hash: 1 });
    assert.deepEqual(costAccount(deltas, 0, CAL).opsPerTx, { sign: 0, verify: 0, hash: 0 });
  });

  it('gives zero per-transaction figures when nothing committed', () => {
    const a = costAccount([sample('replica-0', { cpu: 1, messages: 5 })], 0, CAL);
    assert.equal(a.perTx.total, 0);
    assert.equal(a.messagesPerTx, 0);
    near(a.total.total, 1, 'the CPU is still reported in total');
  });

  it('buildRunResult splits the window between two sets of samples', () => {
    const spec = planRuns({
      protocols: ['pbft'],
      fValues: [1],
      clientCounts: [2],
      durationSeconds: 5,
      warmupSeconds: 1,
      workload: 'transfer',
      requestBytes: 0,
      unsignedRequests: false,
      kill: null,
      repeat: 1,
    })[0]!;
    const load = {
      seconds: 5,
      completed: 50,
      failed: 0,
      throughput: 10,
      latencyMs: { p50: 1, p90: 2, p99: 3, max: 4 },
    };
    const r = buildRunResult(
      spec,
      load,
      [sample('replica-0', { cpu: 10 })],
      [sample('replica-0', { cpu: 10.5 })],
      CAL,
    );
    near(r.cost.perTx.rest, 0.01, 'rest per tx');
    assert.equal(r.spec.replicas, 4);
  });
});
