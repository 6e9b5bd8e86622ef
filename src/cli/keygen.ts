/**
 * `bftledger keygen`: writes one fresh Ed25519 key file (mode 0600) and prints its public key and
 * libp2p peer id as one JSON line, for an operator adding a replica or a client to cluster.json by
 * hand. It never replaces an existing file. Exit code 0 on success, 1 when the file cannot be
 * written, 2 on bad usage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { generateSecretKey, KeyError, publicKeyOf, toHex, writeKeyFile } from '../crypto/index.js';

/** The parsed command-line options of `keygen`. */
export interface KeygenCliOptions {
  /** Key file to create. */
  out: string;
  /** Label stored in the file; the file name without `.json` when absent. */
  label?: string;
}

/** Runs `keygen`; returns the exit code. */
async function runKeygen(o: KeygenCliOptions, cmd: Command): Promise<number> {
  const file = path.resolve(o.out);
  const label = o.label ?? path.basename(file).replace(/\.json$/, '');
  if (label.trim() === '') cmd.error('error: --label must not be empty', { exitCode: 2 });
  // Loaded here, not at start-up: it pulls in the libp2p stack, which other commands need not pay for.
  const { peerIdOf } = await import('../net/identity.js');
  const secretKey = generateSecretKey();
  const publicKey = publicKeyOf(secretKey);
  try {
    // New directories for keys are private to their owner too.
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeKeyFile(file, secretKey, label);
  } catch (err) {
    if (!(err instanceof KeyError) && !isSystemError(err)) throw err;
    console.error(`error: ${err.message}`);
    return 1;
  } finally {
    secretKey.fill(0);
  }
  console.log(JSON.stringify({ publicKey: toHex(publicKey), peerId: peerIdOf(publicKey), file, label }));
  return 0;
}

/** True for a Node.js system error (it carries an errno code). */
function isSystemError(err: unknown): err is Error {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/** Adds the `keygen` command to the program. */
export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('write a new Ed25519 key file (mode 0600) and print its public key and peer id')
    .requiredOption('--out <file>', 'key file to create (never overwritten)')
    .option('--label <label>', 'name stored in the key file (default: the file name without .json)')
    .action(async (opts: KeygenCliOptions, cmd: Command) => {
      process.exitCode = await runKeygen(opts, cmd);
    });
}
