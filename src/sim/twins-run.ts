/**
 * The Twins driver: one scenario of a Twins enumeration on virtual time. Each twinned id runs two
 * instances of the honest core (same key, separate state and store); every other id runs one. A
 * message sent to an id goes to each of its instances that the partition in force lets the sender
 * reach; a message from either instance is from that id (same signer). Clients sit on every side.
 *
 * Schedule slot s applies view s's partition. It lasts until every correct replica's view exceeds s
 * (they moved past it), or at most `slotMs(s)` = 2^(s+1) view-change timeouts + the client timeout +
 * 10 ticks of virtual time, long enough for a timeout, the client's broadcast and a view change.
 * After the last slot the network heals and the liveness phase runs: every client's workload must
 * complete within `livenessBoundMs`. The checkers hold every correct replica to the rules; twinned
 * ids are faulty to them. A run is a pure function of its options.
 */
import type { Input, Output } from '../core/pbft/types.js';
import { type Prng, seededRng } from '../core/prng.js';
import { CheckerSuite } from './checkers.js';
import { type ClientHost, type Completion, SimClient } from './client.js';
import { buildClients } from './closed-loop-client.js';
import { EventQueue } from './event-queue.js';
import type { FaultTotals } from './injector.js';
import { type Delivery, type Endpoint, SimNetwork } from './network.js';
import type { ResolvedSimOptions } from './options.js';
import { ReplicaHost } from './replica-host.js';
import { buildResult, type RunTotals } from './result.js';
import { countOutput, countRejected, countSurplus, emptyRunTotals, openRequests } from './run-totals.js';
import { buildWorld, type SimWorld } from './setup.js';
import {
  resolveTwinsOptions,
  TWINS_DEFAULTS,
  type TwinsRunOptions,
  type TwinsRunResult,
} from './twins-options.js';
import { idOfNode, nodeCount, nodesOfId } from './twins-schedule.js';

/** Everything that can happen at an instant of a Twins run. */
type TwinsEvent =
  | { readonly type: 'tick'; readonly node: number }
  | { readonly type: 'client-start'; readonly client: number }
  | { readonly type: 'client-timer'; readonly client: number; readonly timestamp: number }
  | { readonly type: 'slot-end'; readonly slot: number }
  | Delivery;

/** No crashes or restarts happen in a Twins run. */
const NO_FAULTS: FaultTotals = {
  crashes: 0,
  restarts: 0,
  crashPoints: 0,
  partitions: 0,
  refusedOnRestart: 0,
};

/** One Twins run; use `runTwinsScenario`. */
class TwinsSimulation {
  /** Simulator options (the hosts read protocol overrides from them). */
  private readonly o: ResolvedSimOptions;
  /** Keys and genesis. */
  private readonly world: SimWorld;
  /** The agenda. */
  private readonly queue = new EventQueue<TwinsEvent>();
  /** The network; replica endpoints are addressed by node. */
  private readonly network: SimNetwork;
  /** One host per node. */
  private readonly hosts: ReplicaHost[];
  /** Clients by id. */
  private readonly clients: SimClient[];
  /** The checkers (twinned ids are faulty to them). */
  private readonly checkers: CheckerSuite;
  /** Driver counters. */
  private readonly totals: RunTotals = emptyRunTotals();
  /** Pauses between a client's requests. */
  private readonly thinkRng: Prng;
  /** Completions in acceptance order. */
  private readonly completions: Completion[] = [];
  /** Exceptions thrown by twin instances. */
  private readonly twinExceptions: string[] = [];
  /** When each finished slot ended. */
  private readonly slotEnds: number[] = [];
  /** Partitions that cut someone off. */
  private partitions = 0;
  /** Clients pausing: thinking (a 'client-start' wakes each) or holding their last request until healing. */
  private readonly holding = new Set<number>();
  /** The current slot (== views once healed). */
  private slot = -1;
  /** When the network healed. */
  private healedAt: number | undefined;
  /** Current virtual time, ms. */
  private now = 0;
  /** Clients whose workload completed. */
  private doneClients = 0;

  constructor(private readonly t: TwinsRunOptions) {
    this.o = resolveTwinsOptions(t);
    const o = this.o;
    const rng = seededRng(o.seed);
    this.world = buildWorld({ ...o, n: o.replicas });
    this.network = new SimNetwork(o, rng.fork('network'), (at, d) => this.queue.push(at, d));
    const digest = (id: number) => (seq: number, d: Uint8Array) => this.checkers.boundaryDigest(id, seq, d);
    this.hosts = Array.from({ length: nodeCount(t.spec) }, (_, node) => {
      const id = idOfNode(t.spec, node);
      return new ReplicaHost(id, this.world, o, digest(id), false);
    });
    this.checkers = new CheckerSuite({
      n: o.replicas,
      f: o.f,
      checkpointInterval: this.hosts[0]?.config.checkpointInterval ?? 1,
      genesisTotal: this.world.genesisTotal,
      accounts: this.world.accounts,
      isCorrect: (id) => !o.faulty.has(id),
    });
    this.thinkRng = rng.fork('think');
    this.clients = this.makeClients(rng.fork('clients'));
    this.doneClients = this.clients.filter((c) => c.done).length;
    const start = rng.fork('start');
    for (let node = 0; node < this.hosts.length; node++)
      this.queue.push(start.uniform(0, o.tickMs), { type: 'tick', node });
    for (const c of this.clients)
      this.queue.push(start.uniform(0, o.maxDelayMs), { type: 'client-start', client: c.id });
    this.startSlot(0);
  }

