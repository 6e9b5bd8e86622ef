/**
 * Simulation options: what a caller may set, the defaults, and the validation shared by the API
 * and the CLI (so `runSimulation` and `bftledger sim` refuse the same things with the same words).
 */
import type { CftReplica } from '../core/cft/replica.js';
import type { CftConfig, CftDeps, CftRecoveredState } from '../core/cft/types.js';
import type { PbftDeps, PbftReplica } from '../core/pbft/replica.js';
import type { Output, PbftConfig, RecoveredState } from '../core/pbft/types.js';
import { byzantinePlan } from './byzantine-plan.js';
import type { FaultEvent } from './faults.js';
import { SIM_CRYPTO_SCHEMES, type SimCrypto } from './setup.js';

/**
 * Builds a replica; tests pass one that returns a deliberately faulty subclass. On a restart after
 * a crash `recovered` is the state read back from the replica's store, and the factory must rebuild
 * from it (the honest default is `PbftReplica.recover(config, deps, recovered)`).
 */
export type ReplicaFactory = (config: PbftConfig, deps: PbftDeps, recovered?: RecoveredState) => PbftReplica;

/** Builds a crash-fault replica (tests pass deliberately faulty subclasses); `recovered` on a restart. */
export type CftReplicaFactory = (
  config: CftConfig,
  deps: CftDeps,
  recovered?: CftRecoveredState,
) => CftReplica;

/** The protocols the simulator runs. */
export const SIM_PROTOCOLS = ['pbft', 'cft'] as const;

/** A protocol the simulator runs: PBFT, or the crash-fault (Raft-like) baseline. */
export type SimProtocol = (typeof SIM_PROTOCOLS)[number];

/** Watches every output of every replica step (tests use it to see what the checkers do not report). */
export type OutputTap = (replica: number, output: Output, atMs: number) => void;

/** Everything that determines one simulated run. Same options, same result, bit for bit. */
export interface SimOptions {
  /** The run's seed (only its low 32 bits count). */
  readonly seed: number;
  /** The protocol: 'pbft' (the default) or 'cft' (crash faults only, n = 2f + 1). */
  readonly protocol?: SimProtocol;
  /**
   * Number of replicas n: PBFT needs n >= 4 and tolerates f = floor((n - 1) / 3) faults; the
   * crash-fault protocol needs n >= 3 and tolerates f = floor((n - 1) / 2) crashes.
   */
  readonly replicas?: number;
  /** Number of simulated clients. */
  readonly clients?: number;
  /** Requests issued in total across all clients, split evenly. */
  readonly requests?: number;
  /** Probability that a message is lost, in [0, 0.5). */
  readonly loss?: number;
  /** Probability that a message is delivered twice, in [0, 1). */
  readonly dup?: number;
  /** Probability that a message gets an extra delay of up to 10x maxDelayMs, in [0, 1). */
  readonly reorder?: number;
  /** Smallest one-way network delay in virtual ms. */
  readonly minDelayMs?: number;
  /** Largest one-way network delay (before reordering) in virtual ms. */
  readonly maxDelayMs?: number;
  /** Virtual ms between two ticks of a replica. */
  readonly tickMs?: number;
  /** Virtual ms a client waits for a result before sending its request to every replica. */
  readonly clientTimeoutMs?: number;
  /** Virtual time limit; requests still open then are liveness violations. */
  readonly maxTimeMs?: number;
  /**
   * Virtual ms the cluster keeps running after the last client completed (catch-up, checkpoints);
   * longer by default with faults, so that replicas left behind by a fault have time to rejoin.
   */
  readonly drainMs?: number;
  /** Signature scheme of every principal. */
  readonly crypto?: SimCrypto;
  /** Opening balance of each client's account. */
  readonly startingBalance?: bigint;
  /** Protocol parameters over the simulator's defaults (K = 16, L = 4K, batch 16). */
  readonly configOverrides?: Partial<PbftConfig>;
  /** Builds each replica; defaults to `new PbftReplica(config, deps)`. */
  readonly replicaFactory?: ReplicaFactory;
  /** Crash-fault protocol parameters over the simulator's defaults (`checkpointInterval` sets K). */
  readonly cftOverrides?: Partial<CftConfig>;
  /** Builds each crash-fault replica; defaults to `new CftReplica(config, deps)`. */
  readonly cftFactory?: CftReplicaFactory;
  /** Replica ids the checkers treat as faulty (their outputs are not held to the rules). */
  readonly faulty?: readonly number[];
  /** How many replicas (at most f) run Byzantine behaviours, chosen per seed (see byzantine-plan.ts). */
  readonly byzantine?: number;
  /** Behaviours (names or specs) the Byzantine replicas draw from; all of them by default. */
  readonly behaviours?: readonly string[];
  /** Pass each receiver's view and watermarks to the boundary, as the runtime does. */
  readonly boundaryWindow?: boolean;
  /** Stop at the end of the first event that produced a violation. */
  readonly stopOnViolation?: boolean;
  /** Random crashes and restarts of at most f replicas at a time during the fault phase. */
  readonly crash?: boolean;
  /** Random network partitions (symmetric and one-way) during the fault phase. */
  readonly partition?: boolean;
  /** Length of the fault phase from time 0, virtual ms: faults happen only inside it. */
  readonly faultPhaseMs?: number;
  /**
   * After the fault phase (every replica restarted, the network healed) each pending request must
   * complete within this many virtual ms (of the phase's end, or of its issue if later).
   */
  readonly livenessBoundMs?: number;
  /** Scripted faults, each inside the fault phase (merged with the random ones). */
  readonly schedule?: readonly FaultEvent[];
  /**
   * Crash-point mode: this replica crashes right after every step that wrote to its store (half the
   * time before that step's messages left) and restarts on its next tick, during the fault phase.
   */
  readonly crashEveryWrite?: number;
  /**
   * Largest pause, virtual ms, between a client's completion and its next request. Defaults to 0
   * without faults; with faults, to a value that spreads the workload over the fault phase.
   */
  readonly thinkMs?: number;
  /** Sees every output of every replica step; never changes the run. */
  readonly onOutput?: OutputTap;
}

