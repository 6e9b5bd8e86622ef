/**
 * The simulator's protocol-neutral driver: n replica hosts and closed-loop clients on a virtual
 * clock, talking only through envelope bytes over a seeded faulty network, every step watched by
 * the checkers. With faults on, a fault phase of crashes, restarts and partitions comes first;
 * then everything is healed and each pending request must complete within the liveness bound.
 * A protocol supplies its hosts, clients and checkers, and says how a frame reaches its core and
 * what each output does (`run.ts` for PBFT, `cft-run.ts` for the crash-fault protocol).
 * A run is a pure function of its options: same options, same result, bit for bit.
 */
import type { Prng } from '../core/prng.js';
import type { CheckerSuite } from './checkers.js';
import {
  buildClients,
  type ClientFactory,
  type ClientHost,
  type ClosedLoopClient,
  type Completion,
} from './closed-loop-client.js';
import type { DriverHost, Step } from './driver-host.js';
import { EventQueue } from './event-queue.js';
import type { FaultEvent } from './faults.js';
import { FaultInjector, faultSchedule } from './injector.js';
import { type Delivery, SimNetwork } from './network.js';
import type { ResolvedSimOptions } from './options.js';
import { buildResult, type FinalReplica, type RunTotals, type SimResult } from './result.js';
import { countRejected, emptyRunTotals, openRequests } from './run-totals.js';
import { buildWorld, type SimWorld } from './setup.js';

/** Everything that can happen at an instant of virtual time. */
type SimEvent =
  | { readonly type: 'tick'; readonly replica: number }
  | { readonly type: 'client-start'; readonly client: number }
  | { readonly type: 'client-timer'; readonly client: number; readonly timestamp: number }
  | { readonly type: 'fault'; readonly fault: FaultEvent }
  | { readonly type: 'phase-end' }
  | {
      readonly type: 'deadline';
      readonly client: number;
      readonly timestamp: number;
      readonly issuedAt: number;
    }
  | Delivery;

/** The keys, principals and genesis of a run. */
export function worldOf(o: ResolvedSimOptions): SimWorld {
  const { seed, replicas: n, f, clients, crypto, startingBalance } = o;
  return buildWorld({ seed, n, f, clients, crypto, startingBalance });
}

/** What a protocol hands the driver. */
export interface DriverParts<H, C extends ClosedLoopClient> {
  /** Options with defaults. */
  readonly o: ResolvedSimOptions;
  /** Keys, principals, genesis. */
  readonly world: SimWorld;
  /** The run's root PRNG (only forked, never drawn from). */
  readonly rng: Prng;
  /** Replica hosts by id. */
  readonly hosts: H[];
  /** The checkers. */
  readonly checkers: CheckerSuite;
  /** Builds each client. */
  readonly makeClient: ClientFactory<C>;
}

/** One simulated run of some protocol; subclasses say what its frames and outputs do. */
export abstract class SimDriver<In, Out, H extends DriverHost<In, Out>, C extends ClosedLoopClient> {
  /** Options with defaults. */
  protected readonly o: ResolvedSimOptions;
  /** Keys, principals, genesis. */
  protected readonly world: SimWorld;
  /** The agenda. */
  protected readonly queue = new EventQueue<SimEvent>();
  /** The network. */
  protected readonly network: SimNetwork;
  /** Replicas by id. */
  protected readonly hosts: H[];
  /** Clients by id. */
  protected readonly clients: C[];
  /** Safety and liveness checkers. */
  protected readonly checkers: CheckerSuite;
  /** Crashes, restarts and partitions. */
  protected readonly injector: FaultInjector;
  /** Counters the result reports. */
  protected readonly totals: RunTotals = emptyRunTotals();
  /** Clients pausing between two requests (a 'client-start' event wakes each). */
  private readonly paused = new Set<number>();
  /** Think times between a client's requests. */
  private readonly thinkRng: Prng;
  /** When the fault phase ends (0 without faults): liveness deadlines count from here. */
  private readonly faultEndMs: number;
  /** Completions in the order clients accepted them. */
  private readonly completions: Completion[] = [];
  /** Current virtual time, ms. */
  protected now = 0;
  /** Clients whose whole workload completed: the run winds down when all are. */
  private doneClients = 0;

