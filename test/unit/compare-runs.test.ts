/** `bench compare`'s plan, loop and ratios, and the kill-run arithmetic (stall, recovery). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  analyseKill,
  COMPARE_PROTOCOLS,
  type CompareSpec,
  chooseVictim,
  clusterProtocol,
  computeRatios,
  defaultCompareSpec,
  type KillRunSpec,
  longestStall,
  type ProgressEvent,
  planKills,
  planRuns,
  type RunResult,
  type RunSpec,
  rateBetween,
  ratio,
  retryStart,
  runCompare,
  timeline,
  validateCompareSpec,
} from '../../src/bench/compare/index.js';
import { NetworkStartError } from '../../src/bench/local-network.js';
import { PROTOCOLS } from '../../src/config/index.js';
import { FIXTURE_CALIBRATION, FIXTURE_ENVIRONMENT } from '../support/compare-fixture.js';

/** A small spec: both protocols, f = 1 and 2, two client counts, one kill victim. */
const SPEC: CompareSpec = {
  ...defaultCompareSpec(),
  fValues: [1, 2],
  clientCounts: [1, 8],
  warmupSeconds: 3,
  kill: {
    victims: ['leader'],
    clients: 4,
    killAtSeconds: 2,
    durationSeconds: 6,
    binMs: 500,
    recoveredFraction: 0.8,
  },
};

/** A run result whose figures derive from its spec (throughput = 100 x clients, CFT twice PBFT). */
function result(spec: RunSpec): RunResult {
  const k = spec.protocol === 'cft' ? 2 : 1;
  const perTx = { sign: 1e-5 / k, verify: 4e-5 / k, hash: 1e-6, rest: 1e-3 / k, total: 0 };
  perTx.total = perTx.sign + perTx.verify + perTx.hash + perTx.rest;
  return {
    spec,
    load: {
      seconds: spec.durationSeconds,
      completed: 100 * k * spec.clients * spec.durationSeconds,
      failed: 0,
      throughput: 100 * k * spec.clients,
      latencyMs: { p50: 10 / k, p90: 20 / k, p99: 40 / k, max: 80 / k },
    },
    cost: {
      total: perTx,
      perTx,
      replicaPerTx: perTx,
      attribution: 'counted',
      opsPerTx: { sign: 3 / k, verify: 9 / k, hash: 20 },
      replicaOpsPerTx: { sign: 2 / k, verify: 8 / k, hash: 20 },
      messagesPerTx: 12 / k,
      bytesPerTx: 0,
      processes: [],
    },
  };
}

describe('planning', () => {
  it('alternates protocols within each f and client count, with n from f', () => {
    const plan = planRuns(SPEC).map((s) => `${s.protocol}/${s.f}/${s.replicas}/${s.clients}`);
    assert.deepEqual(plan, [
      'cft/1/3/1',
      'pbft/1/4/1',
      'cft/1/3/8',
      'pbft/1/4/8',
      'cft/2/5/1',
      'pbft/2/7/1',
      'cft/2/5/8',
      'pbft/2/7/8',
    ]);
    const kills = planKills(SPEC);
    assert.deepEqual(
      kills.map((k) => `${k.protocol}/${k.f}/${k.victim}/${k.clients}`),
      ['cft/1/leader/4', 'pbft/1/leader/4', 'cft/2/leader/4', 'pbft/2/leader/4'],
    );
    assert.equal(planKills({ ...SPEC, kill: null }).length, 0);
  });

  it('validates a spec, naming each problem', () => {
    assert.deepEqual(validateCompareSpec(SPEC), []);
    assert.deepEqual(validateCompareSpec(defaultCompareSpec()), []);
    const bad = validateCompareSpec({
      ...SPEC,
      fValues: [0, 1, 1],
      clientCounts: [],
      durationSeconds: 0,
      kill: { ...SPEC.kill!, killAtSeconds: 6 },
    });
    assert.deepEqual(bad, [
      'f: 0 is not a positive integer',
      'f: repeated values',
      'clients: none given',
      'duration must be positive',
      'kill: the kill must fall inside the measured window',
    ]);
  });
});

describe('ratios', () => {
  it('divides PBFT by CFT for each f and client count', () => {
    const rows = computeRatios(planRuns(SPEC).map(result));
    assert.equal(rows.length, 4);
    for (const r of rows) {
      assert.equal(r.throughput, 0.5);
      assert.equal(r.p50, 2);
      assert.equal(r.p99, 2);
      assert.equal(r.messagesPerTx, 2);
      assert.equal(r.cpuPerTx.sign, 2);
      assert.equal(r.cpuPerTx.hash, 1);
      assert.equal(r.bytesPerTx, null, '0 bytes on the CFT side: no ratio');
    }
    assert.deepEqual(
      rows.map((r) => [r.f, r.clients]),
      [
        [1, 1],
        [1, 8],
        [2, 1],
        [2, 8],
      ],
    );
  });

  it('skips pairs where one protocol has no run', () => {
    const runs = planRuns(SPEC)
      .map(result)
      .filter((r) => !(r.spec.protocol === 'cft' && r.spec.f === 2));
    assert.deepEqual(
      computeRatios(runs).map((r) => r.f),
      [1, 1],
    );
  });

  it('has no ratio for a zero or missing divisor', () => {
    assert.equal(ratio(1, 0), null);
    assert.equal(ratio(undefined, 2), null);
    assert.equal(ratio(3, 2), 1.5);
  });
});

