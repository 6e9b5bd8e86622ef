/**
 * `bftledger replica --dir DIR --id I`: runs one replica of the network in DIR (data under
 * DIR/data/replica-I), with the runtime of the protocol cluster.json names (PBFT or crash-fault).
 * Logs are JSON lines on stdout (pino). SIGINT/SIGTERM stop it cleanly: everything it must persist
 * is flushed first. Exit code 1 when it cannot start, 2 for --byzantine on a crash-fault network.
 */
import { type Command, Option } from 'commander';
import type { Logger } from 'pino';
import { VERIFY_MODES, type VerifyMode } from '../node/verify-mode.js';
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
  /** Where signatures are verified. */
  verify?: VerifyMode;
}

/** The message for --byzantine on a crash-fault network. */
export const CFT_BYZANTINE_REFUSAL =
  'the crash-fault protocol (cft) assumes replicas never lie, so it has no Byzantine behaviours; ' +
  '--byzantine needs a pbft network';

async function runReplica(o: ReplicaCliOptions): Promise<void> {
  const [{ pino }, { loadCluster }] = await Promise.all([import('pino'), import('../config/cluster.js')]);
  const logger = pino({ level: o.logLevel, base: { replica: o.id } });
  let node: { stop(): Promise<void> };
  try {
    if (loadCluster(o.dir).protocol === 'cft') {
      if (o.byzantine !== undefined) {
        console.error(`bftledger replica: ${CFT_BYZANTINE_REFUSAL}`);
        process.exitCode = 2;
        return;
      }
      const { CftNode } = await import('../node/cft-node.js');
      node = await CftNode.start({ dir: o.dir, id: o.id, logger, ...(o.verify ? { verify: o.verify } : {}) });
    } else node = await startPbft(o, logger);
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

/** Starts the PBFT runtime, honest or with the --byzantine behaviours. */
async function startPbft(o: ReplicaCliOptions, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const { ReplicaNode } = await import('../node/replica-node.js');
  const makeCore = o.byzantine === undefined ? undefined : await byzantineCore(o);
  if (o.byzantine !== undefined)
    logger.warn({ behaviours: o.byzantine, seed: o.byzantineSeed }, 'running BYZANTINE behaviours');
  return ReplicaNode.start({
    dir: o.dir,
    id: o.id,
    logger,
    ...(makeCore ? { makeCore } : {}),
    ...(o.verify ? { verify: o.verify } : {}),
  });
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
    .addOption(
      new Option(
        '--verify <mode>',
        'where signatures are checked: auto (frames with many on the thread pool), inline (event loop; best when replicas share the cores) or pool (default: BFTLEDGER_VERIFY, else auto)',
      ).choices(VERIFY_MODES),
    )
    .action((o: ReplicaCliOptions) => runReplica(o));
}
