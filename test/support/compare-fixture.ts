/**
 * A deterministic CompareResult for tests of the table, the JSON file and the report: plausible
 * figures for CFT and PBFT at f = 1 and 2 drawn from a seeded PRNG, with per-process samples built
 * so the cost split has real arithmetic to do, and kill runs analysed from synthetic completions.
 */

import {
  analyseKill,
  buildRunResult,
  type CompareResult,
  computeRatios,
  defaultCompareSpec,
  type Environment,
  type KillResult,
  type KillRunSpec,
  type ProcessSample,
  planKills,
  planRuns,
  type RunResult,
  type RunSpec,
} from '../../src/bench/compare/index.js';
import { Prng } from '../../src/core/prng.js';
import type { CryptoCalibration, CryptoCounters } from '../../src/crypto/index.js';

/** A calibration with round numbers (microseconds: sign 35, verify 105, hash 1.5 + 0.75 per KB). */
export const FIXTURE_CALIBRATION: CryptoCalibration = {
  signSeconds: 35e-6,
  verifySeconds: 105e-6,
  sha256CallSeconds: 1.5e-6,
  sha256KbSeconds: 0.75e-6,
  timerSeconds: 0.1e-6,
  messageBytes: 200,
  rounds: 5,
};

/** A fixed environment (no machine facts leak into fixtures). */
export const FIXTURE_ENVIRONMENT: Environment = {
  command: 'bftledger bench compare --f 1,2 --clients 1,4,16,32 --out bench-results/compare',
  bftledgerVersion: '0.1.0',
  commit: '0123456789abcdef0123456789abcdef01234567',
  node: 'v20.20.2',
  dependencies: { libp2p: '3.3.11', vega: '6.4.0', 'vega-lite': '6.4.3' },
  cpuModel: 'Test CPU @ 2.00GHz',
  cores: 2,
  memoryBytes: 24 * 2 ** 30,
  os: 'Linux 6.1.0 (linux/x64)',
  loadAverage: [0.5, 0.75, 1],
  date: '2025-01-02T03:04:05.000Z',
};

/** Crypto counters with the given counts, timed at the calibrated cost (pool work untimed). */
function counters(
  sign: number,
  inline: number,
  pool: number,
  hashes: number,
  hashBytes: number,
): CryptoCounters {
  const c = FIXTURE_CALIBRATION;
  const timer = c.timerSeconds;
  return {
    count: { sign, 'verify-inline': inline, 'verify-pool': pool, hash: hashes },
    seconds: {
      sign: sign * (c.signSeconds + timer),
      'verify-inline': inline * (c.verifySeconds + timer),
      'verify-pool': 0,
      hash: hashes * (c.sha256CallSeconds + timer) + (hashBytes / 1024) * c.sha256KbSeconds,
    },
    hashBytes,
    timing: true,
  };
}

/** One process's sample after `tx` transactions, from per-transaction rates. */
function sampleAfter(
  role: ProcessSample['role'],
  name: string,
  tx: number,
  rates: { sign: number; verify: number; pool: number; restUs: number; messages: number; bytes: number },
): ProcessSample {
  const crypto = counters(
    Math.round(rates.sign * tx),
    Math.round(rates.verify * tx),
    Math.round(rates.pool * tx),
    Math.round(3 * tx),
    Math.round(600 * tx),
  );
  const cryptoSeconds = crypto.seconds.sign + crypto.seconds['verify-inline'] + crypto.seconds.hash;
  const poolSeconds = crypto.count['verify-pool'] * FIXTURE_CALIBRATION.verifySeconds;
  return {
    role,
    name,
    cpuSeconds: cryptoSeconds + poolSeconds + (rates.restUs * tx) / 1e6,
    crypto,
    messagesOut: Math.round(rates.messages * tx),
    bytesOut: Math.round(rates.bytes * tx),
    missing: [],
  };
}