  /** Virtual ms slot `s` lasts at most (see the file comment). */
  private slotMs(s: number): number {
    const cfg = this.hosts[0]?.config;
    const timeoutMs = (cfg?.requestTimeoutTicks ?? TWINS_DEFAULTS.requestTimeoutTicks) * this.o.tickMs;
    return timeoutMs * 2 ** (s + 1) + this.o.clientTimeoutMs + 10 * this.o.tickMs;
  }

  /** Puts slot `s`'s partition in force, or heals the network after the last slot. */
  private startSlot(s: number): void {
    if (this.slot >= 0) this.slotEnds.push(this.now);
    this.slot = s;
    if (s >= this.t.spec.views) {
      this.network.cut = undefined;
      this.healedAt = this.now;
      for (const id of this.holding) this.queue.push(this.now, { type: 'client-start', client: id });
      this.holding.clear();
      return;
    }
    const groups = this.t.schedule.groups[s] ?? [];
    const split = groups.some((g) => g !== groups[0]);
    if (split) this.partitions++;
    // Clients sit on every side; only replica-to-replica links between the two groups are cut.
    this.network.cut = split
      ? (from, to) => from.role === 'replica' && to.role === 'replica' && groups[from.id] !== groups[to.id]
      : undefined;
    this.queue.push(this.now + this.slotMs(s), { type: 'slot-end', slot: s });
  }

  /** Moves to the next slots while every correct replica is past the current one. */
  private followViews(): void {
    while (this.slot < this.t.spec.views) {
      const past = this.hosts.every((h) => this.o.faulty.has(h.id) || h.replica.view > this.slot);
      if (!past) return;
      this.startSlot(this.slot + 1);
    }
  }

  /** Builds the clients, splitting the request total evenly. */
  private makeClients(rng: Prng): SimClient[] {
    const host: ClientHost = {
      n: this.o.replicas,
      f: this.o.f,
      cluster: this.world.cluster,
      boundary: { cluster: this.world.cluster, principals: this.world.principals },
      timeoutMs: this.o.clientTimeoutMs,
      send: (client, replica, bytes) => {
        for (const node of nodesOfId(this.t.spec, replica))
          this.network.send(this.now, { role: 'client', id: client }, { role: 'replica', id: node }, bytes);
      },
      setTimer: (client, timestamp, delayMs) =>
        this.queue.push(this.now + delayMs, { type: 'client-timer', client, timestamp }),
      issued: (client, timestamp) => this.checkers.issued(client, timestamp),
      completed: (c) => {
        this.completions.push(c);
        this.checkers.completed(c);
        const client = this.clients[c.client];
        if (client?.done === true) this.doneClients++;
        else if (client !== undefined) this.pace(client);
      },
      rejected: (reason) => this.countRejected(reason),
    };
    return buildClients(this.o, this.world, rng, host, (...args) => new SimClient(...args));
  }

  /** While the schedule runs a client thinks between requests and holds its last until healing. */
  private pace(client: SimClient): void {
    if (this.healedAt !== undefined) return;
    if (client.totalRequests - client.completedCount === 1) {
      this.holding.add(client.id);
      return;
    }
    const think = this.thinkRng.uniform(0, this.t.thinkMs ?? TWINS_DEFAULTS.thinkMs);
    this.holding.add(client.id);
    this.queue.push(this.now + think, { type: 'client-start', client: client.id });
  }

  /** Runs to completion (plus the drain), to the liveness bound, or to the first violation. */
  run(): TwinsRunResult {
    let doneAt: number | undefined;
    for (;;) {
      const at = this.queue.peekTime();
      if (at === undefined || at > this.o.maxTimeMs) break;
      if (this.healedAt !== undefined && at > this.healedAt + this.o.livenessBoundMs) break;
      if (doneAt !== undefined && at > doneAt + this.o.drainMs) break;
      const next = this.queue.pop();
      if (next === undefined) break;
      this.now = next.at;
      this.totals.events++;
      this.dispatch(next.event);
      if (this.o.stopOnViolation && this.checkers.violations.length > 0) break;
      const settled = this.doneClients === this.clients.length && this.healedAt !== undefined;
      if (doneAt === undefined && settled) doneAt = this.now;
    }
    return this.finish();
  }

