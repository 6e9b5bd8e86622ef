/**
 * The benchmark as a function: start a local network for a directory and replica count (or use the
 * one running there), fork client processes, run a closed-loop load of a workload with a warm-up,
 * and return throughput, latency percentiles, CPU seconds per committed request summed over every
 * replica and client process, and frames and bytes sent per committed request.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type Cluster,
  clientsByConnection,
  clusterPath,
  loadCluster,
  type Protocol,
  unsignedRequestsOf,
} from '../config/index.js';
import { fetchStatus } from '../node/processes.js';
import type { ResourceSample } from '../node/status.js';
import { type LoadResult, type LoadSamples, summarise, sumPerSecond } from './load.js';
import { allConnected, LocalNetwork } from './local-network.js';
import type { GoMessage, StartMessage, WorkerReport, WorkerSample } from './worker.js';
import { type WorkloadSpec, workloadProblem } from './workload.js';

/** How long a replica may take to report its resources at the window's ends. */
const STATUS_TIMEOUT_MS = 15_000;

/** The worker entry script of this build. */
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

/** What a hook sees: the network being measured. */
export interface BenchContext {
  /** Its configuration. */
  readonly cluster: Cluster;
  /** The network this run started, or undefined when it measures one already running. */
  readonly network: LocalNetwork | undefined;
}

/** Work done at a moment of the run, e.g. sampling every replica or killing one. */
export interface BenchHook {
  /** When, in ms after the measured window opens (0: its start; the duration: its end). */
  readonly atMs: number;
  /** What to do; a rejection fails the run. */
  readonly run: (ctx: BenchContext) => Promise<void>;
}

/** What to run. */
export interface BenchOptions extends WorkloadSpec {
  /** Network directory: used as is when its replicas answer, else initialised there (or in a temporary one). */
  readonly dir?: string | undefined;
  /** Replicas when starting a network. */
  readonly replicas: number;
  /** Protocol when starting a network (default: init's). */
  readonly protocol?: Protocol | undefined;
  /** Closed-loop clients, one outstanding request each. */
  readonly clients: number;
  /** Client processes the clients are spread over (default: up to 4, one per 10 clients). */
  readonly clientProcesses?: number | undefined;
  /**
   * When starting a network: clients per shared connection (default 1, each client its own). The
   * clients sharing a connection always run in one client process.
   */
  readonly clientsPerConnection?: number | undefined;
  /** Measured seconds. */
  readonly durationS: number;
  /** Warm-up seconds before measuring. */
  readonly warmupS: number;
  /** Largest batch when starting a network. */
  readonly maxBatch: number;
  /** First port when starting a network. */
  readonly basePort: number;
  /** Progress lines (to stderr in the CLI). */
  readonly log?: (line: string) => void;
  /** Hooks run at their moments, timed from the same start as the clients' window. */
  readonly hooks?: readonly BenchHook[];
  /** Collect when each success completed (`BenchResult.completionsMs`). */
  readonly recordCompletions?: boolean;
  /** Runs once the network is up, before any client connects (e.g. to measure it idle). */
  readonly beforeClients?: (ctx: BenchContext) => Promise<void>;
}

/** CPU spent during the measured window. */
export interface CpuFigures {
  /** CPU seconds of all replica processes. */
  readonly replicaSeconds: number;
  /** CPU seconds of all client processes. */
  readonly clientSeconds: number;
  /** Total CPU milliseconds per committed request (replicas plus clients). */
  readonly msPerTx: number;
  /** Replica CPU milliseconds per committed request. */
  readonly replicaMsPerTx: number;
}

/** Traffic sent during the measured window, per committed request, by all processes. */
export interface NetFigures {
  /** Frames handed to transports. */
  readonly framesPerTx: number;
  /** Stream writes (frames coalesced per peer and turn). */
  readonly writesPerTx: number;
  /** Bytes written to streams (before Noise and yamux framing). */
  readonly bytesPerTx: number;
}

/** A benchmark's result. */
export interface BenchResult extends LoadResult {
  /** The workload. */
  readonly workload: WorkloadSpec;
  /** Client processes used. */
  readonly clientProcesses: number;
  /** CPU over the window. */
  readonly cpu: CpuFigures;
  /** Traffic over the window. */
  readonly net: NetFigures;
  /** Warm-up seconds before the measured window. */
  readonly warmupSeconds: number;
  /** Successes per second from the start of the load, warm-up included (see `LoadSamples.perSecond`). */
  readonly perSecond: readonly number[];
  /** Each client process's samples at the window's start and end. */
  readonly workers: readonly { readonly before: WorkerSample; readonly after: WorkerSample }[];
  /** With `recordCompletions`: every success's completion time, ms into the window (unsorted). */
  readonly completionsMs?: readonly number[];
  /** The network measured. */
  readonly network: {
    readonly replicas: number;
    readonly f: number;
    readonly protocol: string;
    readonly maxBatch: number;
    readonly unsignedRequests: boolean;
    /** Client connections the clients used (fewer than clients when they share them). */
    readonly clientConnections: number;
  };
}