/** A sample of a process that has done nothing yet. */
function sampleZero(role: ProcessSample['role'], name: string): ProcessSample {
  return sampleAfter(role, name, 0, { sign: 0, verify: 0, pool: 0, restUs: 0, messages: 0, bytes: 0 });
}

/** A run with plausible figures for its protocol, f and clients. */
function fixtureRun(spec: RunSpec, rng: Prng): RunResult {
  const pbft = spec.protocol === 'pbft';
  const jitter = () => rng.uniform(0.95, 1.05);
  const peak = (pbft ? 420 : 950) / (1 + 0.25 * (spec.f - 1));
  const throughput = Math.round((peak * (1 - Math.exp(-spec.clients / 6)) + 40) * jitter());
  const floorMs = pbft ? 11 : 4;
  const p50 = Math.max(floorMs, (spec.clients / throughput) * 1000) * jitter();
  const completed = throughput * spec.durationSeconds;
  const n = spec.replicas;
  const batch = Math.max(1, spec.clients / 2);
  const replicaRates = {
    sign: pbft ? (2 + 1 / batch) * jitter() : 0,
    verify: pbft ? (1 + (2 * (n - 1)) / batch) * jitter() : 0.4,
    pool: pbft ? 0.3 : 0,
    restUs: (pbft ? 900 : 600) * jitter(),
    messages: pbft ? (2 * (n - 1)) / batch + 1 : (n - 1) / batch + 0.4,
    bytes: pbft ? 900 + 400 * n : 500 + 150 * n,
  };
  const clientRates = {
    sign: 1,
    verify: pbft ? spec.f + 1 : 0,
    pool: 0,
    restUs: 300,
    messages: 1,
    bytes: 400,
  };
  const names = Array.from({ length: n }, (_, i) => `replica-${i}`);
  const before = [...names.map((nm) => sampleZero('replica', nm)), sampleZero('client', 'clients')];
  const after = [
    ...names.map((nm) => sampleAfter('replica', nm, completed, replicaRates)),
    sampleAfter('client', 'clients', completed, clientRates),
  ];
  const latencyMs = { p50, p90: p50 * 1.6, p99: p50 * 3.1, max: p50 * 5 };
  const rounded = Object.fromEntries(
    Object.entries(latencyMs).map(([k, v]) => [k, Math.round(v * 100) / 100]),
  );
  const load = {
    seconds: spec.durationSeconds,
    completed,
    failed: 0,
    throughput,
    latencyMs: rounded as typeof latencyMs,
  };
  return buildRunResult(spec, load, before, after, FIXTURE_CALIBRATION);
}

/** A kill run: steady commits, a stall after the kill (longer for a PBFT view change), then recovery. */
function fixtureKill(spec: KillRunSpec, rng: Prng): KillResult {
  const pbft = spec.protocol === 'pbft';
  const rate = pbft ? 300 : 700;
  const stallMs = pbft ? 1400 : 650;
  const killMs = spec.killAtSeconds * 1000;
  const endMs = spec.durationSeconds * 1000;
  const completions: number[] = [];
  for (let t = 0; t < endMs; t += (1000 / rate) * rng.uniform(0.5, 1.5)) {
    if (t >= killMs + 20 && t < killMs + 20 + stallMs) continue;
    completions.push(t);
  }
  return analyseKill(spec, pbft ? 0 : 1, completions, 0);
}

/** The fixture: every planned run and kill run of the default spec, seeded by `seed`. */
export function compareFixture(seed = 7): CompareResult {
  const spec = defaultCompareSpec();
  const rng = new Prng(seed);
  const runs = planRuns(spec).map((s) => fixtureRun(s, rng));
  const kills = planKills(spec).map((s) => fixtureKill(s, rng));
  return {
    format: 'bftledger-compare',
    version: 1,
    spec,
    environment: FIXTURE_ENVIRONMENT,
    calibration: FIXTURE_CALIBRATION,
    runs,
    ratios: computeRatios(runs),
    kills,
    failures: [],
    wallSeconds: 412,
  };
}