/** SimOptions with every default filled in (same meanings; see SimOptions). */
export type ResolvedSimOptions = Required<
  Omit<
    SimOptions,
    'replicaFactory' | 'faulty' | 'crashEveryWrite' | 'onOutput' | 'byzantine' | 'behaviours' | 'cftFactory'
  >
> & {
  /** The crash-fault replica factory, or undefined for the honest core. */
  readonly cftFactory: CftReplicaFactory | undefined;
  /** Whether any fault is injected (random, scripted or crash points): a fault phase then runs. */
  readonly faults: boolean;
  /** The crash-point replica, if any. */
  readonly crashEveryWrite: number | undefined;
  /** The output tap, if any. */
  readonly onOutput: OutputTap | undefined;
  /** Faults tolerated: floor((n - 1) / 3) for PBFT, floor((n - 1) / 2) crashes for the crash-fault protocol. */
  readonly f: number;
  /** The replica factory, or undefined for the honest core. */
  readonly replicaFactory: ReplicaFactory | undefined;
  /** Replica ids treated as faulty by the checkers. */
  readonly faulty: ReadonlySet<number>;
};

/** The simulator's defaults. */
export const SIM_DEFAULTS = {
  replicas: 4,
  clients: 4,
  requests: 200,
  loss: 0,
  dup: 0,
  reorder: 0,
  minDelayMs: 1,
  maxDelayMs: 5,
  tickMs: 10,
  clientTimeoutMs: 200,
  maxTimeMs: 120_000,
  drainMs: 100,
  /** The drain with faults on: several fetch periods for replicas a fault left behind. */
  faultDrainMs: 2000,
  crypto: 'keyed-hash' as SimCrypto,
  startingBalance: 1_000_000n,
  /** K: small, so campaigns exercise checkpoints, stable points and state transfer often. */
  checkpointInterval: 16,
  /** L defaults to this many checkpoint intervals (64 with K = 16). */
  windowCheckpoints: 4,
  /** Batch size: small, so batches fill and the pipeline is exercised. */
  maxBatch: 16,
  boundaryWindow: true,
  stopOnViolation: true,
  crash: false,
  partition: false,
  faultPhaseMs: 20_000,
  livenessBoundMs: 30_000,
} as const;

/** A bad option value; `message` names the option and says what is allowed. */
export class SimOptionError extends RangeError {
  /** Stable code for callers that branch on the error type. */
  readonly code = 'bad-sim-option';
}

/** Faults tolerated by n replicas: floor((n - 1) / 3). */
export function faultsTolerated(n: number): number {
  return Math.floor((n - 1) / 3);
}

/** Throws SimOptionError unless `v` is an integer in [lo, hi]. */
function intIn(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isSafeInteger(v) || v < lo || v > hi) {
    throw new SimOptionError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
}

/** Throws SimOptionError unless `v` is a finite number in [lo, hi). */
function probability(name: string, v: number, hi: number): void {
  if (!Number.isFinite(v) || v < 0 || v >= hi) {
    throw new SimOptionError(`${name} must be a number in [0, ${hi}), got ${v}`);
  }
}

