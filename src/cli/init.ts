/**
 * `bftledger init`: creates a local cluster in a network directory (fresh cluster id, a key file per
 * replica and client, cluster.json) and prints one JSON line saying what it wrote. Exit code 0 on
 * success, 1 when it cannot (an existing cluster without --force, a file system error), 2 on bad usage.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { INIT_DEFAULTS, METRICS_PORT_OFFSET } from '../config/defaults.js';
import { ConfigError } from '../config/errors.js';
import { MIN_REPLICAS } from '../config/types.js';
import { KeyError, toHex } from '../crypto/index.js';

/** The parsed command-line options of `init`. */
export interface InitCliOptions {
  /** Network directory. */
  dir: string;
  /** Replicas n. */
  replicas: number;
  /** Clients. */
  clients: number;
  /** First TCP port. */
  basePort: number;
  /** Faults tolerated, when given. */
  f?: number;
  /** Opening balance of each client account. */
  balance: bigint;
  /** Replace an existing cluster. */
  force: boolean;
}

/** The flag that sets each option of `initCluster`, for error messages. */
const FLAGS: Readonly<Record<string, string>> = {
  replicas: '--replicas',
  clients: '--clients',
  basePort: '--base-port',
  f: '--f',
  startingBalance: '--balance',
};

/** A parser for an integer option in [min, max]. */
function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    }
    return v;
  };
}

/** A parser for a non-negative decimal amount (any size the ledger allows; checked by init). */
function amount(value: string): bigint {
  if (!/^(0|[1-9][0-9]{0,38})$/.test(value.trim())) {
    throw new InvalidArgumentError('expected a non-negative decimal integer (at most 39 digits)');
  }
  return BigInt(value.trim());
}

/** Runs `init`; returns the exit code (usage errors leave through `cmd.error`). */
async function runInit(o: InitCliOptions, cmd: Command): Promise<number> {
  if (o.f !== undefined && o.replicas < MIN_REPLICAS.pbft(o.f)) {
    cmd.error(`error: --f ${o.f} needs --replicas >= ${MIN_REPLICAS.pbft(o.f)} (3f + 1)`, { exitCode: 2 });
  }
  // Loaded here, not at start-up: it pulls in the libp2p stack, which other commands need not pay for.
  const { initCluster } = await import('../config/init.js');
  try {
    const result = initCluster({
      dir: o.dir,
      replicas: o.replicas,
      clients: o.clients,
      basePort: o.basePort,
      startingBalance: o.balance,
      overwrite: o.force,
      ...(o.f === undefined ? {} : { f: o.f }),
    });
    const c = result.cluster;
    const summary = {
      dir: result.dir,
      clusterId: toHex(c.clusterId),
      protocol: c.protocol,
      replicas: c.n,
      f: c.f,
      clients: c.clients.length,
      files: result.files,
    };
    console.log(JSON.stringify(summary));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError && err.code === 'bad-config' && err.source === 'init') {
      cmd.error(`error: option ${FLAGS[err.path] ?? err.path}: ${err.detail}`, { exitCode: 2 });
    }
    // Expected failures: an existing cluster, a key file that appeared meanwhile, a file system error.
    if (!(err instanceof ConfigError || err instanceof KeyError || isSystemError(err))) throw err;
    console.error(`error: ${err.message}`);
    return 1;
  }
}

/** True for a Node.js system error (it carries an errno code such as EACCES). */
function isSystemError(err: unknown): err is Error {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/** Adds the `init` command to the program. */
export function registerInit(program: Command): void {
  const d = INIT_DEFAULTS;
  program
    .command('init')
    .description(
      'create a local cluster: a fresh cluster id, key files under DIR/keys/ (mode 0600) and DIR/cluster.json',
    )
    .requiredOption('--dir <dir>', 'network directory (created if absent)')
    .requiredOption('--replicas <n>', 'number of replicas n (n >= 3f + 1)', integer(1, METRICS_PORT_OFFSET))
    .option(
      '--clients <c>',
      'number of clients; client 0 is the genesis issuer',
      integer(1, 100_000),
      d.clients,
    )
    .option(
      '--base-port <p>',
      `replica i listens on 127.0.0.1:(P + i), its metrics on P + ${METRICS_PORT_OFFSET} + i`,
      integer(1, 65535),
      d.basePort,
    )
    .option('--f <f>', 'faults tolerated (default: floor((n - 1) / 3))', integer(0, METRICS_PORT_OFFSET))
    .addOption(
      new Option('--balance <x>', 'opening balance of each client account client-i')
        .argParser(amount)
        .default(d.startingBalance, d.startingBalance.toString()),
    )
    .option('--force', 'replace an existing cluster.json and its key files', false)
    .action(async (opts: InitCliOptions, cmd: Command) => {
      process.exitCode = await runInit(opts, cmd);
    });
}
