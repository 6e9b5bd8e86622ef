/**
 * A local network of replica processes, started through the CLI, for benchmarks: initialise a
 * directory (or reuse one), spawn one process per replica, wait until every replica reports all of
 * its peers connected, and stop them all.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Cluster,
  type ClusterParameters,
  clusterPath,
  initCluster,
  loadCluster,
  type Protocol,
} from '../config/index.js';
import { fetchStatus, spawnReplica } from '../node/processes.js';

/** Polls `check` every 50 ms until true; throws after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether every replica answers /status with all its replica peers connected. */
export async function allConnected(cluster: Cluster): Promise<boolean> {
  const all = await Promise.all(
    cluster.replicas.map((r) => fetchStatus('127.0.0.1', r.metricsPort, r.id, 1000)),
  );
  return all.every(
    (s) => (s as { replicasConnected?: unknown[] }).replicasConnected?.length === cluster.replicas.length - 1,
  );
}

/** Replica processes this object started. */
export class LocalNetwork {
  /** Processes by replica id. */
  private readonly procs: ChildProcess[] = [];

  private constructor(
    /** The network directory. */
    readonly dir: string,
    /** Its configuration. */
    readonly cluster: Cluster,
  ) {}

  /** Initialises `dir` (a fresh temporary one when undefined) and starts every replica. */
  static async start(options: {
    dir?: string | undefined;
    replicas: number;
    clients: number;
    basePort: number;
    protocol?: Protocol;
    parameters?: Partial<ClusterParameters>;
  }): Promise<LocalNetwork> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'bftledger-bench-'));
    if (!existsSync(clusterPath(dir))) {
      const { replicas, clients, basePort, protocol = 'pbft' } = options;
      initCluster({ dir, replicas, clients, basePort, protocol, parameters: options.parameters ?? {} });
    }
    const net = new LocalNetwork(dir, loadCluster(dir));
    for (const r of net.cluster.replicas) net.procs.push(spawnReplica(dir, r.id, ['--log-level', 'warn']));
    await waitFor('replicas to connect', () => allConnected(net.cluster), 30_000);
    return net;
  }

  /** Stops every replica (SIGTERM, then SIGKILL after a grace period). */
  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            const force = setTimeout(() => p.kill('SIGKILL'), 3000);
            p.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            p.kill('SIGTERM');
          }),
      ),
    );
  }
}
