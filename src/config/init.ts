/**
 * Creates a fresh local cluster in a network directory: a new cluster id, a new key pair per
 * replica and client (written owner-only under keys/), and cluster.json, written last and
 * atomically, so a directory with a cluster.json always has every key it names.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateSecretKey, publicKeyOf, writeKeyFile } from '../crypto/index.js';
import { MAX_AMOUNT } from '../ledger/amount.js';
import { peerIdOf } from '../net/identity.js';
import { tcpMultiaddr } from './address.js';
import { CFT_PARAMETER_DEFAULTS, type CftClusterParameters } from './cft-parameters.js';
import { clusterPath, clusterToJson, formatCluster, KEYS_DIR, keyPath } from './cluster.js';
import { INIT_DEFAULTS, METRICS_PORT_OFFSET } from './defaults.js';
import { ConfigError } from './errors.js';
import { type ClusterParameters, PARAMETER_DEFAULTS } from './parameters.js';
import { MAX_REPLICAS, parseCluster } from './parse.js';
import {
  CLUSTER_FORMAT_VERSION,
  CLUSTER_ID_BYTES,
  type Cluster,
  type KeyRole,
  MAX_FAULTS,
  MIN_REPLICAS,
  type Protocol,
} from './types.js';

/** Why `init` stopped when it found files of an earlier cluster. */
const EXISTS_DETAIL =
  'already exists; refusing to replace an existing cluster (`bftledger init --force` replaces it)';
/** Every replica listens on this host. */
const LOCAL_HOST = '127.0.0.1';

/** What to create. */
export interface InitOptions {
  /** Network directory; created if absent. */
  readonly dir: string;
  /** Number of replicas n. */
  readonly replicas: number;
  /** Number of clients; client 0 is the genesis issuer. */
  readonly clients?: number;
  /**
   * Clients per connection (default 1: each its own). With K > 1 the clients form blocks of K and
   * every client of a block connects `via` the block's first, so one process carries the block's
   * traffic over one connection per replica.
   */
  readonly clientsPerConnection?: number;
  /** First TCP port (see INIT_DEFAULTS.basePort). */
  readonly basePort?: number;
  /** Faults tolerated; the most n replicas tolerate under the protocol when absent (MAX_FAULTS). */
  readonly f?: number;
  /** Opening balance of each client's account `client-i`. */
  readonly startingBalance?: bigint | number;
  /** Replace an existing cluster.json and key files instead of refusing. */
  readonly overwrite?: boolean;
  /** Replication protocol. */
  readonly protocol?: Protocol;
  /**
   * Parameters to change from the protocol's defaults (PARAMETER_DEFAULTS or CFT_PARAMETER_DEFAULTS);
   * one the protocol does not have is refused by the loader's check.
   */
  readonly parameters?: Partial<ClusterParameters> | Partial<CftClusterParameters>;
}

/** What `initCluster` wrote. */
export interface InitResult {
  /** The network directory, absolute. */
  readonly dir: string;
  /** The cluster as written (and validated by the loader's own rules). */
  readonly cluster: Cluster;
  /** Every file written, absolute paths, cluster.json last. */
  readonly files: readonly string[];
}

/** The options after defaults, checked. */
interface Plan {
  /** Absolute network directory. */
  readonly dir: string;
  /** Replicas. */
  readonly n: number;
  /** Faults tolerated. */
  readonly f: number;
  /** Clients. */
  readonly clients: number;
  /** Clients per connection. */
  readonly clientsPerConnection: number;
  /** First TCP port. */
  readonly basePort: number;
  /** Opening balance of each client account. */
  readonly startingBalance: bigint;
  /** Replace existing files. */
  readonly overwrite: boolean;
  /** Replication protocol. */
  readonly protocol: Protocol;
  /** Parameters written to cluster.json. */
  readonly parameters: ClusterParameters | CftClusterParameters;
}

/**
 * Generates a cluster in `options.dir`. ConfigError 'exists' if cluster.json or any key file it would
 * write is already there (unless `overwrite`), 'bad-config' for options that cannot make a cluster.
 */
export function initCluster(options: InitOptions): InitResult {
  const plan = planOf(options);
  const clusterFile = clusterPath(plan.dir);
  const keyFiles = [
    ...range(plan.n).map((i) => ({ role: 'replica' as KeyRole, id: i })),
    ...range(plan.clients).map((i) => ({ role: 'client' as KeyRole, id: i })),
  ].map((k) => ({ ...k, file: keyPath(plan.dir, k.role, k.id) }));
  if (!plan.overwrite) {
    for (const file of [clusterFile, ...keyFiles.map((k) => k.file)]) {
      if (fs.existsSync(file)) {
        throw new ConfigError('exists', file, '', EXISTS_DETAIL);
      }
    }
  }
  fs.mkdirSync(plan.dir, { recursive: true });
  // Key files are owner-only; so is the directory that lists them.
  fs.mkdirSync(path.join(plan.dir, KEYS_DIR), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.join(plan.dir, KEYS_DIR), 0o700);
  const written: string[] = [];
  try {
    const publicKeys: Record<KeyRole, Uint8Array[]> = { replica: [], client: [] };
    for (const { role, id, file } of keyFiles) {
      const secretKey = generateSecretKey();
      writeKeyFile(file, secretKey, `${role}-${id}`, { overwrite: plan.overwrite });
      written.push(file);
      publicKeys[role].push(publicKeyOf(secretKey));
      secretKey.fill(0);
    }
    const cluster = buildCluster(plan, publicKeys.replica, publicKeys.client);
    // Validate with the loader itself: init never writes a file that `loadCluster` would refuse.
    const checked = parseCluster(clusterToJson(cluster), clusterFile);
    writeFileAtomic(clusterFile, formatCluster(checked), plan.overwrite);
    return { dir: plan.dir, cluster: checked, files: [...written, clusterFile] };
  } catch (err) {
    // A fresh directory is left as it was; an overwrite has already replaced what it replaced.
    if (!plan.overwrite) for (const file of written) fs.rmSync(file, { force: true });
    throw err;
  }
}

