/**
 * The real runners of `bench compare`. Each run starts a fresh local network of its protocol and
 * size through `runBench`, samples every process at the measured window's two edges (replicas by
 * scraping /metrics from hooks timed with the clients' window, client processes by reporting their
 * own counters at the same moments) and splits the cost. A kill run finds the leader (or a
 * follower) when the window opens, kills it with SIGKILL mid-window, and analyses when each commit
 * completed.
 */
import { type Cluster, PROTOCOLS, type Protocol } from '../../config/index.js';
import type { CryptoCalibration } from '../../crypto/index.js';
import { fetchStatus } from '../../node/processes.js';
import { NetworkStartError } from '../local-network.js';
import { type BenchContext, type BenchOptions, runBench } from '../run.js';
import type { WorkerSample } from '../worker.js';
import { buildRunResult } from './cost.js';
import { analyseKill } from './kill.js';
import { scrapeSample } from './scrape.js';
import type {
  CompareProtocol,
  CryptoAttribution,
  KillResult,
  KillRunSpec,
  KillVictim,
  LoadFigures,
  ProcessSample,
  RunResult,
  RunSpec,
} from './types.js';

/** What every run of a comparison shares. */
export interface RunnerOptions {
  /** First port of each network (runs are sequential, so every network reuses it). */
  readonly basePort: number;
  /** Largest batch of each network. */
  readonly maxBatch: number;
  /** Per-op crypto costs, for the cost split. */
  readonly calibration: CryptoCalibration;
  /** How crypto CPU is attributed in the cost split. */
  readonly attribution: CryptoAttribution;
  /** Progress lines from the benchmark (network start, clients connected). */
  readonly log?: ((line: string) => void) | undefined;
  /** Things a reader of the results should know, e.g. a network started twice. */
  readonly warn?: ((line: string) => void) | undefined;
}

/** The cluster protocol of a compared one; throws when this build has no runtime for it. */
export function clusterProtocol(protocol: CompareProtocol): Protocol {
  const known: readonly string[] = PROTOCOLS;
  if (!known.includes(protocol))
    throw new Error(`this build has no ${protocol} runtime (cluster.json protocols: ${known.join(', ')})`);
  return protocol as Protocol;
}

/** `runBench`'s options for a run; throws for a run this build cannot set up. */
function benchOptions(spec: RunSpec, o: RunnerOptions): BenchOptions {
  if (spec.unsignedRequests && spec.protocol !== 'pbft')
    throw new Error(`${spec.protocol} clusters have no unsignedRequests parameter: use --protocols pbft`);
  return {
    workload: spec.workload,
    requestBytes: spec.requestBytes,
    unsignedRequests: spec.unsignedRequests,
    protocol: clusterProtocol(spec.protocol),
    replicas: spec.replicas,
    clients: spec.clients,
    durationS: spec.durationSeconds,
    warmupS: spec.warmupSeconds,
    maxBatch: o.maxBatch,
    basePort: o.basePort,
    ...(o.log ? { log: o.log } : {}),
  };
}

/** Throws unless the network started is the one the run asked for (its own, with that f and n). */
function checkNetwork(ctx: BenchContext, spec: RunSpec): void {
  const { cluster } = ctx;
  if (ctx.network === undefined) throw new Error('a comparison run must start its own network');
  if (cluster.f !== spec.f || cluster.replicas.length !== spec.replicas)
    throw new Error(
      `started f=${cluster.f} n=${cluster.replicas.length}, expected f=${spec.f} n=${spec.replicas}`,
    );
}

/** Every replica's sample from its /metrics. */
export function scrapeReplicas(cluster: Cluster): Promise<ProcessSample[]> {
  return Promise.all(
    cluster.replicas.map((r) =>
      scrapeSample(`http://127.0.0.1:${r.metricsPort}/metrics`, 'replica', `replica-${r.id}`),
    ),
  );
}

/** A client process's sample as the cost split reads it (its frames count as messages). */
export function workerProcessSample(s: WorkerSample, index: number): ProcessSample {
  return {
    role: 'client',
    name: `clients-${index}`,
    cpuSeconds: s.cpuMicros / 1e6,
    crypto: s.crypto,
    messagesOut: s.framesOut,
    bytesOut: s.bytesOut,
    missing: [],
  };
}

/** How long a run measures its network idle before the clients connect. */
const IDLE_MS = 2000;

