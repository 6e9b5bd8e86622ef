/**
 * A local network of replica processes, started through the CLI, for benchmarks: initialise a
 * directory (or reuse one, or a temporary one removed on stop), spawn one process per replica, wait
 * until every replica reports all of its peers connected, kill one (kill -9), and stop them all.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/** A network that did not come up: a replica exited, or they did not all connect in time. */
export class NetworkStartError extends Error {
  constructor(
    /** 'exited' when a replica process ended while starting; 'timeout' when they did not all connect. */
    readonly code: 'exited' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'NetworkStartError';
  }
}

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
  /** Replicas killed by `kill`: benchmarks leave them out of their samples. */
  readonly killed = new Set<number>();

  private constructor(
    /** The network directory. */
    readonly dir: string,
    /** Its configuration. */
    readonly cluster: Cluster,
    /** Whether `dir` is a temporary directory made by `start`, removed by `stop`. */
    private readonly temporary: boolean,
  ) {}

  /** Initialises `dir` (a fresh temporary one when undefined) and starts every replica. */
  static async start(options: {
    dir?: string | undefined;
    replicas: number;
    clients: number;
    /** Clients per shared connection (see `InitOptions.clientsPerConnection`); default 1. */
    clientsPerConnection?: number | undefined;
    basePort: number;
    protocol?: Protocol | undefined;
    parameters?: Partial<ClusterParameters>;
  }): Promise<LocalNetwork> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'bftledger-bench-'));
    if (!existsSync(clusterPath(dir))) {
      const { replicas, clients, basePort } = options;
      const protocol = options.protocol ? { protocol: options.protocol } : {};
      const clientsPerConnection = options.clientsPerConnection ?? 1;
      const parameters = options.parameters ?? {};
      initCluster({ dir, replicas, clients, clientsPerConnection, basePort, ...protocol, parameters });
    }
    const net = new LocalNetwork(dir, loadCluster(dir), options.dir === undefined);
    const n = net.cluster.replicas.length;
    for (const r of net.cluster.replicas) net.procs.push(spawnReplica(dir, r.id, n, ['--log-level', 'warn']));
    try {
      await waitFor(
        'replicas to connect',
        async () => {
          net.throwIfOneExited();
          return allConnected(net.cluster);
        },
        30_000,
      );
    } catch (err) {
      await net.stop();
      if (err instanceof NetworkStartError) throw err;
      throw new NetworkStartError('timeout', err instanceof Error ? err.message : String(err));
    }
    return net;
  }

  /** Throws, quoting its log's first line, if a replica process has exited (e.g. its port was taken). */
  private throwIfOneExited(): void {
    const id = this.procs.findIndex((p) => p.exitCode !== null || p.signalCode !== null);
    const proc = this.procs[id];
    if (!proc) return;
    let first = '';
    try {
      first = readFileSync(join(this.dir, 'logs', `replica-${id}.log`), 'utf8').split('\n')[0] ?? '';
    } catch {
      // No log: say only that it exited.
    }
    const how = proc.signalCode ?? `code ${proc.exitCode}`;
    const why = first ? `: ${first.slice(0, 300)}` : '';
    throw new NetworkStartError('exited', `replica ${id} exited while starting (${how})${why}`);
  }

  /** kill -9 of replica `id`; resolves once the process is gone. */
  async kill(id: number): Promise<void> {
    const p = this.procs[id];
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    this.killed.add(id);
    const gone = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGKILL');
    await gone;
  }

  /** Stops every replica (SIGTERM, then SIGKILL after a grace period); removes a temporary directory. */
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
    if (this.temporary) rmSync(this.dir, { recursive: true, force: true });
  }
}