/** Applies defaults and checks the options, naming the option at fault. */
function planOf(o: InitOptions): Plan {
  const fail = (option: string, detail: string): never => {
    throw new ConfigError('bad-config', 'init', option, detail);
  };
  const int = (option: string, value: number, min: number, max: number): number =>
    Number.isSafeInteger(value) && value >= min && value <= max
      ? value
      : fail(option, `expected an integer in [${min}, ${max}], found ${value}`);
  const protocol = o.protocol ?? INIT_DEFAULTS.protocol;
  const n = int('replicas', o.replicas, 1, Math.min(MAX_REPLICAS, METRICS_PORT_OFFSET));
  const f = int('f', o.f ?? MAX_FAULTS[protocol](n), 0, n);
  const needed = MIN_REPLICAS[protocol](f);
  if (n < needed) fail('f', `f = ${f} needs at least ${needed} replicas under ${protocol}, found ${n}`);
  const clients = int('clients', o.clients ?? INIT_DEFAULTS.clients, 1, 100_000);
  const clientsPerConnection = int('clientsPerConnection', o.clientsPerConnection ?? 1, 1, clients);
  const highest = 65535 - METRICS_PORT_OFFSET - (n - 1);
  const basePort = int('basePort', o.basePort ?? INIT_DEFAULTS.basePort, 1, highest);
  const balance = o.startingBalance ?? INIT_DEFAULTS.startingBalance;
  if (typeof balance === 'number' && !Number.isSafeInteger(balance)) {
    fail('startingBalance', `expected an integer, found ${balance}`);
  }
  const startingBalance = BigInt(balance);
  if (startingBalance < 0n || startingBalance * BigInt(clients) > MAX_AMOUNT) {
    fail('startingBalance', `must be >= 0 and the ${clients} opening balances together at most 2^128 - 1`);
  }
  const defaults = protocol === 'cft' ? CFT_PARAMETER_DEFAULTS : PARAMETER_DEFAULTS;
  const parameters = { ...defaults, ...o.parameters };
  return {
    dir: path.resolve(o.dir),
    n,
    f,
    clients,
    clientsPerConnection,
    basePort,
    startingBalance,
    overwrite: o.overwrite === true,
    protocol,
    parameters,
  };
}

/**
 * The cluster a plan describes, given the replicas' and the clients' public keys by id. Its
 * parameters are the protocol's defaults with the caller's changes, unchecked: `initCluster` runs
 * the loader on the result before writing anything.
 */
function buildCluster(
  plan: Plan,
  replicaKeys: readonly Uint8Array[],
  clientKeys: readonly Uint8Array[],
): Cluster {
  const replicas = replicaKeys.map((publicKey, id) => {
    const port = plan.basePort + id;
    return {
      id,
      publicKey,
      peerId: peerIdOf(publicKey),
      address: tcpMultiaddr(LOCAL_HOST, port),
      host: LOCAL_HOST,
      port,
      metricsPort: plan.basePort + METRICS_PORT_OFFSET + id,
    };
  });
  const clients = clientKeys.map((publicKey, id) => {
    const first = id - (id % plan.clientsPerConnection);
    return {
      id,
      name: `client-${id}`,
      publicKey,
      peerId: peerIdOf(publicKey),
      ...(first === id ? {} : { via: first }),
    };
  });
  return {
    version: CLUSTER_FORMAT_VERSION,
    clusterId: new Uint8Array(randomBytes(CLUSTER_ID_BYTES)),
    protocol: plan.protocol,
    f: plan.f,
    n: plan.n,
    replicas,
    clients,
    genesis: {
      accounts: clients.map((c) => ({ name: c.name, owner: c.publicKey, balance: plan.startingBalance })),
      issuers: clients.slice(0, 1).map((c) => c.publicKey),
    },
    parameters: plan.parameters,
  } as Cluster;
}

/**
 * Writes `text` to `file` so readers see the old file or the new one, never a part: a synced temp
 * file, then rename (replace) or link (refuse to replace), then a sync of the directory.
 */
export function writeFileAtomic(file: string, text: string, replace: boolean): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
      fs.writeFileSync(fd, text, 'utf8');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (replace) {
      fs.renameSync(tmp, file);
    } else {
      // link() refuses an existing target, unlike rename(): a cluster created meanwhile survives.
      fs.linkSync(tmp, file);
      fs.rmSync(tmp);
    }
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EEXIST') {
      throw new ConfigError('exists', file, '', EXISTS_DETAIL);
    }
    throw err;
  }
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}

/** 0, 1, ..., count - 1. */
function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
