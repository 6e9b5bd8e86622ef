/**
 * The simulator's driver: n replicas of the real PBFT core and closed-loop clients on a virtual
 * clock, talking only through envelope bytes over a seeded faulty network, every frame checked by
 * the real boundary before a core or client sees it, and every step watched by the checkers.
 * With faults on, a fault phase of crashes, restarts and partitions comes first; then everything is
 * healed and each pending request must complete within the liveness bound.
 * A run is a pure function of its options: same options, same result, bit for bit.
 */

import type { Input, Output } from '../core/pbft/types.js';
import { type Prng, seededRng } from '../core/prng.js';
import { ForgeryWatch } from '../evidence/forgery.js';
import { openFrame } from '../messages/boundary.js';
import { CheckerSuite } from './checkers.js';
import { type ClientHost, type Completion, SimClient } from './client.js';
import { EventQueue } from './event-queue.js';
import type { FaultEvent } from './faults.js';
import { FaultInjector, faultSchedule } from './injector.js';
import { type Delivery, type Endpoint, SimNetwork } from './network.js';
import { type ResolvedSimOptions, resolveOptions, type SimOptions } from './options.js';
import { type HostStep, ReplicaHost } from './replica-host.js';
import { buildResult, type RunTotals, type SimResult } from './result.js';
import { countOutput, countRejected, emptyRunTotals, openRequests } from './run-totals.js';
import { buildWorld, type SimWorld } from './setup.js';

export type { SimResult } from './result.js';

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

/** One simulated run; use `runSimulation`. */
class Simulation {
  /** Options with defaults. */
  private readonly o: ResolvedSimOptions;
  /** Keys, principals, genesis. */
  private readonly world: SimWorld;
  /** The agenda. */
  private readonly queue = new EventQueue<SimEvent>();
  /** The network. */
  private readonly network: SimNetwork;
  /** Replicas by id. */
  private readonly hosts: ReplicaHost[];
  /** Clients by id. */
  private readonly clients: SimClient[];
  /** Each replica's watch for forged certificates among the frames it receives. */
  private readonly forgeries: ForgeryWatch[];
  /** Safety and liveness checkers. */
  private readonly checkers: CheckerSuite;
  /** Crashes, restarts and partitions. */
  private readonly injector: FaultInjector;
  /** Counters the result reports. */
  private readonly totals: RunTotals = emptyRunTotals();
  /** Clients pausing between two requests (a 'client-start' event wakes each). */
  private readonly paused = new Set<number>();
  /** Think times between a client's requests. */
  private readonly thinkRng: Prng;
  /** When the fault phase ends (0 without faults): liveness deadlines count from here. */
  private readonly faultEndMs: number;
  /** Completions in the order clients accepted them. */
  private readonly completions: Completion[] = [];
  /** Current virtual time, ms. */
  private now = 0;
  /** Clients whose whole workload completed: the run winds down when all are. */
  private doneClients = 0;

  constructor(options: SimOptions) {
    this.o = resolveOptions(options);
    const o = this.o;
    const rng = seededRng(o.seed);
    this.world = buildWorld({
      seed: o.seed,
      n: o.replicas,
      f: o.f,
      clients: o.clients,
      crypto: o.crypto,
      startingBalance: o.startingBalance,
    });
    this.network = new SimNetwork(o, rng.fork('network'), (at, d) => this.queue.push(at, d));
    this.hosts = Array.from(
      { length: o.replicas },
      (_, id) =>
        new ReplicaHost(
          id,
          this.world,
          o,
          (seq, digest) => this.checkers.boundaryDigest(id, seq, digest),
          id === o.crashEveryWrite,
        ),
    );
    const keys = { cluster: this.world.cluster, principals: this.world.principals };
    this.forgeries = this.hosts.map(() => new ForgeryWatch(keys));
    this.checkers = new CheckerSuite({
      n: o.replicas,
      f: o.f,
      checkpointInterval: this.hosts[0]?.config.checkpointInterval ?? 1,
      genesisTotal: this.world.genesisTotal,
      accounts: this.world.accounts,
      isCorrect: (id) => !o.faulty.has(id),
    });
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
    this.clients = this.makeClients(rng.fork('clients'));
    this.doneClients = this.clients.filter((c) => c.done).length;
    this.scheduleStart(rng.fork('start'));
    this.scheduleFaults(rng.fork('faults'));
  }

