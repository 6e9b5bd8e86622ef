/**
 * `bftledger status --dir DIR`: asks every replica of the network for its /status and prints one
 * JSON object per replica per line (id, view, primary, lastExecuted, stableCheckpoint, stateDigest,
 * peers connected). An unreachable replica prints {"id": I, "error": "..."}; the exit code is 1
 * when any replica was unreachable.
 */
import type { Command } from 'commander';
import { loadCluster } from '../config/cluster.js';

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

/** Registers `status`. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("print every replica's status, one JSON object per line")
    .requiredOption('--dir <dir>', 'network directory')
    .action(async (o: { dir: string }) => {
      const all = await clusterStatus(o.dir);
      for (const s of all) console.log(JSON.stringify(s));
      if (all.some((s) => 'error' in s)) process.exitCode = 1;
    });
}