  constructor(parts: DriverParts<H, C>) {
    const { o, world, rng } = parts;
    this.o = o;
    this.world = world;
    this.network = new SimNetwork(o, rng.fork('network'), (at, d) => this.queue.push(at, d));
    this.hosts = parts.hosts;
    this.checkers = parts.checkers;
    this.injector = new FaultInjector({
      hosts: this.hosts,
      network: this.network,
      checkers: this.checkers,
      checkRestarted: (id) => this.checkReplica(id, true),
      crashEveryWrite: o.crashEveryWrite,
      rng: rng.fork('crash-points'),
      clients: o.clients,
    });
    this.faultEndMs = o.faults ? o.faultPhaseMs : 0;
    this.thinkRng = rng.fork('think');
    this.clients = buildClients(o, world, rng.fork('clients'), this.clientHost(), parts.makeClient);
    this.doneClients = this.clients.filter((c) => c.done).length;
    this.scheduleStart(rng.fork('start'));
    this.scheduleFaults(rng.fork('faults'));
  }

  /** What the clients need from the simulator. */
  private clientHost(): ClientHost {
    return {
      n: this.o.replicas,
      f: this.o.f,
      cluster: this.world.cluster,
      boundary: { cluster: this.world.cluster, principals: this.world.principals },
      timeoutMs: this.o.clientTimeoutMs,
      send: (client, replica, bytes) =>
        this.network.send(this.now, { role: 'client', id: client }, { role: 'replica', id: replica }, bytes),
      setTimer: (client, timestamp, delayMs) =>
        this.queue.push(this.now + delayMs, { type: 'client-timer', client, timestamp }),
      issued: (client, timestamp) => {
        this.checkers.issued(client, timestamp);
        const at = Math.max(this.now, this.faultEndMs) + this.o.livenessBoundMs;
        this.queue.push(at, { type: 'deadline', client, timestamp, issuedAt: this.now });
      },
      completed: (c) => {
        this.completions.push(c);
        this.checkers.completed(c);
        const client = this.clients[c.client];
        if (client?.done === true) this.doneClients++;
        else if (client !== undefined) this.pace(client);
      },
      rejected: (reason) => countRejected(this.totals, reason),
    };
  }

  /** First tick of each replica (staggered within one period) and each client's start. */
  private scheduleStart(rng: Prng): void {
    for (const host of this.hosts)
      this.queue.push(rng.uniform(0, this.o.tickMs), { type: 'tick', replica: host.id });
    for (const client of this.clients)
      this.queue.push(rng.uniform(0, this.o.maxDelayMs), { type: 'client-start', client: client.id });
  }

  /** Scripted and random faults, and the end of the fault phase (when faults are on). */
  private scheduleFaults(rng: Prng): void {
    if (!this.o.faults) return;
    for (const fault of faultSchedule(this.o, rng)) this.queue.push(fault.atMs, { type: 'fault', fault });
    this.queue.push(this.o.faultPhaseMs, { type: 'phase-end' });
  }

  /**
   * After a completion during the fault phase: the client pauses for a random think time (so its
   * workload spreads over the phase), and holds its last request until the phase is over, so that
   * every client has work in the liveness phase. Afterwards clients run flat out.
   */
  private pace(client: C): void {
    if (this.injector.phaseOver && this.o.faults) return;
    const think = this.o.thinkMs > 0 ? this.thinkRng.uniform(0, this.o.thinkMs) : 0;
    const last = client.totalRequests - client.completedCount === 1;
    const at = Math.max(this.now + think, last && this.o.faults ? this.faultEndMs : 0);
    if (at <= this.now) return;
    this.paused.add(client.id);
    this.queue.push(at, { type: 'client-start', client: client.id });
  }

  /** Runs to completion (plus the drain period), to the time limit, or to the first violation. */
  run(): SimResult {
    let doneAt: number | undefined;
    for (;;) {
      const at = this.queue.peekTime();
      if (at === undefined || at > this.o.maxTimeMs) break;
      if (doneAt !== undefined && at > doneAt + this.o.drainMs) break;
      const next = this.queue.pop();
      if (next === undefined) break;
      this.now = next.at;
      this.totals.events++;
      this.dispatch(next.event);
      if (this.o.stopOnViolation && this.checkers.violations.length > 0) break;
      const settled = this.doneClients === this.clients.length && (this.injector.phaseOver || !this.o.faults);
      if (doneAt === undefined && settled) doneAt = this.now;
    }
    return this.finish();
  }

