/**
 * Types of `bftledger bench compare`: what to run (a CompareSpec, expanded into one RunSpec per
 * protocol, f and client count, and KillRunSpecs), what each run measured (RunResult, KillResult),
 * and the whole comparison with its environment (CompareResult), which is what the JSON file holds
 * and what the table and the report are drawn from.
 */
import type { CryptoCalibration, CryptoCounters } from '../../crypto/index.js';
import type { Workload } from '../workload.js';

export { WORKLOADS, type Workload } from '../workload.js';

/** The protocols compared: the crash-fault baseline and PBFT. */
export const COMPARE_PROTOCOLS = ['cft', 'pbft'] as const;
/** One compared protocol. */
export type CompareProtocol = (typeof COMPARE_PROTOCOLS)[number];

/** Replicas each protocol needs for f faults: 2f + 1 for CFT, 3f + 1 for PBFT. */
export function replicasFor(protocol: CompareProtocol, f: number): number {
  return protocol === 'cft' ? 2 * f + 1 : 3 * f + 1;
}

/** Which replica a kill run kills: the leader (primary) or a follower (backup). */
export type KillVictim = 'leader' | 'follower';

/** The kill runs of a comparison: one per protocol, f and victim. */
export interface KillPlan {
  /** Which replicas to kill, one run each. */
  readonly victims: readonly KillVictim[];
  /** Closed-loop clients during a kill run. */
  readonly clients: number;
  /** Seconds into the measured window when the victim is killed (kill -9). */
  readonly killAtSeconds: number;
  /** Measured seconds of a kill run. */
  readonly durationSeconds: number;
  /** Width of a throughput-over-time bin, milliseconds. */
  readonly binMs: number;
  /** Throughput counts as recovered at this fraction of the pre-kill throughput. */
  readonly recoveredFraction: number;
}

/** Everything a comparison runs. */
export interface CompareSpec {
  /** Protocols to run, in order within each (f, clients) pair. */
  readonly protocols: readonly CompareProtocol[];
  /** Faults tolerated: each f gives n = 2f + 1 for CFT and 3f + 1 for PBFT. */
  readonly fValues: readonly number[];
  /** Closed-loop client counts (one outstanding request each); include 1 for the latency floor. */
  readonly clientCounts: readonly number[];
  /** Measured seconds per run. */
  readonly durationSeconds: number;
  /** Warm-up seconds before measuring (connections, JIT, caches). */
  readonly warmupSeconds: number;
  /** The load. */
  readonly workload: Workload;
  /** Payload bytes of a null operation (ignored for transfers). */
  readonly requestBytes: number;
  /** Null workload only: requests carry no signature and replicas check none (benchmark networks only). */
  readonly unsignedRequests: boolean;
  /** The kill runs, or null for none. */
  readonly kill: KillPlan | null;
  /**
   * Times each measured run is repeated (in rounds over the whole plan, so a busy spell on a shared
   * machine hits one repetition of many runs rather than every repetition of one); the run with the
   * median throughput is reported.
   */
  readonly repeat: number;
}

/** One measured run, as the injected runner receives it. */
export interface RunSpec {
  /** Protocol to run. */
  readonly protocol: CompareProtocol;
  /** Faults tolerated. */
  readonly f: number;
  /** Replica processes to start (`replicasFor(protocol, f)`). */
  readonly replicas: number;
  /** Closed-loop clients. */
  readonly clients: number;
  /** Measured seconds. */
  readonly durationSeconds: number;
  /** Warm-up seconds. */
  readonly warmupSeconds: number;
  /** The load. */
  readonly workload: Workload;
  /** Payload bytes of a null operation. */
  readonly requestBytes: number;
  /** Null workload only: unsigned requests. */
  readonly unsignedRequests: boolean;
}

/** One kill run, as the injected runner receives it. */
export interface KillRunSpec extends RunSpec {
  /** Which replica to kill. */
  readonly victim: KillVictim;
  /** Seconds into the measured window when it is killed. */
  readonly killAtSeconds: number;
  /** Width of a throughput bin, milliseconds. */
  readonly binMs: number;
  /** Throughput counts as recovered at this fraction of the pre-kill throughput. */
  readonly recoveredFraction: number;
}

/** Latency percentiles in milliseconds. */
export interface LatencyMs {
  /** Median. */
  readonly p50: number;
  /** 90th percentile. */
  readonly p90: number;
  /** 99th percentile. */
  readonly p99: number;
  /** Slowest. */
  readonly max: number;
}

