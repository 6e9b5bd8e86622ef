/**
 * A benchmark client process: `runBench` forks several, each running a share of the closed-loop
 * clients, so the clients' Noise, framing and signature work is spread over processes (and cores)
 * instead of throttling one event loop. Talks to its parent over the IPC channel: `start` (connect
 * the clients), `ready`, `go` (run the loop), then `done` with the samples and the CPU and traffic
 * of the measured window.
 */
import { LedgerClient } from '../client/ledger-client.js';
import { loadCluster, loadKey, loadSigner } from '../config/index.js';
import { type ResourceSample, resourceSample } from '../node/status.js';
import { closedLoop, type LoadSamples } from './load.js';
import { operationFor, type WorkloadSpec } from './workload.js';

/** Parent to worker: connect these clients of the network in `dir`. */
export interface StartMessage {
  readonly type: 'start';
  readonly dir: string;
  readonly ids: readonly number[];
  readonly spec: WorkloadSpec;
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
      readonly before: ResourceSample;
      readonly after: ResourceSample;
    }
  | { readonly type: 'error'; readonly message: string };

/** CPU of this process and the traffic of all its clients' transports. */
function sample(clients: readonly LedgerClient[]): ResourceSample {
  const own = resourceSample(undefined);
  let framesOut = 0;
  let writesOut = 0;
  let bytesOut = 0;
  for (const c of clients) {
    framesOut += c.counters.framesQueued;
    writesOut += c.counters.writes;
    bytesOut += c.counters.bytesOut;
  }
  return { ...own, framesOut, writesOut, bytesOut };
}

/** Connects the clients one after another (a burst of simultaneous handshakes is not what we measure). */
async function connectAll(m: StartMessage): Promise<{ clients: LedgerClient[]; ops: Uint8Array[] }> {
  const cluster = loadCluster(m.dir);
  const accounts = cluster.clients.map((c) => c.name);
  const clients: LedgerClient[] = [];
  for (const id of m.ids) {
    const signer = loadSigner(m.dir, 'client', id, cluster);
    const { secretKey } = loadKey(m.dir, 'client', id, cluster);
    const unsignedRequests = m.spec.unsignedRequests;
    clients.push(await LedgerClient.connect({ cluster, id, signer, secretKey, unsignedRequests }));
  }
  return { clients, ops: m.ids.map((id) => operationFor(m.spec, id, accounts)) };
}

/** Runs the measured loop, sampling resources at the window's two ends. */
async function run(clients: LedgerClient[], ops: Uint8Array[], go: GoMessage): Promise<WorkerReport> {
  let before: ResourceSample | undefined;
  let after: ResourceSample | undefined;
  const t1 = setTimeout(() => {
    before = sample(clients);
  }, go.warmupMs);
  const t2 = setTimeout(() => {
    after = sample(clients);
  }, go.warmupMs + go.durationMs);
  const samples = await closedLoop(clients, ops, go.warmupMs, go.durationMs);
  clearTimeout(t1);
  clearTimeout(t2);
  const end = sample(clients);
  return { type: 'done', samples, before: before ?? end, after: after ?? end };
}

/** The worker's life: start, go, done, exit. */
function main(): void {
  let state: { clients: LedgerClient[]; ops: Uint8Array[] } | undefined;
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
      const { clients, ops } = state;
      // Report once the clients are closed, then exit (a profile under --cpu-prof is written on exit).
      run(clients, ops, m)
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