describe('runCompare', () => {
  it('runs every run and kill run in order, reports progress, and keeps going after a failure', async () => {
    const seen: string[] = [];
    const events: ProgressEvent[] = [];
    let clock = 0;
    const out = await runCompare(SPEC, {
      runOne: async (s) => {
        seen.push(`run ${s.protocol} ${s.f} ${s.clients}`);
        clock += 1000 * (s.warmupSeconds + s.durationSeconds);
        if (s.protocol === 'pbft' && s.f === 2 && s.clients === 8) throw new Error('replica 3 exited');
        return result(s);
      },
      runKill: async (s) => {
        seen.push(`kill ${s.protocol} ${s.f}`);
        return analyseKill(s, 0, [100, 200, 2500, 5000], 0);
      },
      environment: FIXTURE_ENVIRONMENT,
      calibration: FIXTURE_CALIBRATION,
      nowMs: () => clock,
      onProgress: (e) => events.push(e),
    });
    assert.equal(seen.length, 12);
    assert.equal(out.runs.length, 7);
    assert.equal(out.kills.length, 4);
    assert.deepEqual(out.failures, [{ label: 'pbft f=2 n=7 clients=8', message: 'replica 3 exited' }]);
    assert.equal(out.ratios.length, 3, 'the failed pair has no ratio');
    assert.equal(out.wallSeconds, 8 * 13);
    assert.equal(events.length, 24);
    assert.deepEqual(
      events.slice(0, 2).map((e) => [e.phase, e.index, e.total, e.label]),
      [
        ['start', 0, 12, 'cft f=1 n=3 clients=1'],
        ['end', 0, 12, 'cft f=1 n=3 clients=1'],
      ],
    );
    const last = events.at(-1)!;
    assert.equal(last.plannedSecondsBefore + last.plannedSeconds, last.totalPlannedSeconds);
    assert.equal(events.find((e) => e.error !== undefined)?.label, 'pbft f=2 n=7 clients=8');
  });

  it('repeats runs in rounds over the plan and reports the median repetition of each', async () => {
    const seen: string[] = [];
    const scale = [1, 3, 2]; // round r multiplies throughput by scale[r]
    const rounds = new Map<string, number>();
    const out = await runCompare(
      { ...SPEC, fValues: [1], clientCounts: [1], kill: null, repeat: 3 },
      {
        runOne: async (s) => {
          const key = `${s.protocol}`;
          const round = rounds.get(key) ?? 0;
          rounds.set(key, round + 1);
          seen.push(`${s.protocol}#${round}`);
          const r = result(s);
          return { ...r, load: { ...r.load, throughput: r.load.throughput * scale[round]! } };
        },
        runKill: async (s) => analyseKill(s, 0, [], 0),
        environment: FIXTURE_ENVIRONMENT,
        calibration: FIXTURE_CALIBRATION,
        nowMs: () => 0,
      },
    );
    assert.deepEqual(
      seen,
      ['cft#0', 'pbft#0', 'cft#1', 'pbft#1', 'cft#2', 'pbft#2'],
      'rounds, not runs in a row',
    );
    assert.deepEqual(
      out.runs.map((r) => [r.spec.protocol, r.load.throughput, r.repeatThroughputs]),
      [
        ['cft', 400, [200, 600, 400]],
        ['pbft', 200, [100, 300, 200]],
      ],
    );
    assert.equal(out.ratios[0]?.throughput, 0.5, 'ratios of the medians');
  });

  it('refuses a repeat count that is not a positive integer', () => {
    assert.match(validateCompareSpec({ ...SPEC, repeat: 0 }).join(), /repeat/);
    assert.match(validateCompareSpec({ ...SPEC, repeat: 1.5 }).join(), /repeat/);
  });

  it('refuses an invalid spec before running anything', async () => {
    let ran = false;
    const deps = {
      runOne: async (s: RunSpec) => {
        ran = true;
        return result(s);
      },
      runKill: async (s: KillRunSpec) => analyseKill(s, 0, [], 0),
      environment: FIXTURE_ENVIRONMENT,
      calibration: FIXTURE_CALIBRATION,
      nowMs: () => 0,
    };
    await assert.rejects(runCompare({ ...SPEC, protocols: [] }, deps), /protocols: none given/);
    assert.equal(ran, false);
  });
});

