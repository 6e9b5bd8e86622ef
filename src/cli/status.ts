/**
 * `bftledger status --dir DIR`: asks every replica of the network for its /status and prints one
 * JSON object per replica per line (id, protocol, view, primary, lastExecuted, stableCheckpoint,
 * stateDigest, peers connected; a crash-fault replica gives term, role, leader, commitIndex and
 * snapshotIndex instead of view, primary and stableCheckpoint). An unreachable replica prints
 * {"id": I, "error": "..."}; the exit code is 1 when any replica was unreachable.
 */
import type { Command } from 'commander';
import { clusterStatus } from '../node/processes.js';

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