/** CPU seconds split by what they were spent on; `total` is the sum of the four parts. */
export interface CostBreakdown {
  /** Ed25519 signing. */
  readonly sign: number;
  /** Ed25519 verification, inline and on the pool. */
  readonly verify: number;
  /** SHA-256. */
  readonly hash: number;
  /** Everything else: network, framing, storage, ledger, GC, the protocol itself. */
  readonly rest: number;
  /** sign + verify + hash + rest. */
  readonly total: number;
}

/** The parts of a CostBreakdown, in drawing order. */
export const COST_PARTS = ['sign', 'verify', 'hash', 'rest'] as const;

/** Whose process a sample is. */
export type ProcessRole = 'replica' | 'client';

/** One process's counters at one moment (or, after `sampleDelta`, over a window). */
export interface ProcessSample {
  /** Replica or client process. */
  readonly role: ProcessRole;
  /** A name unique in the run, e.g. `replica-2` or `clients`. */
  readonly name: string;
  /** Process CPU seconds, user plus system, every thread. */
  readonly cpuSeconds: number;
  /** Its crypto counters. */
  readonly crypto: CryptoCounters;
  /** Messages it sent (a broadcast counts once per peer). */
  readonly messagesOut: number;
  /** Bytes it wrote to the network. */
  readonly bytesOut: number;
  /** Metric families it did not expose (their figures read as zero). */
  readonly missing: readonly string[];
}

/** Crypto operations of a process or a run (verifications inline and on the pool together). */
export interface CryptoOps {
  /** Ed25519 signatures made. */
  readonly sign: number;
  /** Ed25519 signatures verified. */
  readonly verify: number;
  /** SHA-256 calls. */
  readonly hash: number;
}

/**
 * How crypto CPU is attributed. `timed`: synchronous calls as timed, less the timer (exact on an idle
 * machine, but a thread preempted mid-call counts the wait too); `counted`: calls x the calibrated
 * CPU cost per call (immune to preemption; blind to cache effects). Pool verifications are always
 * counted.
 */
export const CRYPTO_ATTRIBUTIONS = ['counted', 'timed'] as const;
/** One way of attributing crypto CPU. */
export type CryptoAttribution = (typeof CRYPTO_ATTRIBUTIONS)[number];

/** One process's CPU over a window, split. */
export interface ProcessCost {
  /** Replica or client process. */
  readonly role: ProcessRole;
  /** Its name. */
  readonly name: string;
  /** Its CPU seconds, split. */
  readonly seconds: CostBreakdown;
  /** Parts attributed as count x calibrated cost rather than timed (pool verifications, untimed ops). */
  readonly estimated: readonly (keyof CostBreakdown)[];
  /** True when its timed crypto exceeded its CPU time (rest clipped to 0: a preempted thread). */
  readonly clipped: boolean;
  /** Its crypto operations in the window. */
  readonly ops: CryptoOps;
  /** Seconds its synchronous crypto calls took as timed (verify: inline only), for comparison. */
  readonly timedSeconds: CryptoOps;
  /** Messages it sent. */
  readonly messagesOut: number;
  /** Bytes it sent. */
  readonly bytesOut: number;
  /** Metric families it did not expose. */
  readonly missing: readonly string[];
}

/** The cost of a run: CPU split per committed transaction and per process, traffic per transaction. */
export interface CostAccount {
  /** CPU seconds in the window, all processes. */
  readonly total: CostBreakdown;
  /** CPU seconds per committed transaction, all processes. */
  readonly perTx: CostBreakdown;
  /** CPU seconds per committed transaction, replica processes only. */
  readonly replicaPerTx: CostBreakdown;
  /** How the crypto parts were attributed. */
  readonly attribution: CryptoAttribution;
  /** Crypto operations per committed transaction, all processes. */
  readonly opsPerTx: CryptoOps;
  /** Crypto operations per committed transaction, replica processes only. */
  readonly replicaOpsPerTx: CryptoOps;
  /** Messages sent per committed transaction, all processes. */
  readonly messagesPerTx: number;
  /** Bytes sent per committed transaction, all processes. */
  readonly bytesPerTx: number;
  /** Each process. */
  readonly processes: readonly ProcessCost[];
}

/** The load figures of a run (what `bench/load.ts` reports). */
export interface LoadFigures {
  /** Measured seconds. */
  readonly seconds: number;
  /** Transactions committed in the window. */
  readonly completed: number;
  /** Requests that failed. */
  readonly failed: number;
  /** Committed transactions per second. */
  readonly throughput: number;
  /** Latency percentiles. */
  readonly latencyMs: LatencyMs;
}

