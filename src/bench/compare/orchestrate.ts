/**
 * The comparison loop. It expands a CompareSpec into runs, calls the injected runners one run at a
 * time (real processes are started by them, not here), records failures without losing the rest,
 * and computes the PBFT / CFT ratios. Runs alternate between protocols for each (f, clients) pair,
 * so drift in a shared machine's load hits both protocols alike rather than one of them; repeated
 * runs go in rounds over the whole plan, and the median repetition of each is reported.
 */
import type { CryptoCalibration } from '../../crypto/index.js';
import { workloadProblem } from '../workload.js';
import {
  COMPARE_PROTOCOLS,
  type CompareProtocol,
  type CompareResult,
  type CompareSpec,
  type CostBreakdown,
  type Environment,
  type KillResult,
  type KillRunSpec,
  type RatioRow,
  type RunFailure,
  type RunResult,
  type RunSpec,
  replicasFor,
} from './types.js';

/** The comparison a bare `bench compare` runs: f = 1 and 2, 1, 10 and 40 clients, a leader kill. */
export function defaultCompareSpec(): CompareSpec {
  return {
    protocols: ['cft', 'pbft'],
    fValues: [1, 2],
    clientCounts: [1, 10, 40],
    durationSeconds: 10,
    // Long enough for V8 to compile the replicas' hot code (see `bench --warmup`).
    warmupSeconds: 20,
    workload: 'transfer',
    requestBytes: 0,
    unsignedRequests: false,
    repeat: 1,
    kill: {
      victims: ['leader'],
      clients: 8,
      killAtSeconds: 5,
      durationSeconds: 15,
      binMs: 250,
      recoveredFraction: 0.8,
    },
  };
}

/** Every problem with a spec (empty when it can run). */
export function validateCompareSpec(spec: CompareSpec): string[] {
  const problems: string[] = [];
  const positiveInts = (what: string, xs: readonly number[]) => {
    if (xs.length === 0) problems.push(`${what}: none given`);
    for (const x of xs)
      if (!Number.isInteger(x) || x < 1) problems.push(`${what}: ${x} is not a positive integer`);
    if (new Set(xs).size !== xs.length) problems.push(`${what}: repeated values`);
  };
  if (spec.protocols.length === 0) problems.push('protocols: none given');
  for (const p of spec.protocols)
    if (!COMPARE_PROTOCOLS.includes(p)) problems.push(`protocols: unknown ${p}`);
  positiveInts('f', spec.fValues);
  positiveInts('clients', spec.clientCounts);
  if (!Number.isInteger(spec.repeat) || spec.repeat < 1) problems.push('repeat must be a positive integer');
  if (!(spec.durationSeconds > 0)) problems.push('duration must be positive');
  if (!(spec.warmupSeconds >= 0)) problems.push('warm-up must not be negative');
  const workload = workloadProblem(spec);
  if (workload !== undefined) problems.push(`workload: ${workload}`);
  const k = spec.kill;
  if (k !== null) {
    if (k.victims.length === 0) problems.push('kill: no victim');
    if (!Number.isInteger(k.clients) || k.clients < 1)
      problems.push('kill: clients must be a positive integer');
    if (!(k.killAtSeconds > 0 && k.killAtSeconds < k.durationSeconds))
      problems.push('kill: the kill must fall inside the measured window');
    if (!(k.binMs > 0)) problems.push('kill: bin width must be positive');
    if (!(k.recoveredFraction > 0 && k.recoveredFraction <= 1))
      problems.push('kill: recovered fraction must be in (0, 1]');
  }
  return problems;
}

/** The measured runs, in order: f, then clients, then protocol. */
export function planRuns(spec: CompareSpec): RunSpec[] {
  return spec.fValues.flatMap((f) =>
    spec.clientCounts.flatMap((clients) =>
      spec.protocols.map((protocol) => ({
        protocol,
        f,
        replicas: replicasFor(protocol, f),
        clients,
        durationSeconds: spec.durationSeconds,
        warmupSeconds: spec.warmupSeconds,
        workload: spec.workload,
        requestBytes: spec.requestBytes,
        unsignedRequests: spec.unsignedRequests,
      })),
    ),
  );
}

/** The kill runs, in order: f, then victim, then protocol. */
export function planKills(spec: CompareSpec): KillRunSpec[] {
  const k = spec.kill;
  if (k === null) return [];
  return spec.fValues.flatMap((f) =>
    k.victims.flatMap((victim) =>
      spec.protocols.map((protocol) => ({
        protocol,
        f,
        replicas: replicasFor(protocol, f),
        clients: k.clients,
        durationSeconds: k.durationSeconds,
        warmupSeconds: spec.warmupSeconds,
        workload: spec.workload,
        requestBytes: spec.requestBytes,
        unsignedRequests: spec.unsignedRequests,
        victim,
        killAtSeconds: k.killAtSeconds,
        binMs: k.binMs,
        recoveredFraction: k.recoveredFraction,
      })),
    ),
  );
}

/** A short name for a run, e.g. `pbft f=1 n=4 clients=8` or `cft f=2 n=5 clients=8 kill leader`. */
export function formatRunLabel(spec: RunSpec | KillRunSpec): string {
  const base = `${spec.protocol} f=${spec.f} n=${spec.replicas} clients=${spec.clients}`;
  return 'victim' in spec ? `${base} kill ${spec.victim}` : base;
}

