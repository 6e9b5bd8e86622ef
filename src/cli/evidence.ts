/**
 * `bftledger evidence verify FILE`: re-verifies a proof of misbehaviour written by a replica, with
 * the replica's public key in the file and the replicas' own pinned Ed25519 rules. With --dir, also
 * checks that the key is the one cluster.json names for that replica. Prints one JSON object; exit
 * code 0 when valid, 1 when not.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

async function verifyFile(file: string, dir: string | undefined): Promise<void> {
  const { verifyEvidence } = await import('../evidence/evidence.js');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.log(
      JSON.stringify({
        valid: false,
        reason: `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
      }),
    );
    process.exitCode = 1;
    return;
  }
  let verdict = verifyEvidence(parsed);
  if (verdict.valid && dir !== undefined) {
    const { loadCluster } = await import('../config/index.js');
    const { toHex } = await import('../crypto/index.js');
    const cluster = loadCluster(dir);
    const named = cluster.replicas[verdict.replica];
    const f = parsed as { publicKey?: string; cluster?: string };
    if (!named || toHex(named.publicKey) !== f.publicKey || toHex(cluster.clusterId) !== f.cluster) {
      verdict = {
        valid: false,
        reason: `the key is not replica ${verdict.replica}'s in ${dir}/cluster.json`,
      };
    }
  }
  console.log(JSON.stringify(verdict));
  if (!verdict.valid) process.exitCode = 1;
}

/** Registers `evidence`. */
export function registerEvidence(program: Command): void {
  const evidence = program.command('evidence').description('proofs of misbehaviour collected by replicas');
  evidence
    .command('verify')
    .description('re-verify an evidence file (two validly signed, conflicting messages of one replica)')
    .argument('<file>', 'evidence file (JSON)')
    .option('--dir <dir>', "also check the key against this network's cluster.json")
    .action((file: string, o: { dir?: string }) => verifyFile(file, o.dir));
}
