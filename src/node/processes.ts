/**
 * Replica processes on this machine, as operators and tools see them: start one as its own process
 * (the same build's `bftledger replica`), and read a running replica's /status. Used by `up`,
 * `status`, `bench` and the end-to-end tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCluster } from '../config/cluster.js';
import { colocatedVerifyMode } from './verify-mode.js';

/** The CLI entry script of this build. */
const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/**
 * Starts replica `id` of the network in `dir` as a process; its output goes to DIR/logs/replica-I.log.
 * `colocated` replicas in all start on this machine: they pick where to verify signatures by it.
 */
export function spawnReplica(
  dir: string,
  id: number,
  colocated: number,
  extra: readonly string[] = [],
): ChildProcess {
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  // A larger libuv pool: storage syncs block pool threads, and signature checks run there too.
  const env = { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '8' };
  const verify = ['--verify', colocatedVerifyMode(colocated)];
  const args = [MAIN, 'replica', '--dir', dir, '--id', String(id), ...verify, ...extra];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const log = createWriteStream(join(logs, `replica-${id}.log`), { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

/** Fetches one replica's status, or an error object. */
export async function fetchStatus(host: string, port: number, id: number, timeoutMs = 2000): Promise<object> {
  try {
    const res = await fetch(`http://${host}:${port}/status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { id, error: `HTTP ${res.status}` };
    return (await res.json()) as object;
  } catch (err) {
    return { id, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Every replica's status, in id order. */
export async function clusterStatus(dir: string): Promise<object[]> {
  const cluster = loadCluster(dir);
  return Promise.all(cluster.replicas.map((r) => fetchStatus('127.0.0.1', r.metricsPort, r.id)));
}