/** Replica CPU seconds per second, all replicas, over `ms` of wall time from now. */
async function idleCpu(cluster: Cluster, ms: number): Promise<number> {
  const cpu = (xs: readonly ProcessSample[]) => xs.reduce((s, x) => s + x.cpuSeconds, 0);
  const a = await scrapeReplicas(cluster);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = await scrapeReplicas(cluster);
  return (cpu(b) - cpu(a)) / ((performance.now() - t0) / 1000);
}

/**
 * Runs `f` once more when its network did not connect in time (handshakes on a loaded machine):
 * nothing was measured yet, so a second start costs time, not honesty. Other errors stand.
 */
export async function retryStart<T>(f: () => Promise<T>, log?: (line: string) => void): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (!(err instanceof NetworkStartError) || err.code !== 'timeout') throw err;
    log?.(`${err.message}; starting the network again`);
    return f();
  }
}

/** One measured run on real processes, its network started again once if it does not connect. */
export function runOneReal(spec: RunSpec, o: RunnerOptions): Promise<RunResult> {
  return retryStart(() => runOneOnce(spec, o), o.warn);
}

/** One measured run on real processes: load figures, the cost split of the window, the idle CPU. */
async function runOneOnce(spec: RunSpec, o: RunnerOptions): Promise<RunResult> {
  let before: ProcessSample[] = [];
  let after: ProcessSample[] = [];
  let idle = 0;
  const r = await runBench({
    ...benchOptions(spec, o),
    beforeClients: async (ctx) => {
      idle = await idleCpu(ctx.cluster, IDLE_MS);
    },
    hooks: [
      {
        atMs: 0,
        run: async (ctx) => {
          checkNetwork(ctx, spec);
          before = await scrapeReplicas(ctx.cluster);
        },
      },
      {
        atMs: spec.durationSeconds * 1000,
        run: async (ctx) => {
          after = await scrapeReplicas(ctx.cluster);
        },
      },
    ],
  });
  const load: LoadFigures = {
    seconds: r.seconds,
    completed: r.completed,
    failed: r.failed,
    throughput: r.throughput,
    latencyMs: r.latencyMs,
  };
  const clientsBefore = r.workers.map((w, i) => workerProcessSample(w.before, i));
  const clientsAfter = r.workers.map((w, i) => workerProcessSample(w.after, i));
  const all = (replicas: ProcessSample[], clients: ProcessSample[]) => [...replicas, ...clients];
  const [b, a] = [all(before, clientsBefore), all(after, clientsAfter)];
  return { ...buildRunResult(spec, load, b, a, o.calibration, o.attribution), idleReplicaCpu: idle };
}

/**
 * The replica to kill, from the replicas' /status objects: the leader is the `primary` (PBFT) or
 * `leader` (CFT) most of them report; a follower is the highest id that is not the leader.
 */
export function chooseVictim(statuses: readonly object[], victim: KillVictim, n: number): number {
  const votes = new Map<number, number>();
  for (const s of statuses) {
    const v = s as { primary?: unknown; leader?: unknown };
    const leader = typeof v.primary === 'number' ? v.primary : v.leader;
    if (typeof leader === 'number' && Number.isInteger(leader) && leader >= 0 && leader < n)
      votes.set(leader, (votes.get(leader) ?? 0) + 1);
  }
  const ranked = [...votes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const leader = ranked[0]?.[0];
  if (leader === undefined) throw new Error('no replica reports a leader');
  if (victim === 'leader') return leader;
  return leader === n - 1 ? n - 2 : n - 1;
}

/** One kill run on real processes, its network started again once if it does not connect. */
export function runKillReal(spec: KillRunSpec, o: RunnerOptions): Promise<KillResult> {
  return retryStart(() => runKillOnce(spec, o), o.warn);
}

/** One kill run: the victim is chosen as the window opens and killed at killAtSeconds. */
async function runKillOnce(spec: KillRunSpec, o: RunnerOptions): Promise<KillResult> {
  let victimId = -1;
  const r = await runBench({
    ...benchOptions(spec, o),
    recordCompletions: true,
    hooks: [
      {
        atMs: 0,
        run: async (ctx) => {
          checkNetwork(ctx, spec);
          const statuses = await Promise.all(
            ctx.cluster.replicas.map((x) => fetchStatus('127.0.0.1', x.metricsPort, x.id)),
          );
          victimId = chooseVictim(statuses, spec.victim, ctx.cluster.replicas.length);
        },
      },
      {
        atMs: spec.killAtSeconds * 1000,
        run: async (ctx) => {
          if (victimId < 0) throw new Error('no victim chosen before the kill');
          await ctx.network?.kill(victimId);
        },
      },
    ],
  });
  return analyseKill(spec, victimId, r.completionsMs ?? [], r.failed);
}
