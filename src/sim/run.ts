/**
 * The PBFT simulation: n replicas of the real PBFT core on the protocol-neutral driver
 * (`driver.ts`), every frame checked by the real boundary (with the receiver's view and
 * watermarks) before a core sees it, and clients that accept f + 1 matching signed replies.
 * A run is a pure function of its options: same options, same result, bit for bit.
 */

import type { Input, Output } from '../core/pbft/types.js';
import { seededRng } from '../core/prng.js';
import { ForgeryWatch } from '../evidence/forgery.js';
import { runCftSimulation } from './cft-run.js';
import { CheckerSuite } from './checkers.js';
import { SimClient } from './client.js';
import { type DriverParts, SimDriver, worldOf } from './driver.js';
import type { Delivery, Endpoint } from './network.js';
import { type ResolvedSimOptions, resolveOptions, type SimOptions } from './options.js';
import { ReplicaHost } from './replica-host.js';
import type { FinalReplica, SimResult } from './result.js';
import { countOutput, countSurplus } from './run-totals.js';

export type { SimResult } from './result.js';

/** The hosts, checkers and clients of a PBFT run. */
function pbftParts(o: ResolvedSimOptions): DriverParts<ReplicaHost, SimClient> {
  const rng = seededRng(o.seed);
  const world = worldOf(o);
  let checkers: CheckerSuite | undefined;
  const hosts = Array.from(
    { length: o.replicas },
    (_, id) =>
      new ReplicaHost(
        id,
        world,
        o,
        (seq, digest) => checkers?.boundaryDigest(id, seq, digest),
        id === o.crashEveryWrite,
      ),
  );
  checkers = new CheckerSuite({
    n: o.replicas,
    f: o.f,
    checkpointInterval: hosts[0]?.config.checkpointInterval ?? 1,
    genesisTotal: world.genesisTotal,
    accounts: world.accounts,
    isCorrect: (id) => !o.faulty.has(id),
  });
  const makeClient: DriverParts<ReplicaHost, SimClient>['makeClient'] = (...args) => new SimClient(...args);
  return { o, world, rng, hosts, checkers, makeClient };
}

/** One simulated PBFT run; use `runSimulation`. */
class Simulation extends SimDriver<Input, Output, ReplicaHost, SimClient> {
  /** Each replica's watch for forged certificates among the frames it receives. */
  private readonly forgeries: ForgeryWatch[];

  constructor(parts: DriverParts<ReplicaHost, SimClient>) {
    super(parts);
    const keys = { cluster: parts.world.cluster, principals: parts.world.principals };
    this.forgeries = parts.hosts.map(() => new ForgeryWatch(keys));
  }

  protected tickInput(): Input {
    return { type: 'tick' };
  }

  protected open(host: ReplicaHost, d: Delivery): Input | undefined {
    const opened = host.open(d.bytes);
    if (opened === 'surplus') return countSurplus(this.totals);
    const watch = this.forgeries[host.id]!;
    const forged = opened.ok ? watch.verified(opened.value) : watch.refused(d.bytes, opened.reason);
    if (forged) this.o.onEvidence?.(host.id, { kind: 'forged-certificate', ...forged }, this.now);
    if (opened.ok) return { type: 'message', msg: opened.value };
    this.countRejected(opened.reason);
    return undefined;
  }

  protected observe(id: number, out: Output): void {
    this.o.onOutput?.(id, out, this.now);
    if (out.type === 'evidence') {
      const { replica, first, second } = out;
      this.o.onEvidence?.(id, { kind: 'equivocation', replica, first, second }, this.now);
    }
    this.checkers.output(id, out);
  }

  protected carryOut(id: number, out: Output, dropSends: boolean): boolean {
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

  protected summary(h: ReplicaHost): FinalReplica {
    return {
      lastExecuted: h.replica.lastExecuted,
      view: h.replica.view,
      changingView: h.replica.changingView,
      correct: !this.o.faulty.has(h.id),
      digest: h.stateMachine.digest(),
      status: h.status,
      crashes: h.crashes,
      stateTransfers: h.stateTransfers,
      ...this.checkers.execution.tally(h.id),
    };
  }
}

/** Runs one simulation; fully deterministic given `options`. Throws SimOptionError on bad options. */
export function runSimulation(options: SimOptions): SimResult {
  const o = resolveOptions(options);
  return o.protocol === 'cft' ? runCftSimulation(o) : new Simulation(pbftParts(o)).run();
}