/** a / b, or null when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || b === 0 || !Number.isFinite(a) || !Number.isFinite(b))
    return null;
  return a / b;
}

/** PBFT / CFT for every (f, clients) pair where both ran, ordered by f then clients. */
export function computeRatios(runs: readonly RunResult[]): RatioRow[] {
  const key = (p: CompareProtocol, f: number, c: number) => `${p}/${f}/${c}`;
  const byKey = new Map(runs.map((r) => [key(r.spec.protocol, r.spec.f, r.spec.clients), r]));
  const pairs = [...new Set(runs.map((r) => `${r.spec.f}/${r.spec.clients}`))]
    .map((s) => s.split('/').map(Number) as [number, number])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const rows: RatioRow[] = [];
  for (const [f, clients] of pairs) {
    const b = byKey.get(key('pbft', f, clients));
    const c = byKey.get(key('cft', f, clients));
    if (!b || !c) continue;
    const cpu = (part: keyof CostBreakdown) => ratio(b.cost.perTx[part], c.cost.perTx[part]);
    rows.push({
      f,
      clients,
      throughput: ratio(b.load.throughput, c.load.throughput),
      p50: ratio(b.load.latencyMs.p50, c.load.latencyMs.p50),
      p90: ratio(b.load.latencyMs.p90, c.load.latencyMs.p90),
      p99: ratio(b.load.latencyMs.p99, c.load.latencyMs.p99),
      cpuPerTx: {
        sign: cpu('sign'),
        verify: cpu('verify'),
        hash: cpu('hash'),
        rest: cpu('rest'),
        total: cpu('total'),
      },
      messagesPerTx: ratio(b.cost.messagesPerTx, c.cost.messagesPerTx),
      bytesPerTx: ratio(b.cost.bytesPerTx, c.cost.bytesPerTx),
    });
  }
  return rows;
}

/**
 * One result per run spec (first-seen order): the repetition with the median throughput (the lower
 * middle one of an even count), carrying every repetition's throughput when there were several.
 */
export function medianRuns(all: readonly RunResult[]): RunResult[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of all) {
    const key = formatRunLabel(r.spec);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((reps) => {
    if (reps.length === 1) return reps[0]!;
    const sorted = [...reps].sort((a, b) => a.load.throughput - b.load.throughput);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    return { ...median, repeatThroughputs: reps.map((r) => r.load.throughput) };
  });
}

/** A step of the comparison, for progress display. */
export interface ProgressEvent {
  /** A run is starting, or has ended (with its result or failure). */
  readonly phase: 'start' | 'end';
  /** 0-based index of the run among all runs (measured runs first, then kill runs). */
  readonly index: number;
  /** Number of runs in all. */
  readonly total: number;
  /** `formatRunLabel` of the run. */
  readonly label: string;
  /** Seconds the run is expected to take (warm-up plus measured window). */
  readonly plannedSeconds: number;
  /** Planned seconds of every run, for an overall estimate. */
  readonly totalPlannedSeconds: number;
  /** Planned seconds of the runs before this one. */
  readonly plannedSecondsBefore: number;
  /** When the run ended: its result. */
  readonly result?: RunResult | KillResult;
  /** When the run ended in an error: its message. */
  readonly error?: string;
}

/** What the comparison needs from outside: the runners, the environment and a clock. */
export interface CompareDeps {
  /** Runs one measured run on real processes. */
  readonly runOne: (spec: RunSpec) => Promise<RunResult>;
  /** Runs one kill run on real processes. */
  readonly runKill: (spec: KillRunSpec) => Promise<KillResult>;
  /** Where it runs (`collectEnvironment()`). */
  readonly environment: Environment;
  /** Per-op crypto costs (`calibrateCrypto()`), taken before the runs. */
  readonly calibration: CryptoCalibration;
  /** Milliseconds from some fixed point (performance.now in the CLI). */
  readonly nowMs: () => number;
  /** Called as each run starts and ends. */
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** Runs every run of `spec` in turn and assembles the CompareResult; throws only on an invalid spec. */
export async function runCompare(spec: CompareSpec, deps: CompareDeps): Promise<CompareResult> {
  const problems = validateCompareSpec(spec);
  if (problems.length > 0) throw new Error(`invalid comparison: ${problems.join('; ')}`);
  const started = deps.nowMs();
  type Job = { spec: RunSpec | KillRunSpec; run: () => Promise<RunResult | KillResult> };
  const rounds = Array.from({ length: spec.repeat }, () => planRuns(spec));
  const jobs: Job[] = [
    ...rounds.flat().map((s) => ({ spec: s, run: () => deps.runOne(s) })),
    ...planKills(spec).map((s) => ({ spec: s, run: () => deps.runKill(s) })),
  ];
  const planned = jobs.map((j) => j.spec.warmupSeconds + j.spec.durationSeconds);
  const totalPlannedSeconds = planned.reduce((a, b) => a + b, 0);
  const runs: RunResult[] = [];
  const kills: KillResult[] = [];
  const failures: RunFailure[] = [];
  let before = 0;
  for (const [index, job] of jobs.entries()) {
    const label = formatRunLabel(job.spec);
    const plannedSeconds = planned[index] ?? 0;
    const base = { index, total: jobs.length, label, plannedSeconds, totalPlannedSeconds };
    deps.onProgress?.({ ...base, phase: 'start', plannedSecondsBefore: before });
    try {
      const result = await job.run();
      if ('victimId' in result) kills.push(result);
      else runs.push(result);
      deps.onProgress?.({ ...base, phase: 'end', plannedSecondsBefore: before, result });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      failures.push({ label, message });
      deps.onProgress?.({ ...base, phase: 'end', plannedSecondsBefore: before, error: message });
    }
    before += plannedSeconds;
  }
  const reported = medianRuns(runs);
  return {
    format: 'bftledger-compare',
    version: 1,
    spec,
    environment: deps.environment,
    calibration: deps.calibration,
    runs: reported,
    ratios: computeRatios(reported),
    kills,
    failures,
    wallSeconds: (deps.nowMs() - started) / 1000,
  };
}