/** A forked client process and its reports. */
interface Worker {
  readonly proc: ChildProcess;
  /** Resolves with the next report of the wanted type (rejects on 'error' or exit). */
  next(type: 'ready' | 'done'): Promise<WorkerReport>;
}

/** Forks a client process. */
function forkWorker(): Worker {
  // Under --cpu-prof each client process writes its own profile (V8 names it by pid).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--cpu-prof-name'));
  const proc = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const reports: WorkerReport[] = [];
  let waiter: (() => void) | undefined;
  let exited = false;
  proc.on('message', (m: WorkerReport) => {
    reports.push(m);
    waiter?.();
  });
  proc.on('exit', () => {
    exited = true;
    waiter?.();
  });
  const next = async (type: 'ready' | 'done'): Promise<WorkerReport> => {
    for (;;) {
      const r = reports.shift();
      if (r?.type === 'error') throw new Error(`bench client process: ${r.message}`);
      if (r?.type === type) return r;
      if (r) continue;
      if (exited) throw new Error('bench client process exited early');
      await new Promise<void>((resolve) => {
        waiter = resolve;
      });
      waiter = undefined;
    }
  };
  return { proc, next };
}

/**
 * Resource samples of the replicas from their /status, except those a hook killed: they are left
 * out, and `delta` then counts no replica that is missing from either end.
 */
async function replicaSample(cluster: Cluster, network: LocalNetwork | undefined): Promise<ResourceSample[]> {
  const alive = cluster.replicas.filter((r) => !network?.killed.has(r.id));
  // A replica starved of CPU by the load may answer late; a late sample shifts the window a little.
  const all = await Promise.all(
    alive.map((r) => fetchStatus('127.0.0.1', r.metricsPort, r.id, STATUS_TIMEOUT_MS)),
  );
  return all.map((s) => {
    const res = (s as { resources?: ResourceSample }).resources;
    if (!res) throw new Error(`replica status without resources: ${JSON.stringify(s)}`);
    return res;
  });
}

/** Difference of summed samples, over the processes (by pid) sampled at both ends. */
function delta(
  before: readonly ResourceSample[],
  after: readonly ResourceSample[],
): Omit<ResourceSample, 'pid'> {
  const both = new Set(before.map((x) => x.pid).filter((pid) => after.some((y) => y.pid === pid)));
  const sum = (xs: readonly ResourceSample[], k: 'cpuMicros' | 'framesOut' | 'writesOut' | 'bytesOut') =>
    xs.reduce((a, x) => a + (both.has(x.pid) ? x[k] : 0), 0);
  const d = (k: 'cpuMicros' | 'framesOut' | 'writesOut' | 'bytesOut') => sum(after, k) - sum(before, k);
  return {
    cpuMicros: d('cpuMicros'),
    framesOut: d('framesOut'),
    writesOut: d('writesOut'),
    bytesOut: d('bytesOut'),
  };
}

/** The network to measure: the one in `o.dir` when its replicas all answer, else one started for this run. */
async function networkFor(
  o: BenchOptions,
  log: (line: string) => void,
): Promise<{ dir: string; own: LocalNetwork | undefined }> {
  const dir = o.dir;
  if (dir && existsSync(clusterPath(dir)) && (await allConnected(loadCluster(dir))))
    return { dir, own: undefined };
  const unsigned = o.unsignedRequests ? ' accepting UNSIGNED requests' : '';
  const protocol = o.protocol ? `${o.protocol} ` : '';
  log(`starting ${o.replicas} ${protocol}replicas (batch ${o.maxBatch})${unsigned}...`);
  const own = await LocalNetwork.start({
    dir,
    replicas: o.replicas,
    clients: Math.max(2, o.clients),
    clientsPerConnection: o.clientsPerConnection,
    basePort: o.basePort,
    protocol: o.protocol,
    parameters: { maxBatch: o.maxBatch, ...(o.unsignedRequests ? { unsignedRequests: true } : {}) },
  });
  return { dir: own.dir, own };
}

/**
 * Clients 0..count-1 dealt to `processes` processes: whole connections at a time (the clients
 * configured `via` one client travel with it), round robin.
 */
export function dealClients(cluster: Cluster, count: number, processes: number): number[][] {
  const groups = clientsByConnection(
    cluster,
    Array.from({ length: count }, (_, id) => id),
  );
  const dealt: number[][] = Array.from({ length: processes }, () => []);
  [...groups.values()].forEach((group, i) => {
    dealt[i % processes]!.push(...group);
  });
  return dealt;
}

/** Forks the client processes and connects their clients, process by process. */
async function startWorkers(o: BenchOptions, dir: string, workers: Worker[]): Promise<void> {
  const processes = Math.max(
    1,
    Math.min(o.clients, o.clientProcesses ?? Math.min(4, Math.ceil(o.clients / 10))),
  );
  const spec: WorkloadSpec = {
    workload: o.workload,
    requestBytes: o.requestBytes,
    unsignedRequests: o.unsignedRequests,
  };
  // Fewer connections than processes leave processes idle: fork only those that get clients.
  const dealt = dealClients(loadCluster(dir), o.clients, processes).filter((ids) => ids.length > 0);
  for (let w = 0; w < dealt.length; w++) workers.push(forkWorker());
  // Clients connect process by process: a burst of simultaneous handshakes is not what we measure.
  const recordCompletions = o.recordCompletions === true;
  for (const [w, worker] of workers.entries()) {
    const ids = dealt[w]!;
    worker.proc.send({ type: 'start', dir, ids, spec, recordCompletions } satisfies StartMessage);
    await worker.next('ready');
  }
}

