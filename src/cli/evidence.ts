/**
 * `bftledger evidence verify FILE`: re-verifies a proof of misbehaviour written by a replica (an
 * equivocation, or a forged certificate), with the public keys in the file and the replicas' own
 * pinned Ed25519 rules. With --dir, also checks the file's cluster id, keys and f against that
 * network's cluster.json. Prints one JSON object, saying where the keys were taken from; exit code
 * 0 when valid, 1 when not.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

async function verifyFile(file: string, dir: string | undefined): Promise<void> {
  const { checkAgainstCluster, verifyEvidence } = await import('../evidence/evidence.js');
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
  const verdict = verifyEvidence(parsed);
  if (!verdict.valid) {
    console.log(JSON.stringify(verdict));
    process.exitCode = 1;
    return;
  }
  if (dir === undefined) {
    // Keys taken from the file prove nothing about who signed: anyone can write a file with a key
    // of their own. The verdict says so; --dir ties the keys to the network's configuration.
    const keys = 'UNCHECKED: as the file states them; a proof only once --dir ties them to cluster.json';
    console.log(JSON.stringify({ ...verdict, keysChecked: false, keys }));
    return;
  }
  const { loadCluster } = await import('../config/index.js');
  const cluster = loadCluster(dir);
  const ref = {
    clusterId: cluster.clusterId,
    f: cluster.f,
    publicKeys: cluster.replicas.map((r) => r.publicKey),
  };
  const wrong = checkAgainstCluster(parsed, verdict.replica, ref);
  if (wrong !== undefined) {
    console.log(JSON.stringify({ valid: false, reason: `${wrong} in ${dir}/cluster.json` }));
    process.exitCode = 1;
    return;
  }
  console.log(JSON.stringify({ ...verdict, keysChecked: true, keys: `checked against ${dir}/cluster.json` }));
}

/** Registers `evidence`. */
export function registerEvidence(program: Command): void {
  const evidence = program.command('evidence').description('proofs of misbehaviour collected by replicas');
  evidence
    .command('verify')
    .description(
      're-verify an evidence file: two conflicting signed messages of one replica, or one signed message with a forged certificate',
    )
    .argument('<file>', 'evidence file (JSON)')
    .option('--dir <dir>', "also check the file's cluster id, keys and f against this network's cluster.json")
    .action((file: string, o: { dir?: string }) => verifyFile(file, o.dir));
}