describe('kill runs', () => {
  const spec = planKills(SPEC)[1]!; // pbft f=1, kill at 2 s of 6, 500 ms bins

  it('bins completions into throughput per second, the last bin by its true width', () => {
    assert.deepEqual(timeline([0, 100, 600, 1999], 2000, 500), [
      { tSeconds: 0, throughput: 4 },
      { tSeconds: 0.5, throughput: 2 },
      { tSeconds: 1, throughput: 0 },
      { tSeconds: 1.5, throughput: 2 },
    ]);
    assert.deepEqual(timeline([1100], 1200, 500).at(-1), { tSeconds: 1, throughput: 5 });
    assert.equal(rateBetween([0, 1, 2, 3], 1, 3), 1000);
  });

  it('finds the longest commit-free interval after the kill, or until the end', () => {
    assert.deepEqual(longestStall([100, 2100, 2200, 3500, 3600], 2000, 6000), {
      startMs: 3600,
      lengthMs: 2400,
    });
    assert.deepEqual(longestStall([100, 2100, 3900, 4000, 5500, 5999], 2000, 6000), {
      startMs: 2100,
      lengthMs: 1800,
    });
    assert.deepEqual(longestStall([1900, 2600, 2700], 2000, 2800), { startMs: 2000, lengthMs: 600 });
  });

  it('reports stall and recovery: recovered at the end of the first bin back at 80% after the stall', () => {
    const every = (from: number, to: number, step: number) =>
      Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step);
    const completions = [...every(0, 2000, 10), ...every(3300, 6000, 10)]; // 100/s, nothing in 2.0-3.3 s
    const k = analyseKill(spec, 0, completions, 3);
    assert.equal(k.throughputBefore, 100);
    assert.equal(k.throughputAfter, 100);
    assert.equal(k.stallStartSeconds, 2);
    assert.ok(Math.abs(k.stallSeconds - 1.3) < 1e-9);
    assert.equal(k.recoverySeconds, 2, 'bin 3.5-4.0 s is the first full one back; 4.0 - 2.0');
    assert.equal(k.failed, 3);
    assert.equal(k.committed, completions.length);
  });

  it('never recovers when nothing commits after the kill', () => {
    const k = analyseKill(spec, 0, [100, 500, 1500], 0);
    assert.equal(k.recoverySeconds, null);
    assert.equal(k.stallSeconds, 4);
    assert.equal(k.throughputAfter, 0);
  });
});

describe('the real runners’ choices', () => {
  it('kills the leader most replicas report (PBFT primary or CFT leader), or a follower', () => {
    const pbft = [{ primary: 1 }, { primary: 1 }, { primary: 2 }, { id: 3, error: 'down' }];
    assert.equal(chooseVictim(pbft, 'leader', 4), 1);
    assert.equal(chooseVictim(pbft, 'follower', 4), 3);
    const cft = [{ leader: 4 }, { leader: 4 }, { leader: 4 }];
    assert.equal(chooseVictim(cft, 'leader', 5), 4);
    assert.equal(chooseVictim(cft, 'follower', 5), 3, 'the highest id that is not the leader');
    assert.equal(
      chooseVictim([{ primary: 0 }, { primary: 1 }], 'leader', 4),
      0,
      'a tie goes to the lower id',
    );
  });

  it('refuses to guess when no replica reports a leader in range', () => {
    assert.throws(
      () => chooseVictim([{ error: 'down' }, { primary: 7 }, { leader: -1 }], 'leader', 4),
      /no replica/,
    );
  });

  it('runs a protocol only when this build has its runtime', () => {
    for (const p of COMPARE_PROTOCOLS) {
      if ((PROTOCOLS as readonly string[]).includes(p)) assert.equal(clusterProtocol(p), p);
      else assert.throws(() => clusterProtocol(p), new RegExp(`no ${p} runtime`));
    }
    assert.equal(clusterProtocol('pbft'), 'pbft');
  });
});

describe('retryStart', () => {
  it('starts again once when the network did not connect in time, and says so', async () => {
    const notes: string[] = [];
    let calls = 0;
    const value = await retryStart(
      async () => {
        calls++;
        if (calls === 1) throw new NetworkStartError('timeout', 'timed out waiting for replicas to connect');
        return 42;
      },
      (line) => notes.push(line),
    );
    assert.equal(value, 42);
    assert.equal(calls, 2);
    assert.deepEqual(notes, ['timed out waiting for replicas to connect; starting the network again']);
  });

  it('does not retry a replica that exited, any other error, or a second timeout', async () => {
    for (const err of [new NetworkStartError('exited', 'replica 1 exited'), new Error('boom')]) {
      let calls = 0;
      await assert.rejects(
        retryStart(async () => {
          calls++;
          throw err;
        }),
        err,
      );
      assert.equal(calls, 1);
    }
    let calls = 0;
    await assert.rejects(
      retryStart(async () => {
        calls++;
        throw new NetworkStartError('timeout', `attempt ${calls}`);
      }),
      /attempt 2/,
    );
  });
});
