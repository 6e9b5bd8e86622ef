/**
 * Carries out faults on the simulated cluster: crashes and restarts of replica hosts, partitions of
 * the network, the crash-point mode (one replica crashes after every write to its store), and the
 * end of the fault phase (every partition healed, every crashed replica restarted).
 */
import type { Prng } from '../core/prng.js';
import type { CheckerSuite } from './checkers.js';
import type { CrashableHost } from './driver-host.js';
import { randomFaultPlan } from './fault-plan.js';
import { type FaultEvent, Partitions } from './faults.js';
import type { SimNetwork } from './network.js';
import type { ResolvedSimOptions } from './options.js';

/** Fault counters for the run's result. */
export interface FaultTotals {
  /** Replica crashes (scripted, random and crash points). */
  crashes: number;
  /** Restarts from the store. */
  restarts: number;
  /** Crashes of the crash-point mode. */
  crashPoints: number;
  /** Partitions (and isolations) started. */
  partitions: number;
  /** Stored envelopes the boundary refused on restarts (a healthy store gives none). */
  refusedOnRestart: number;
}

/** What the crash-point mode decides after a step. */
export interface CrashPoint {
  /** The replica crashes right after this step. */
  readonly crash: boolean;
  /** The crash landed between the step's durable write and its sends: none of them leaves. */
  readonly dropSends: boolean;
}

/** The run's faults: the random plan (when asked for) and then the scripted schedule. */
export function faultSchedule(o: ResolvedSimOptions, rng: Prng): FaultEvent[] {
  const spec = {
    n: o.replicas,
    clients: o.clients,
    maxDown: Math.max(0, o.f - o.faulty.size),
    phaseMs: o.faultPhaseMs,
    crash: o.crash,
    partition: o.partition,
  };
  return [...randomFaultPlan(spec, rng), ...o.schedule];
}

/** No crash after this step. */
const NO_CRASH: CrashPoint = { crash: false, dropSends: false };

/** What the injector needs from the driver. */
export interface InjectorDeps {
  /** Replica hosts by id. */
  readonly hosts: readonly CrashableHost[];
  /** The network whose links partitions cut. */
  readonly network: SimNetwork;
  /** Where crashes, restarts and recovery failures are reported. */
  readonly checkers: CheckerSuite;
  /** Runs the per-step checks on a replica that just restarted. */
  readonly checkRestarted: (id: number) => void;
  /** The crash-point replica, if any. */
  readonly crashEveryWrite: number | undefined;
  /** Coin for whether a crash point drops the step's sends. */
  readonly rng: Prng;
  /** Number of clients (partitions place them). */
  readonly clients: number;
}

/** Applies fault events and keeps their counters. */
export class FaultInjector {
  /** Counters for the result. */
  readonly totals: FaultTotals = {
    crashes: 0,
    restarts: 0,
    crashPoints: 0,
    partitions: 0,
    refusedOnRestart: 0,
  };
  /** Partitions in force. */
  private readonly partitions: Partitions;
  /** False once the fault phase ended: no more faults. */
  private inPhase = true;
  /** The crash-point replica is down after a crash point (it restarts on its next tick). */
  private crashPointDown = false;

  constructor(
    /** The hosts, network and checkers it acts on. */
    private readonly deps: InjectorDeps,
  ) {
    this.partitions = new Partitions(deps.hosts.length, deps.clients);
  }

  /** Whether the fault phase is over (the liveness phase runs). */
  get phaseOver(): boolean {
    return !this.inPhase;
  }

  /** Carries out one scripted or random fault. */
  apply(e: FaultEvent): void {
    if (!this.inPhase) return;
    switch (e.type) {
      case 'crash':
        for (const id of e.replicas) this.crash(id);
        return;
      case 'restart':
        for (const id of e.replicas) this.restart(id);
        return;
      case 'partition':
      case 'isolate':
        this.partitions.add(e);
        this.totals.partitions++;
        break;
      case 'heal':
        this.partitions.heal(e.id);
        break;
    }
    this.deps.network.cut = this.partitions.filter();
  }

  /** Ends the fault phase: heals the network and restarts every crashed replica. */
  endPhase(): void {
    this.inPhase = false;
    this.partitions.heal();
    this.deps.network.cut = undefined;
    for (const host of this.deps.hosts) if (host.status === 'crashed') this.restart(host.id);
  }

  /** Crashes a running replica. */
  crash(id: number): void {
    const host = this.deps.hosts[id];
    if (host?.status !== 'up') return;
    this.deps.checkers.replicaCrashed(id, host.lastExecuted);
    host.crash();
    this.totals.crashes++;
  }

  /** Restarts a crashed replica from its store; a recovery that throws is a bug, reported. */
  restart(id: number): void {
    const host = this.deps.hosts[id];
    if (host?.status !== 'crashed') return;
    try {
      this.totals.refusedOnRestart += host.restart();
    } catch (err) {
      host.status = 'failed';
      this.deps.checkers.threw(id, -1, err);
      return;
    }
    this.totals.restarts++;
    this.deps.checkers.replicaRestarted(id, host.lastExecuted);
    this.deps.checkRestarted(id);
  }

  /** After a step of `id` that did (or did not) write to its store: the crash-point decision. */
  crashPoint(id: number, wrote: boolean): CrashPoint {
    if (!wrote || !this.inPhase || id !== this.deps.crashEveryWrite) return NO_CRASH;
    this.totals.crashPoints++;
    this.crashPointDown = true;
    return { crash: true, dropSends: this.deps.rng.chance(0.5) };
  }

  /** Before a tick of `id`: the crash-point replica restarts on its next tick. */
  beforeTick(id: number): void {
    if (id !== this.deps.crashEveryWrite || !this.crashPointDown) return;
    this.crashPointDown = false;
    this.restart(id);
  }
}
