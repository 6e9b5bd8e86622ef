/**
 * End-to-end support: real replica processes started through the CLI on loopback, a client library
 * connected with a client's own key, and `status` read over HTTP. Waits are bounded polls on
 * observable state (never a fixed sleep standing in for a condition).
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LedgerClient } from '../../src/client/ledger-client.js';
import {
  type Cluster,
  connectionOwnerOf,
  loadCluster,
  loadKey,
  loadSigner,
} from '../../src/config/cluster.js';
import { fetchStatus, spawnReplica } from '../../src/node/processes.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = promisify(execFile);

/** Whether a TCP port on loopback is free right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port such that base..base+n and base+100..base+100+n are free. */
export async function freeBase(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + ((process.pid * 7 + attempt * 13) % 400) * 100;
    const ports = Array.from({ length: n }, (_, i) => [base + i, base + 100 + i]).flat();
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free ports');
}

/** Polls `check` every 50 ms until it returns true, failing after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One replica's /status (or an error object). */
export type Status = {
  id: number;
  view?: number;
  lastExecuted?: number;
  stateDigest?: string;
  replicasConnected?: number[];
  evidence?: { replica: number; kind: string; file: string }[];
  error?: string;
};

/** A local network of replica processes in a temporary directory. */
export class TestNetwork {
  /** Replica processes by id (undefined while killed). */
  readonly procs: (ChildProcess | undefined)[] = [];
  /** Clients opened through `client()`. */
  private readonly clients: LedgerClient[] = [];
  /** The loaded cluster.json. */
  cluster!: Cluster;

  private constructor(readonly dir: string) {}

  /**
   * Initialises (through the CLI, with `initArgs` such as `--protocol cft`) and starts n replicas;
   * waits until they are all connected.
   */
  static async start(
    n: number,
    clients: number,
    extraArgs: Record<number, string[]> = {},
    initArgs: readonly string[] = [],
  ): Promise<TestNetwork> {
    const net = new TestNetwork(mkdtempSync(join(tmpdir(), 'bftledger-e2e-')));
    const base = await freeBase(n);
    await run(process.execPath, [
      MAIN,
      'init',
      '--dir',
      net.dir,
      '--replicas',
      String(n),
      '--clients',
      String(clients),
      '--base-port',
      String(base),
      ...initArgs,
    ]);
    net.cluster = loadCluster(net.dir);
    for (let id = 0; id < n; id++) net.startReplica(id, extraArgs[id]);
    try {
      await until('all replicas connected', async () => {
        const all = await net.statuses();
        return all.every((s) => s.replicasConnected?.length === n - 1);
      });
    } catch (err) {
      // The caller never gets the network to stop: stop it here, or its processes keep the test alive.
      await net.stop();
      throw err;
    }
    return net;
  }

  /** Starts (or restarts) replica `id` from its data directory. */
  startReplica(id: number, extra: readonly string[] = []): void {
    this.procs[id] = spawnReplica(this.dir, id, this.cluster.replicas.length, [
      '--log-level',
      'warn',
      ...extra,
    ]);
  }

  /** kill -9 of replica `id`; resolves once the process is gone. */
  async kill(id: number): Promise<void> {
    const p = this.procs[id];
    if (!p) return;
    this.procs[id] = undefined;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  /** Every replica's status. */
  statuses(): Promise<Status[]> {
    return Promise.all(
      this.cluster.replicas.map((r) => fetchStatus('127.0.0.1', r.metricsPort, r.id, 1000)),
    ) as Promise<Status[]>;
  }

  /** A replica's Prometheus text. */
  async metrics(id: number): Promise<string> {
    const r = this.cluster.replicas[id]!;
    return (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text();
  }

  /** Clients `ids` connected over the one connection of the client they are all configured `via`. */
  async sharedClients(ids: readonly number[]): Promise<LedgerClient[]> {
    const owner = connectionOwnerOf(this.cluster, ids[0]!);
    const clients = await LedgerClient.connectShared({
      cluster: this.cluster,
      clients: ids.map((id) => ({ id, signer: loadSigner(this.dir, 'client', id, this.cluster) })),
      secretKey: loadKey(this.dir, 'client', owner, this.cluster).secretKey,
      deadlineMs: 60_000,
    });
    this.clients.push(...clients);
    return clients;
  }

  /** A connected client library instance for client `id` (over its `via` client's identity if it has one). */
  async client(id: number): Promise<LedgerClient> {
    const signer = loadSigner(this.dir, 'client', id, this.cluster);
    const owner = connectionOwnerOf(this.cluster, id);
    const { secretKey } = loadKey(this.dir, 'client', owner, this.cluster);
    const c = await LedgerClient.connect({
      cluster: this.cluster,
      id,
      signer,
      secretKey,
      deadlineMs: 60_000,
    });
    this.clients.push(c);
    return c;
  }

  /** Stops everything and removes the directory. */
  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(this.procs.map((_, id) => this.kill(id)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