/** Runs `f` after `ms` milliseconds. */
function after<T>(ms: number, f: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setTimeout(() => f().then(resolve, reject), Math.max(0, ms));
  });
}

/** Starts (or reuses) the network and runs the benchmark; see the module comment. */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const problem = workloadProblem(o);
  if (problem) throw new Error(problem);
  const log = o.log ?? (() => undefined);
  const { dir, own } = await networkFor(o, log);
  const workers: Worker[] = [];
  try {
    const cluster = loadCluster(dir);
    if (cluster.clients.length < o.clients)
      throw new Error(`${dir} has ${cluster.clients.length} clients; --clients ${o.clients}`);
    if (o.unsignedRequests && !unsignedRequestsOf(cluster))
      throw new Error(
        `${dir}: cluster.json does not enable unsignedRequests; --unsigned-requests needs a network that does`,
      );
    await o.beforeClients?.({ cluster, network: own });
    await startWorkers(o, dir, workers);
    log(
      `${o.clients} clients in ${workers.length} processes connected; warming up ${o.warmupS} s, measuring ${o.durationS} s`,
    );
    const go: GoMessage = { type: 'go', warmupMs: o.warmupS * 1000, durationMs: o.durationS * 1000 };
    for (const w of workers) w.proc.send(go);
    const ctx: BenchContext = { cluster, network: own };
    const [rBefore, rAfter, reports] = await Promise.all([
      after(go.warmupMs, () => replicaSample(cluster, own)),
      after(go.warmupMs + go.durationMs, () => replicaSample(cluster, own)),
      Promise.all(workers.map((w) => w.next('done'))),
      Promise.all((o.hooks ?? []).map((h) => after(go.warmupMs + h.atMs, () => h.run(ctx)))),
    ]);
    const done = reports.filter((r) => r.type === 'done');
    return benchResult(o, cluster, done, delta(rBefore, rAfter));
  } finally {
    await Promise.all(workers.map((w) => exited(w.proc, 5_000)));
    await own?.stop();
  }
}

/** The result from the workers' reports and the replicas' resource delta. */
function benchResult(
  o: BenchOptions,
  cluster: Cluster,
  done: readonly Extract<WorkerReport, { type: 'done' }>[],
  replicas: Omit<ResourceSample, 'pid'>,
): BenchResult {
  const samples: LoadSamples = {
    latenciesMs: done.flatMap((r) => r.samples.latenciesMs),
    failed: done.reduce((a, r) => a + r.samples.failed, 0),
    perSecond: sumPerSecond(done.map((r) => r.samples.perSecond)),
  };
  const load = summarise(samples, o.clients, o.durationS);
  const clients = delta(
    done.map((r) => r.before),
    done.map((r) => r.after),
  );
  const tx = Math.max(1, load.completed);
  const per = (x: number) => Math.round((x / tx) * 100) / 100;
  const completions = o.recordCompletions
    ? { completionsMs: done.flatMap((r) => r.samples.completionsMs ?? []) }
    : {};
  return {
    ...load,
    workload: { workload: o.workload, requestBytes: o.requestBytes, unsignedRequests: o.unsignedRequests },
    clientProcesses: done.length,
    cpu: {
      replicaSeconds: replicas.cpuMicros / 1e6,
      clientSeconds: clients.cpuMicros / 1e6,
      msPerTx: Math.round(((replicas.cpuMicros + clients.cpuMicros) / 1000 / tx) * 1000) / 1000,
      replicaMsPerTx: Math.round((replicas.cpuMicros / 1000 / tx) * 1000) / 1000,
    },
    net: {
      framesPerTx: per(replicas.framesOut + clients.framesOut),
      writesPerTx: per(replicas.writesOut + clients.writesOut),
      bytesPerTx: Math.round((replicas.bytesOut + clients.bytesOut) / tx),
    },
    warmupSeconds: o.warmupS,
    perSecond: samples.perSecond,
    workers: done.map((r) => ({ before: r.before, after: r.after })),
    ...completions,
    network: {
      replicas: cluster.replicas.length,
      f: cluster.f,
      protocol: cluster.protocol,
      maxBatch: cluster.parameters.maxBatch,
      unsignedRequests: unsignedRequestsOf(cluster),
      clientConnections: dealClients(cluster, o.clients, o.clients).filter((ids) => ids.length > 0).length,
    },
  };
}

/** Waits up to `ms` for a client process to exit, then terminates it. */
async function exited(proc: ChildProcess, ms: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      proc.kill('SIGTERM');
      resolve();
    }, ms);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