  /** Builds the clients, splitting the request total evenly (the first ones take the remainder). */
  private makeClients(rng: Prng): SimClient[] {
    const { clients, requests } = this.o;
    const host: ClientHost = {
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
      rejected: (reason) => this.countRejected(reason),
    };
    return this.world.clients.map((key, id) => {
      const share = Math.floor(requests / clients) + (id < requests % clients ? 1 : 0);
      const workload = {
        requests: share,
        accounts: this.world.accounts,
        issuer: id === 0,
        startingBalance: this.o.startingBalance,
      };
      return new SimClient(id, key.signer, rng.fork(`client/${id}`), host, workload);
    });
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
  private pace(client: SimClient): void {
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
        this.stepReplica(e.replica, { type: 'tick' });
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

  /** Delivers bytes: a client verifies them itself; a replica's boundary opens them first. */
  private deliver(d: Delivery): void {
    if (d.to.role === 'client') {
      const client = this.clients[d.to.id];
      if (client === undefined) return;
      client.onFrame(d.bytes, this.now);
      if (!this.paused.has(client.id)) client.issueNext(this.now);
      return;
    }
    const host = this.hosts[d.to.id];
    if (host === undefined || !host.alive) return;
    const opened = openFrame(d.bytes, host.boundary());
    const watch = this.forgeries[host.id]!;
    const forged = opened.ok ? watch.verified(opened.value) : watch.refused(d.bytes, opened.reason);
    if (forged) this.o.onEvidence?.(host.id, { kind: 'forged-certificate', ...forged }, this.now);
    if (!opened.ok) {
      this.countRejected(opened.reason);
      return;
    }
    this.stepReplica(host.id, { type: 'message', msg: opened.value });
  }

  /**
   * Steps one replica, carries out its outputs (the step's persist group is already durable), and
   * runs the per-step checks; in the crash-point mode the replica may crash right after.
   */
  private stepReplica(id: number, input: Input): void {
    const host = this.hosts[id];
    if (host === undefined || !host.alive) return;
    let step: HostStep;
    try {
      step = host.step(input);
    } catch (err) {
      host.status = 'failed';
      this.checkers.threw(id, host.replica.lastExecuted, err);
      return;
    }
    const point = this.injector.crashPoint(id, step.wrote);
    let changed = false;
    for (const out of step.outs) {
      this.o.onOutput?.(id, out, this.now);
      if (out.type === 'evidence') {
        const { replica, first, second } = out;
        this.o.onEvidence?.(id, { kind: 'equivocation', replica, first, second }, this.now);
      }
      this.checkers.output(id, out);
      changed = this.carryOut(id, out, point.dropSends) || changed;
    }
    this.checkReplica(id, changed);
    if (point.crash) this.injector.crash(id);
  }

  /** Money (when the ledger changed) and the core's invariants, after a step or a restart. */
  private checkReplica(id: number, changed: boolean): void {
    const host = this.hosts[id];
    if (host === undefined || !host.alive) return;
    if (changed) this.checkers.ledger(id, host.replica.lastExecuted, host.stateMachine.inner.ledger);
    try {
      host.replica.assertInvariants();
    } catch (err) {
      this.checkers.invariant(id, host.replica.lastExecuted, err);
    }
  }

  /** Carries out one output (sends are dropped when a crash cut them off); true when the ledger changed. */
  private carryOut(id: number, out: Output, dropSends: boolean): boolean {
    const from: Endpoint = { role: 'replica', id };
    switch (out.type) {
      case 'send':
        if (!dropSends) this.network.send(this.now, from, { role: 'replica', id: out.to }, out.msg.bytes);
        return false;
      case 'broadcast':
        for (let to = 0; to < this.o.replicas && !dropSends; to++) {
          if (to !== id) this.network.send(this.now, from, { role: 'replica', id: to }, out.msg.bytes);
        }
        return false;
      case 'reply':
        if (!dropSends) this.network.send(this.now, from, { role: 'client', id: out.client }, out.msg.bytes);
        return false;
      case 'state-transferred':
        this.hosts[id]!.stateTransfers++;
        return countOutput(this.totals, id, out, this.now);
      default:
        return countOutput(this.totals, id, out, this.now);
    }
  }

  /** Counts a refused frame by reason. */
  private countRejected(reason: string): void {
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
      replicas: this.hosts.map((h) => ({
        lastExecuted: h.replica.lastExecuted,
        view: h.replica.view,
        changingView: h.replica.changingView,
        correct: !this.o.faulty.has(h.id),
        digest: h.stateMachine.digest(),
        status: h.status,
        crashes: h.crashes,
        stateTransfers: h.stateTransfers,
        ...this.checkers.execution.tally(h.id),
      })),
    });
  }
}

/** Runs one simulation; fully deterministic given `options`. Throws SimOptionError on bad options. */
export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}
