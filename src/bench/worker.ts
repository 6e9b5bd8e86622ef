/**
 * A benchmark client process: `runBench` forks several, each running a share of the closed-loop
 * clients, so the clients' Noise, framing and signature work is spread over processes (and cores)
 * instead of throttling one event loop. Talks to its parent over the IPC channel: `start` (connect
 * the clients), `ready`, `go` (run the loop), then `done` with the samples and the CPU and traffic
 * of the measured window.
 */
import { LedgerClient } from '../client/ledger-client.js';
import { clientsByConnection, loadCluster, loadKey, loadSigner } from '../config/index.js';
import { type CryptoCounters, cryptoCounters } from '../crypto/index.js';
import { type ResourceSample, resourceSample } from '../node/status.js';
import { closedLoop, type LoadSamples } from './load.js';
import { operationFor, type WorkloadSpec } from './workload.js';

/** Parent to worker: connect these clients of the network in `dir`. */
export interface StartMessage {
  readonly type: 'start';
  readonly dir: string;
  readonly ids: readonly number[];
  readonly spec: WorkloadSpec;
  /** Report when each success completed (kill runs). */
  readonly recordCompletions?: boolean;
}

/** A worker's CPU, traffic and crypto counters at one moment. */
export interface WorkerSample extends ResourceSample {
  /** This process's crypto counters (signatures, verifications, hashes). */
  readonly crypto: CryptoCounters;
}

/** Parent to worker: run the loop (warm-up, then the measured window). */
export interface GoMessage {
  readonly type: 'go';
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** Worker to parent: the clients are connected, or the measured run is over, or it failed. */
export type WorkerReport =
  | { readonly type: 'ready' }
  | {
      readonly type: 'done';
      readonly samples: LoadSamples;
      readonly before: WorkerSample;
      readonly after: WorkerSample;
    }
  | { readonly type: 'error'; readonly message: string };

/** CPU and crypto counters of this process and the traffic of all its clients' transports. */
function sample(clients: readonly LedgerClient[]): WorkerSample {
  const own = resourceSample(undefined);
  let framesOut = 0;
  let writesOut = 0;
  let bytesOut = 0;
  // Clients sharing a connection share its counters: count each connection once.
  for (const counters of new Set(clients.map((c) => c.counters))) {
    framesOut += counters.framesQueued;
    writesOut += counters.writes;
    bytesOut += counters.bytesOut;
  }
  return { ...own, framesOut, writesOut, bytesOut, crypto: cryptoCounters() };
}

/** A worker's connected clients and what they submit. */
interface Connected {
  /** The clients, connected. */
  readonly clients: LedgerClient[];
  /** What client i submits. */
  readonly ops: Uint8Array[];
  /** Keep completion times. */
  readonly recordCompletions: boolean;
}

/**
 * Connects the clients one connection after another (a burst of simultaneous handshakes is not
 * what we measure): each client with its own key, or, for clients configured `via` another, all of
 * them over that one's connection.
 */
async function connectAll(m: StartMessage): Promise<Connected> {
  const cluster = loadCluster(m.dir);
  const accounts = cluster.clients.map((c) => c.name);
  const connected = new Map<number, LedgerClient>();
  const unsignedRequests = m.spec.unsignedRequests;
  for (const [owner, ids] of clientsByConnection(cluster, m.ids)) {
    const { secretKey } = loadKey(m.dir, 'client', owner, cluster);
    const members = ids.map((id) => ({ id, signer: loadSigner(m.dir, 'client', id, cluster) }));
    const group = await LedgerClient.connectShared({
      cluster,
      clients: members,
      secretKey,
      unsignedRequests,
    });
    for (const [i, client] of group.entries()) connected.set(ids[i]!, client);
  }
  const clients = m.ids.map((id) => connected.get(id)!);
  const ops = m.ids.map((id) => operationFor(m.spec, id, accounts));
  return { clients, ops, recordCompletions: m.recordCompletions === true };
}

/** Runs the measured loop, sampling resources at the window's two ends. */
async function run(c: Connected, go: GoMessage): Promise<WorkerReport> {
  const { clients, ops } = c;
  let before: WorkerSample | undefined;
  let after: WorkerSample | undefined;
  const t1 = setTimeout(() => {
    before = sample(clients);
  }, go.warmupMs);
  const t2 = setTimeout(() => {
    after = sample(clients);
  }, go.warmupMs + go.durationMs);
  const samples = await closedLoop(clients, ops, go.warmupMs, go.durationMs, c.recordCompletions);
  clearTimeout(t1);
  clearTimeout(t2);
  const end = sample(clients);
  return { type: 'done', samples, before: before ?? end, after: after ?? end };
}

/** The worker's life: start, go, done, exit. */
function main(): void {
  let state: Connected | undefined;
  const report = (r: WorkerReport) => process.send?.(r);
  const fail = (err: unknown) => {
    report({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
  };
  process.on('message', (m: StartMessage | GoMessage) => {
    if (m.type === 'start') {
      connectAll(m).then((s) => {
        state = s;
        report({ type: 'ready' });
      }, fail);
    } else if (m.type === 'go' && state) {
      const { clients } = state;
      // Report once the clients are closed, then exit (a profile under --cpu-prof is written on exit).
      run(state, m)
        .then(
          async (r) => {
            await Promise.all(clients.map((c) => c.close()));
            return r;
          },
          (err: unknown) =>
            ({ type: 'error', message: err instanceof Error ? err.message : String(err) }) as const,
        )
        .then((r) => process.send?.(r, () => process.exit(r.type === 'done' ? 0 : 1)));
    }
  });
}

main();
