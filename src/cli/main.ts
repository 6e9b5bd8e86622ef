#!/usr/bin/env node
/**
 * The `bftledger` command line. Each command lives in its own file under cli/ and is registered
 * here with one line. Exit codes: 0 success, 1 the command found a problem, 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerBench } from './bench.js';
import { registerByzantine } from './byzantine.js';
import { registerClient } from './client.js';
import { registerEvidence } from './evidence.js';
import { registerInit } from './init.js';
import { registerKeygen } from './keygen.js';
import { registerReplica } from './replica.js';
import { registerSim } from './sim.js';
import { registerStatus } from './status.js';
import { registerTwins } from './twins.js';
import { registerUp } from './up.js';

/** Exit code for bad usage (unknown option, invalid value, missing command). */
const USAGE_EXIT_CODE = 2;

/** The package version, read from package.json next to the build (or "0.0.0" if unreadable). */
function packageVersion(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const doc = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (doc.name === 'bftledger' && typeof doc.version === 'string') return doc.version;
    } catch {
      // Try the next location.
    }
  }
  return '0.0.0';
}

/** The program with every command registered; exits are turned into CommanderErrors. */
function buildProgram(): Command {
  const program = new Command('bftledger')
    .version(packageVersion())
    .description(
      'A Byzantine-fault-tolerant replicated ledger: PBFT replicas, clients and a deterministic simulator',
    )
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    // Options belong to the command they follow, so a subcommand may reuse its parent's option names.
    .enablePositionalOptions();
  registerInit(program);
  registerKeygen(program);
  registerSim(program);
  registerReplica(program);
  registerUp(program);
  registerClient(program);
  registerStatus(program);
  registerBench(program);
  registerEvidence(program);
  registerByzantine(program);
  registerTwins(program);
  return program;
}

/** Runs the command line; sets the exit code rather than exiting, so output is flushed. */
async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    process.exitCode = err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
  }
}

await main(process.argv);