/** Throws SimOptionError unless `v` is a finite number > 0 (or >= 0 when `zero` is allowed). */
function duration(name: string, v: number, zero = false): void {
  if (!Number.isFinite(v) || v < 0 || (!zero && v === 0)) {
    throw new SimOptionError(`${name} must be a finite number ${zero ? '>= 0' : '> 0'} (ms), got ${v}`);
  }
}

/** Validates the protocol overrides the simulator depends on (K, L and the batch size). */
function checkOverrides(o: Partial<PbftConfig>): void {
  const k = o.checkpointInterval ?? SIM_DEFAULTS.checkpointInterval;
  const l = o.watermarkWindow ?? k * SIM_DEFAULTS.windowCheckpoints;
  intIn('checkpointInterval', k, 1, 1 << 20);
  intIn('watermarkWindow', l, k, 1 << 24);
  if (l % k !== 0)
    throw new SimOptionError(`watermarkWindow (${l}) must be a multiple of checkpointInterval (${k})`);
  intIn('maxBatch', o.maxBatch ?? SIM_DEFAULTS.maxBatch, 1, 512);
}

/** Fills defaults and validates; throws SimOptionError with a clear message on the first bad value. */
export function resolveOptions(o: SimOptions): ResolvedSimOptions {
  const d = SIM_DEFAULTS;
  const r = {
    seed: o.seed,
    replicas: o.replicas ?? d.replicas,
    clients: o.clients ?? d.clients,
    requests: o.requests ?? d.requests,
    loss: o.loss ?? d.loss,
    dup: o.dup ?? d.dup,
    reorder: o.reorder ?? d.reorder,
    minDelayMs: o.minDelayMs ?? d.minDelayMs,
    maxDelayMs: o.maxDelayMs ?? d.maxDelayMs,
    tickMs: o.tickMs ?? d.tickMs,
    clientTimeoutMs: o.clientTimeoutMs ?? d.clientTimeoutMs,
    maxTimeMs: o.maxTimeMs ?? d.maxTimeMs,
    drainMs: o.drainMs ?? d.drainMs,
    crypto: o.crypto ?? d.crypto,
    startingBalance: o.startingBalance ?? d.startingBalance,
  };
  const protocol = o.protocol ?? 'pbft';
  if (!SIM_PROTOCOLS.includes(protocol)) {
    throw new SimOptionError(`protocol must be one of ${SIM_PROTOCOLS.join(', ')}, got ${String(protocol)}`);
  }
  const cft = protocol === 'cft';
  intIn('seed', r.seed, 0, 0xffffffff);
  intIn('replicas', r.replicas, cft ? 3 : 4, 256);
  if (cft && ((o.byzantine ?? 0) > 0 || o.behaviours !== undefined || o.replicaFactory !== undefined)) {
    throw new SimOptionError(
      'byzantine replicas need --protocol pbft: the crash-fault protocol tolerates crashes only, not lies',
    );
  }
  intIn('clients', r.clients, 1, 10_000);
  intIn('requests', r.requests, 0, 100_000_000);
  probability('loss', r.loss, 0.5);
  probability('dup', r.dup, 1);
  probability('reorder', r.reorder, 1);
  duration('minDelayMs', r.minDelayMs, true);
  duration('maxDelayMs', r.maxDelayMs, true);
  if (r.maxDelayMs < r.minDelayMs) {
    throw new SimOptionError(`maxDelayMs (${r.maxDelayMs}) must be >= minDelayMs (${r.minDelayMs})`);
  }
  duration('tickMs', r.tickMs);
  duration('clientTimeoutMs', r.clientTimeoutMs);
  duration('maxTimeMs', r.maxTimeMs);
  duration('drainMs', r.drainMs, true);
  if (!SIM_CRYPTO_SCHEMES.includes(r.crypto)) {
    throw new SimOptionError(
      `crypto must be one of ${SIM_CRYPTO_SCHEMES.join(', ')}, got ${String(r.crypto)}`,
    );
  }
  if (typeof r.startingBalance !== 'bigint' || r.startingBalance < 0n) {
    throw new SimOptionError('startingBalance must be a non-negative bigint');
  }
  const configOverrides = o.configOverrides ?? {};
  checkOverrides(configOverrides);
  const byz = resolveByzantine(o, r.seed, r.replicas);
  const faulty = new Set([...(o.faulty ?? []), ...byz.ids]);
  for (const id of faulty) intIn('faulty replica id', id, 0, r.replicas - 1);
  return {
    ...r,
    ...resolveFaults({ ...o, faulty: [...faulty] }, r),
    protocol,
    f: cft ? Math.floor((r.replicas - 1) / 2) : faultsTolerated(r.replicas),
    configOverrides,
    cftOverrides: o.cftOverrides ?? {},
    cftFactory: o.cftFactory,
    replicaFactory: byz.factory ?? o.replicaFactory,
    faulty,
    boundaryWindow: o.boundaryWindow ?? d.boundaryWindow,
    stopOnViolation: o.stopOnViolation ?? d.stopOnViolation,
    onOutput: o.onOutput,
  };
}

