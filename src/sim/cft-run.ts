/**
 * The crash-fault simulation: n replicas of the real crash-fault core on the protocol-neutral
 * driver (`driver.ts`), with the same network, faults, clients' workload and liveness phase as the
 * PBFT runs. Every frame goes through the real crash-fault boundary with the sender the network
 * delivered it from (the transport's authenticated peer); a client REQUEST's signature is verified
 * there, once. Clients follow redirects and accept the leader's one reply. The checkers add
 * election safety, one vote per term and persist-before-send to the shared ones.
 */
import type { CftInput, CftOutput } from '../core/cft/types.js';
import { seededRng } from '../core/prng.js';
import { openCftFrame, sealCft } from '../messages/cft-boundary.js';
import { CftCheckerSuite } from './cft-checkers.js';
import { CftSimClient } from './cft-client.js';
import { CftHost } from './cft-host.js';
import { type DriverParts, SimDriver, worldOf } from './driver.js';
import type { Delivery, Endpoint } from './network.js';
import type { ResolvedSimOptions } from './options.js';
import type { FinalReplica, SimResult } from './result.js';

/** The hosts, checkers and clients of a crash-fault run. */
function cftParts(o: ResolvedSimOptions): DriverParts<CftHost, CftSimClient> & { checkers: CftCheckerSuite } {
  const rng = seededRng(o.seed);
  const world = worldOf(o);
  const checkers = new CftCheckerSuite({
    n: o.replicas,
    f: o.f,
    // Snapshots are taken at any applied index: digests are compared at every index reported.
    checkpointInterval: 1,
    genesisTotal: world.genesisTotal,
    accounts: world.accounts,
    isCorrect: () => true,
  });
  const hosts = Array.from(
    { length: o.replicas },
    (_, id) => new CftHost(id, world, o, rng, (index, digest) => checkers.boundaryDigest(id, index, digest)),
  );
  const makeClient: DriverParts<CftHost, CftSimClient>['makeClient'] = (...args) => new CftSimClient(...args);
  return { o, world, rng, hosts, checkers, makeClient };
}

/** One simulated crash-fault run; use `runCftSimulation`. */
class CftSimulation extends SimDriver<CftInput, CftOutput, CftHost, CftSimClient> {
  /** The crash-fault checkers (the driver knows them as the shared suite). */
  private readonly cft: CftCheckerSuite;

  constructor(parts: ReturnType<typeof cftParts>) {
    super(parts);
    this.cft = parts.checkers;
  }

  protected tickInput(): CftInput {
    return { type: 'tick' };
  }

  protected open(host: CftHost, d: Delivery): CftInput | undefined {
    const opened = openCftFrame(d.bytes, host.boundary, d.from);
    if (!opened.ok) {
      this.countRejected(opened.reason);
      return undefined;
    }
    const v = opened.value;
    return v.type === 'request' ? { type: 'request', request: v.request } : { type: 'message', msg: v.msg };
  }

  protected observe(id: number, out: CftOutput): void {
    this.cft.cftOutput(id, out);
  }

  protected carryOut(id: number, out: CftOutput, dropSends: boolean): boolean {
    const from: Endpoint = { role: 'replica', id };
    const send = (to: Endpoint, bytes: Uint8Array) => {
      if (!dropSends) this.network.send(this.now, from, to, bytes);
    };
    const t = this.totals;
    switch (out.type) {
      case 'send':
        send({ role: 'replica', id: out.to }, sealCft(this.world.cluster, out.msg));
        return false;
      case 'broadcast': {
        const bytes = sealCft(this.world.cluster, out.msg);
        for (let to = 0; to < this.o.replicas; to++) if (to !== id) send({ role: 'replica', id: to }, bytes);
        return false;
      }
      case 'reply':
      case 'redirect':
        send({ role: 'client', id: out.client }, sealCft(this.world.cluster, out.msg));
        return false;
      case 'executed':
        t.executedOutputs++;
        return true;
      case 'snapshot-installed':
        t.stateTransfers++;
        this.hosts[id]!.stateTransfers++;
        return true;
      case 'election-started':
        t.viewChanges++;
        return false;
      case 'leader-elected':
        if (out.leader === id) t.newViews++;
        return false;
      case 'ignored':
        t.ignored[out.reason] = (t.ignored[out.reason] ?? 0) + 1;
        return false;
      default:
        return false;
    }
  }

  protected summary(h: CftHost): FinalReplica {
    return {
      lastExecuted: h.replica.lastApplied,
      view: h.replica.term,
      changingView: h.replica.role === 'candidate',
      correct: true,
      digest: h.stateMachine.digest(),
      status: h.status,
      crashes: h.crashes,
      stateTransfers: h.stateTransfers,
      ...this.checkers.execution.tally(h.id),
    };
  }
}

/**
 * Runs one crash-fault simulation (options already resolved, with protocol 'cft'). In the result,
 * `viewChanges` counts elections started, `newViews` leaders elected, `maxView` the highest term.
 */
export function runCftSimulation(o: ResolvedSimOptions): SimResult {
  return new CftSimulation(cftParts(o)).run();
}