/** What one run measured. */
export interface RunResult {
  /** What was run. */
  readonly spec: RunSpec;
  /** Throughput and latency. */
  readonly load: LoadFigures;
  /** CPU and traffic per transaction. */
  readonly cost: CostAccount;
  /**
   * Replica CPU seconds per second, all replicas, while the network sat idle before the clients
   * connected (ticks, heartbeats, timers): the share of `rest` that does not grow with the load.
   */
  readonly idleReplicaCpu?: number;
  /** With repetitions: the throughput of each, in run order (this result is the median one). */
  readonly repeatThroughputs?: readonly number[];
}

/** Throughput in one bin of a kill run. */
export interface TimelineBin {
  /** Bin start, seconds into the measured window. */
  readonly tSeconds: number;
  /** Committed transactions per second in the bin. */
  readonly throughput: number;
}

/** What one kill run measured. */
export interface KillResult {
  /** What was run. */
  readonly spec: KillRunSpec;
  /** The replica id killed. */
  readonly victimId: number;
  /** Transactions committed in the window. */
  readonly committed: number;
  /** Requests that failed. */
  readonly failed: number;
  /** Throughput per bin over the window. */
  readonly timeline: readonly TimelineBin[];
  /** Mean throughput before the kill. */
  readonly throughputBefore: number;
  /** Mean throughput over the second half of the time after the kill. */
  readonly throughputAfter: number;
  /** Start of the longest commit-free interval after the kill, seconds into the window. */
  readonly stallStartSeconds: number;
  /** Length of that interval (to the end of the window if nothing committed again). */
  readonly stallSeconds: number;
  /** From the kill to the end of the first bin back at the recovered fraction; null if never. */
  readonly recoverySeconds: number | null;
}

/** PBFT / CFT for one f and client count; null where a side is missing or the divisor is 0. */
export interface RatioRow {
  /** Faults tolerated. */
  readonly f: number;
  /** Clients. */
  readonly clients: number;
  /** Throughput ratio. */
  readonly throughput: number | null;
  /** Median latency ratio. */
  readonly p50: number | null;
  /** p90 latency ratio. */
  readonly p90: number | null;
  /** p99 latency ratio. */
  readonly p99: number | null;
  /** CPU per transaction ratio, part by part. */
  readonly cpuPerTx: { readonly [K in keyof CostBreakdown]: number | null };
  /** Messages per transaction ratio. */
  readonly messagesPerTx: number | null;
  /** Bytes per transaction ratio. */
  readonly bytesPerTx: number | null;
}

/** Where and how a comparison ran: enough to reproduce it and to judge its figures. */
export interface Environment {
  /** The exact command line. */
  readonly command: string;
  /** bftledger's version (package.json). */
  readonly bftledgerVersion: string;
  /** The git commit of the build, when known. */
  readonly commit: string | null;
  /** Node.js version. */
  readonly node: string;
  /** Runtime dependency versions, by package name. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** CPU model. */
  readonly cpuModel: string;
  /** Logical cores. */
  readonly cores: number;
  /** Total memory in bytes. */
  readonly memoryBytes: number;
  /** Operating system and kernel. */
  readonly os: string;
  /** Load averages (1, 5, 15 min) when the comparison started: how busy the machine was. */
  readonly loadAverage: readonly number[];
  /** When it started (ISO 8601). */
  readonly date: string;
}

/** A run that threw: recorded so a long comparison is not lost to one failure. */
export interface RunFailure {
  /** Which run (`formatRunLabel`). */
  readonly label: string;
  /** The error message. */
  readonly message: string;
}

/** The whole comparison: the JSON file's content. */
export interface CompareResult {
  /** Identifies the file format. */
  readonly format: 'bftledger-compare';
  /** Format version; a reader refuses others. */
  readonly version: 1;
  /** What was asked for. */
  readonly spec: CompareSpec;
  /** Where it ran. */
  readonly environment: Environment;
  /** Per-op crypto costs on this machine, used to attribute untimed work. */
  readonly calibration: CryptoCalibration;
  /** Every completed run. */
  readonly runs: readonly RunResult[];
  /** PBFT / CFT per f and client count. */
  readonly ratios: readonly RatioRow[];
  /** Every completed kill run. */
  readonly kills: readonly KillResult[];
  /** Runs that failed. */
  readonly failures: readonly RunFailure[];
  /** Wall seconds the whole comparison took. */
  readonly wallSeconds: number;
  /** Load averages (1, 5, 15 min) when it ended: with the start's, how busy the machine was meanwhile. */
  readonly loadAverageAtEnd?: readonly number[];
}