  /** Handles one event. */
  private dispatch(e: SimEvent): void {
    switch (e.type) {
      case 'tick':
        this.queue.push(this.now + this.o.tickMs, e);
        this.injector.beforeTick(e.replica);
        this.stepReplica(e.replica, this.tickInput());
        return;
      case 'client-start':
        this.paused.delete(e.client);
        this.clients[e.client]?.issueNext(this.now);
        return;
      case 'client-timer':
        this.clients[e.client]?.onTimeout(e.timestamp);
        return;
      case 'deliver':
        this.deliver(e);
        return;
      case 'fault':
        this.injector.apply(e.fault);
        return;
      case 'phase-end':
        this.injector.endPhase();
        return;
      case 'deadline':
        if (this.clients[e.client]?.pendingTimestamp !== e.timestamp) return;
        this.totals.overdue++;
        this.checkers.overdue(e.client, e.timestamp, e.issuedAt, this.now, this.o.livenessBoundMs);
        return;
    }
  }

  /** Delivers bytes: a client checks them itself; a replica's boundary opens them first. */
  private deliver(d: Delivery): void {
    if (d.to.role === 'client') {
      const client = this.clients[d.to.id];
      if (client === undefined) return;
      client.onFrame(d.bytes, this.now, d.from.id);
      if (!this.paused.has(client.id)) client.issueNext(this.now);
      return;
    }
    const host = this.hosts[d.to.id];
    if (host === undefined || !host.alive) return;
    const input = this.open(host, d);
    if (input !== undefined) this.stepReplica(host.id, input);
  }

  /** The protocol's tick input. */
  protected abstract tickInput(): In;

  /** Opens a frame at a replica's boundary: the core's input, or undefined (refusals counted). */
  protected abstract open(host: H, d: Delivery): In | undefined;

  /** Shows one output to the tap and the checkers. */
  protected abstract observe(id: number, out: Out): void;

  /** Carries out one output (sends dropped when a crash cut them off); true when the ledger changed. */
  protected abstract carryOut(id: number, out: Out, dropSends: boolean): boolean;

  /** A replica's final state for the result. */
  protected abstract summary(host: H): FinalReplica;

  /**
   * Steps one replica, carries out its outputs (the step's persist group is already durable), and
   * runs the per-step checks; in the crash-point mode the replica may crash right after.
   */
  protected stepReplica(id: number, input: In): void {
    const host = this.hosts[id];
    if (host === undefined || !host.alive) return;
    let step: Step<Out>;
    try {
      step = host.step(input);
    } catch (err) {
      host.status = 'failed';
      this.checkers.threw(id, host.lastExecuted, err);
      return;
    }
    const point = this.injector.crashPoint(id, step.wrote);
    let changed = false;
    for (const out of step.outs) {
      this.observe(id, out);
      changed = this.carryOut(id, out, point.dropSends) || changed;
    }
    this.checkReplica(id, changed);
    if (point.crash) this.injector.crash(id);
  }

  /** Money (when the ledger changed) and the core's invariants, after a step or a restart. */
  private checkReplica(id: number, changed: boolean): void {
    const host = this.hosts[id];
    if (host === undefined || !host.alive) return;
    if (changed) this.checkers.ledger(id, host.lastExecuted, host.ledger);
    try {
      host.assertInvariants();
    } catch (err) {
      this.checkers.invariant(id, host.lastExecuted, err);
    }
  }

  /** Counts a refused frame by reason. */
  protected countRejected(reason: string): void {
    countRejected(this.totals, reason);
  }

  /** End-of-run checks and the result. */
  private finish(): SimResult {
    const open = openRequests(this.clients);
    if (!this.o.stopOnViolation || this.checkers.violations.length === 0) {
      this.checkers.finish(open, Math.round(this.now));
    }
    return buildResult({
      seed: this.o.seed,
      virtualMs: this.now,
      checkers: this.checkers,
      completions: this.completions,
      network: this.network.stats,
      totals: this.totals,
      faults: this.injector.totals,
      replicas: this.hosts.map((h) => this.summary(h)),
    });
  }
}