/** The Byzantine replicas of this seed, if any were asked for. */
function resolveByzantine(
  o: SimOptions,
  seed: number,
  n: number,
): { ids: number[]; factory?: ReplicaFactory } {
  const count = o.byzantine ?? 0;
  if (count === 0) return { ids: [] };
  intIn('byzantine', count, 0, faultsTolerated(n));
  if (o.replicaFactory) throw new SimOptionError('byzantine and replicaFactory cannot be combined');
  try {
    const plan = byzantinePlan(seed, n, count, o.behaviours);
    return { ids: [...plan.specs.keys()], factory: plan.factory };
  } catch (err) {
    throw new SimOptionError(`behaviours: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The fault options, validated against the run's size and time limit. */
function resolveFaults(
  o: SimOptions,
  r: { replicas: number; clients: number; requests: number; maxTimeMs: number },
): Pick<
  ResolvedSimOptions,
  | 'crash'
  | 'partition'
  | 'faultPhaseMs'
  | 'livenessBoundMs'
  | 'schedule'
  | 'crashEveryWrite'
  | 'thinkMs'
  | 'faults'
  | 'drainMs'
> {
  const d = SIM_DEFAULTS;
  const crash = o.crash ?? d.crash;
  const partition = o.partition ?? d.partition;
  const faultPhaseMs = o.faultPhaseMs ?? d.faultPhaseMs;
  const livenessBoundMs = o.livenessBoundMs ?? d.livenessBoundMs;
  const schedule = o.schedule ?? [];
  const crashEveryWrite = o.crashEveryWrite;
  duration('faultPhaseMs', faultPhaseMs);
  duration('livenessBoundMs', livenessBoundMs);
  if (crashEveryWrite !== undefined) intIn('crashEveryWrite', crashEveryWrite, 0, r.replicas - 1);
  for (const e of schedule) checkFaultEvent(e, r.replicas, r.clients, faultPhaseMs);
  const faults = crash || partition || schedule.length > 0 || crashEveryWrite !== undefined;
  if (faults && r.maxTimeMs <= faultPhaseMs) {
    throw new SimOptionError(`maxTimeMs (${r.maxTimeMs}) must exceed faultPhaseMs (${faultPhaseMs})`);
  }
  const spread = Math.round((2 * faultPhaseMs * r.clients) / Math.max(1, r.requests));
  const thinkMs = o.thinkMs ?? (faults ? Math.min(spread, faultPhaseMs / 2) : 0);
  duration('thinkMs', thinkMs, true);
  const drainMs = o.drainMs ?? (faults ? d.faultDrainMs : d.drainMs);
  return {
    crash,
    partition,
    faultPhaseMs,
    livenessBoundMs,
    schedule,
    crashEveryWrite,
    thinkMs,
    faults,
    drainMs,
  };
}

/** Throws SimOptionError unless a scripted fault names real replicas and lies inside the fault phase. */
function checkFaultEvent(e: FaultEvent, n: number, clients: number, phaseMs: number): void {
  if (!Number.isFinite(e.atMs) || e.atMs < 0 || e.atMs > phaseMs) {
    throw new SimOptionError(
      `schedule: ${e.type} at ${e.atMs} ms is outside the fault phase [0, ${phaseMs}]`,
    );
  }
  const ids = (what: string, list: readonly number[]): void => {
    for (const id of list) intIn(`schedule: ${what} replica id`, id, 0, n - 1);
  };
  switch (e.type) {
    case 'crash':
    case 'restart':
    case 'isolate':
      ids(e.type, e.replicas);
      return;
    case 'heal':
      return;
    case 'partition': {
      e.groups.forEach((g) => {
        ids('partition', g);
      });
      const all = e.groups.flat();
      if (new Set(all).size !== all.length) throw new SimOptionError('schedule: partition groups overlap');
      if (e.groups.length < 2 || (e.oneWay === true && e.groups.length !== 2)) {
        throw new SimOptionError('schedule: a partition needs two or more groups (exactly two when one-way)');
      }
      const sides = typeof e.clients === 'object' ? e.clients : [e.clients ?? 'all'];
      if (typeof e.clients === 'object' && e.clients.length !== clients) {
        throw new SimOptionError(
          `schedule: partition places ${e.clients.length} clients, the run has ${clients}`,
        );
      }
      for (const side of sides)
        if (side !== 'all') intIn('schedule: client group', side, 0, e.groups.length - 1);
      return;
    }
  }
}