  /** Handles one event. */
  private dispatch(e: TwinsEvent): void {
    switch (e.type) {
      case 'tick':
        this.queue.push(this.now + this.o.tickMs, e);
        this.stepNode(e.node, { type: 'tick' });
        return;
      case 'client-start':
        this.holding.delete(e.client);
        this.clients[e.client]?.issueNext(this.now);
        return;
      case 'client-timer':
        this.clients[e.client]?.onTimeout(e.timestamp);
        return;
      case 'slot-end':
        if (e.slot === this.slot) this.startSlot(this.slot + 1);
        return;
      case 'deliver':
        this.deliver(e);
        return;
    }
  }

  /** Delivers bytes to a client, or through a node's boundary to its core. */
  private deliver(d: Delivery): void {
    if (d.to.role === 'client') {
      const client = this.clients[d.to.id];
      if (client === undefined) return;
      client.onFrame(d.bytes, this.now);
      if (!this.holding.has(client.id)) client.issueNext(this.now);
      return;
    }
    const host = this.hosts[d.to.id];
    if (host === undefined || !host.alive) return;
    const opened = host.open(d.bytes);
    if (opened === 'surplus') return countSurplus(this.totals);
    if (!opened.ok) {
      this.countRejected(opened.reason);
      return;
    }
    this.stepNode(d.to.id, { type: 'message', msg: opened.value });
  }

  /** Steps one node's core, carries out its outputs, and runs the per-step checks. */
  private stepNode(node: number, input: Input): void {
    const host = this.hosts[node];
    if (host === undefined || !host.alive) return;
    const twin = this.o.faulty.has(host.id);
    let outs: Output[];
    try {
      outs = host.step(input).outs;
    } catch (err) {
      host.status = 'failed';
      const text = err instanceof Error ? err.message : String(err);
      if (twin) this.twinExceptions.push(`node ${node} (replica ${host.id}) at ${this.now} ms: ${text}`);
      else this.checkers.threw(host.id, host.replica.lastExecuted, err);
      return;
    }
    let changed = false;
    for (const out of outs) {
      this.checkers.output(host.id, out);
      changed = this.carryOut(node, out) || changed;
    }
    if (changed) this.checkers.ledger(host.id, host.replica.lastExecuted, host.stateMachine.inner.ledger);
    try {
      host.replica.assertInvariants();
    } catch (err) {
      this.checkers.invariant(host.id, host.replica.lastExecuted, err);
    }
    if (!twin) this.followViews();
  }

  /** Sends bytes from a node to every reachable instance of replica `to`. */
  private sendTo(node: number, to: number, bytes: Uint8Array): void {
    const from: Endpoint = { role: 'replica', id: node };
    for (const target of nodesOfId(this.t.spec, to))
      this.network.send(this.now, from, { role: 'replica', id: target }, bytes);
  }

  /** Carries out one output of a node; true when its ledger changed. */
  private carryOut(node: number, out: Output): boolean {
    const id = idOfNode(this.t.spec, node);
    switch (out.type) {
      case 'send':
        this.sendTo(node, out.to, out.msg.bytes);
        return false;
      case 'broadcast':
        for (let to = 0; to < this.o.replicas; to++) if (to !== id) this.sendTo(node, to, out.msg.bytes);
        return false;
      case 'reply':
        this.network.send(
          this.now,
          { role: 'replica', id: node },
          { role: 'client', id: out.client },
          out.msg.bytes,
        );
        return false;
      default:
        return countOutput(this.totals, id, out, this.now);
    }
  }

  /** Counts a refused frame by reason. */
  private countRejected(reason: string): void {
    countRejected(this.totals, reason);
  }

  /** End-of-run checks and the result. */
  private finish(): TwinsRunResult {
    const open = openRequests(this.clients);
    if (!this.o.stopOnViolation || this.checkers.violations.length === 0)
      this.checkers.finish(open, Math.round(this.now));
    const result = buildResult({
      seed: this.o.seed,
      virtualMs: this.now,
      checkers: this.checkers,
      completions: this.completions,
      network: this.network.stats,
      totals: this.totals,
      faults: { ...NO_FAULTS, partitions: this.partitions },
      replicas: this.hosts.map((h) => ({
        lastExecuted: h.replica.lastExecuted,
        view: h.replica.view,
        changingView: h.replica.changingView,
        correct: !this.o.faulty.has(h.id),
        digest: h.stateMachine.digest(),
        status: h.status,
        crashes: 0,
        stateTransfers: 0,
        ...this.checkers.execution.tally(h.id),
      })),
    });
    return { result, twinExceptions: [...this.twinExceptions], slotEnds: [...this.slotEnds] };
  }
}

export { TWINS_DEFAULTS, type TwinsRunOptions, type TwinsRunResult } from './twins-options.js';

/** Runs one Twins scenario; deterministic given its options. Throws SimOptionError on bad options. */
export function runTwinsScenario(options: TwinsRunOptions): TwinsRunResult {
  return new TwinsSimulation(options).run();
}
