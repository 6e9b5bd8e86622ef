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
}

async function runReplica(o: ReplicaCliOptions): Promise<void> {
  const [{ pino }, { ReplicaNode }] = await Promise.all([import('pino'), import('../node/replica-node.js')]);
  const logger = pino({ level: o.logLevel, base: { replica: o.id } });
  let node: Awaited<ReturnType<typeof ReplicaNode.start>>;
  try {
    node = await ReplicaNode.start({ dir: o.dir, id: o.id, logger });
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

/** Registers `replica`. */
export function registerReplica(program: Command): void {
  program
    .command('replica')
    .description('run one replica of the network in --dir')
    .requiredOption('--dir <dir>', 'network directory (cluster.json, keys/, data/)')
    .requiredOption('--id <id>', 'replica id', integer(0, 255))
    .option('--log-level <level>', 'log level: fatal, error, warn, info, debug, trace', 'info')
    .action((o: ReplicaCliOptions) => runReplica(o));
}
