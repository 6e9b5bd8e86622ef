/**
 * `bftledger init`: creates a local cluster in a network directory (fresh cluster id, a key file per
 * replica and client, cluster.json) and prints one JSON line saying what it wrote. `--protocol cft`
 * makes a crash-fault cluster (n >= 2f + 1) instead of a PBFT one (n >= 3f + 1); `--param NAME=N`
 * changes one of the protocol's parameters from its default. Exit code 0 on success, 1 when it
 * cannot (an existing cluster without --force, a file system error), 2 on bad usage.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CFT_PARAMETER_NAMES } from '../config/cft-parameters.js';
import { INIT_DEFAULTS, METRICS_PORT_OFFSET } from '../config/defaults.js';
import { ConfigError } from '../config/errors.js';
import { PARAMETER_NAMES } from '../config/parameters.js';
import { MIN_REPLICAS, PROTOCOLS, type Protocol } from '../config/types.js';
import { KeyError, toHex } from '../crypto/index.js';

/** The parsed command-line options of `init`. */
export interface InitCliOptions {
  /** Network directory. */
  dir: string;
  /** Replicas n. */
  replicas: number;
  /** Clients. */
  clients: number;
  /** Clients per connection. */
  clientsPerConnection: number;
  /** First TCP port. */
  basePort: number;
  /** Faults tolerated, when given. */
  f?: number;
  /** Opening balance of each client account. */
  balance: bigint;
  /** Replace an existing cluster. */
  force: boolean;
  /** Replication protocol. */
  protocol: Protocol;
  /** Parameters changed from the protocol's defaults. */
  param: Record<string, number>;
}

/** The parameter names each protocol's cluster.json has. */
const PARAMETERS_OF: Readonly<Record<Protocol, readonly string[]>> = {
  pbft: PARAMETER_NAMES,
  cft: CFT_PARAMETER_NAMES,
};

/** The flag that sets each option of `initCluster`, for error messages. */
const FLAGS: Readonly<Record<string, string>> = {
  replicas: '--replicas',
  clients: '--clients',
  clientsPerConnection: '--clients-per-connection',
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

/** A parser for `--protocol`. */
export function protocolOption(value: string): Protocol {
  const found = PROTOCOLS.find((p) => p === value);
  if (found === undefined) throw new InvalidArgumentError(`expected one of ${PROTOCOLS.join(', ')}`);
  return found;
}

/** Collects `--param NAME=VALUE` (an integer) into a record; the name is checked against the protocol later. */
function parameterOption(value: string, acc: Record<string, number>): Record<string, number> {
  const m = /^([A-Za-z]+)=(\d+)$/.exec(value.trim());
  const v = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(v)) throw new InvalidArgumentError('expected NAME=INTEGER');
  return { ...acc, [m[1]!]: v };
}

/** Runs `init`; returns the exit code (usage errors leave through `cmd.error`). */
async function runInit(o: InitCliOptions, cmd: Command): Promise<number> {
  const needed = o.f === undefined ? 0 : MIN_REPLICAS[o.protocol](o.f);
  if (o.replicas < needed) {
    const rule = o.protocol === 'cft' ? '2f + 1' : '3f + 1';
    cmd.error(`error: --f ${o.f} needs --replicas >= ${needed} (${rule} under ${o.protocol})`, {
      exitCode: 2,
    });
  }
  const allowed = PARAMETERS_OF[o.protocol];
  for (const name of Object.keys(o.param)) {
    if (!allowed.includes(name)) {
      cmd.error(`error: --param ${name}: not a ${o.protocol} parameter (one of ${allowed.join(', ')})`, {
        exitCode: 2,
      });
    }
  }
  // Loaded here, not at start-up: it pulls in the libp2p stack, which other commands need not pay for.
  const { initCluster } = await import('../config/init.js');
  try {
    const result = initCluster({
      dir: o.dir,
      replicas: o.replicas,
      clients: o.clients,
      clientsPerConnection: o.clientsPerConnection,
      basePort: o.basePort,
      startingBalance: o.balance,
      overwrite: o.force,
      protocol: o.protocol,
      parameters: o.param,
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
    // The loader's check of what init would write: a --param value out of range.
    if (err instanceof ConfigError && err.path.startsWith('parameters.')) {
      cmd.error(`error: --param ${err.path.slice('parameters.'.length)}: ${err.detail}`, { exitCode: 2 });
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
    .requiredOption(
      '--replicas <n>',
      'number of replicas n (pbft: n >= 3f + 1; cft: n >= 2f + 1)',
      integer(1, METRICS_PORT_OFFSET),
    )
    .addOption(
      new Option('--protocol <p>', 'replication protocol: pbft (Byzantine faults) or cft (crash faults)')
        .argParser(protocolOption)
        .default(d.protocol),
    )
    .option(
      '--clients <c>',
      'number of clients; client 0 is the genesis issuer',
      integer(1, 100_000),
      d.clients,
    )
    .option(
      '--clients-per-connection <k>',
      "clients in blocks of K share the block's first client's connection (one process per block)",
      integer(1, 100_000),
      1,
    )
    .option(
      '--base-port <p>',
      `replica i listens on 127.0.0.1:(P + i), its metrics on P + ${METRICS_PORT_OFFSET} + i`,
      integer(1, 65535),
      d.basePort,
    )
    .option(
      '--f <f>',
      'faults tolerated (default: pbft floor((n - 1) / 3), cft floor((n - 1) / 2))',
      integer(0, METRICS_PORT_OFFSET),
    )
    .addOption(
      new Option('--balance <x>', 'opening balance of each client account client-i')
        .argParser(amount)
        .default(d.startingBalance, d.startingBalance.toString()),
    )
    .option(
      '--param <name=value>',
      "change one of the protocol's parameters, e.g. snapshotInterval=8 (repeatable)",
      parameterOption,
      {} as Record<string, number>,
    )
    .option('--force', 'replace an existing cluster.json and its key files', false)
    .action(async (opts: InitCliOptions, cmd: Command) => {
      process.exitCode = await runInit(opts, cmd);
    });
}
