/**
 * `bftledger replica --dir DIR --id I`: runs one replica of the network in DIR (data under
 * DIR/data/replica-I). Logs are JSON lines on stdout (pino). SIGINT/SIGTERM stop it cleanly:
 * everything it must persist is flushed first. Exit code 1 when it cannot start.
 */
import type { Command } from 'commander';
import { integer } from './parse.js';

/** Options of `replica`. */
interface ReplicaCliOptions {
  /** Network directory. */
  dir: string;
  /** Replica id. */
  id: number;
  /** pino log level. */
  logLevel: string;
  /** Byzantine behaviours to run instead of the honest core (testing only). */
  byzantine?: string;
  /** Seed of the behaviours' randomness. */
  byzantineSeed: number;
}

async function runReplica(o: ReplicaCliOptions): Promise<void> {
  const [{ pino }, { ReplicaNode }] = await Promise.all([import('pino'), import('../node/replica-node.js')]);
  const logger = pino({ level: o.logLevel, base: { replica: o.id } });
  let node: Awaited<ReturnType<typeof ReplicaNode.start>>;
  try {
    const makeCore = o.byzantine === undefined ? undefined : await byzantineCore(o);
    if (o.byzantine !== undefined)
      logger.warn({ behaviours: o.byzantine, seed: o.byzantineSeed }, 'running BYZANTINE behaviours');
    node = await ReplicaNode.start({ dir: o.dir, id: o.id, logger, ...(makeCore ? { makeCore } : {}) });
  } catch (err) {
    console.error(
      `bftledger replica: cannot start replica ${o.id}: ${err instanceof Error ? err.message : String(err)}`,
    );
    process.exitCode = 1;
    return;
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    void node.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** The core factory for `--byzantine`: the honest core wrapped by the named behaviours. */
async function byzantineCore(o: ReplicaCliOptions) {
  const { byzantineFactory } = await import('../byzantine/index.js');
  const factory = byzantineFactory({ [o.id]: o.byzantine ?? '' }, o.byzantineSeed);
  return (
    config: Parameters<typeof factory>[0],
    deps: Parameters<typeof factory>[1],
    state: NonNullable<Parameters<typeof factory>[2]>,
  ) => factory(config, deps, state);
}

/** Registers `replica`. */
export function registerReplica(program: Command): void {
  program
    .command('replica')
    .description('run one replica of the network in --dir')
    .requiredOption('--dir <dir>', 'network directory (cluster.json, keys/, data/)')
    .requiredOption('--id <id>', 'replica id', integer(0, 255))
    .option('--log-level <level>', 'log level: fatal, error, warn, info, debug, trace', 'info')
    .option(
      '--byzantine <behaviours>',
      'TESTING ONLY: misbehave, e.g. equivocate or silent,mutate (see bftledger byzantine list)',
    )
    .option('--byzantine-seed <n>', 'seed of the misbehaviour randomness', integer(0, 2 ** 31), 1)
    .action((o: ReplicaCliOptions) => runReplica(o));
}
