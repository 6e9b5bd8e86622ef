/**
 * The cluster configuration file, `DIR/cluster.json`: loading it (strictly validated), writing it
 * back, what the ledger and the protocol cores need from it, and each principal's key file under
 * `DIR/keys/`, checked against the public key the configuration names.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CftConfig } from '../core/cft/index.js';
import type { PbftConfig } from '../core/pbft/index.js';
import { quorumSize } from '../core/quorum.js';
import { Ed25519Signer, KeyError, readKeyFile, toHex } from '../crypto/index.js';
import type { Genesis } from '../ledger/index.js';
import { ConfigError } from './errors.js';
import { parseCluster } from './parse.js';
import {
  CLUSTER_FILE,
  type ClientConfig,
  type Cluster,
  type ClusterJson,
  type KeyRole,
  type ReplicaConfig,
} from './types.js';

export { ConfigError, type ConfigErrorCode } from './errors.js';
export { type ClusterParameters, PARAMETER_DEFAULTS } from './parameters.js';
export { parseCluster } from './parse.js';
export {
  CLUSTER_FILE,
  type ClientConfig,
  type Cluster,
  type ClusterGenesis,
  type ClusterJson,
  type KeyRole,
  PROTOCOLS,
  type Protocol,
  type ReplicaConfig,
} from './types.js';

/** cluster.json files larger than this are refused before parsing. */
const MAX_CLUSTER_FILE_BYTES = 64 * 1024 * 1024;
/** The directory under a network directory that holds key files. */
export const KEYS_DIR = 'keys';

/** Whether a cluster accepts unsigned client requests (PBFT benchmark networks only; crash-fault clusters have no such parameter). */
export function unsignedRequestsOf(cluster: Cluster): boolean {
  return cluster.protocol === 'pbft' && cluster.parameters.unsignedRequests === true;
}

/** The path of the configuration file of the network directory `dir`. */
export function clusterPath(dir: string): string {
  return path.join(dir, CLUSTER_FILE);
}

/** Reads and validates `dir/cluster.json`; ConfigError 'missing' when there is none. */
export function loadCluster(dir: string): Cluster {
  const file = clusterPath(dir);
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_CLUSTER_FILE_BYTES) {
      throw new ConfigError('bad-config', file, '', `larger than ${MAX_CLUSTER_FILE_BYTES} bytes`);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (isErrno(err, 'ENOENT')) {
      throw new ConfigError(
        'missing',
        file,
        '',
        'no cluster configuration here (create one with `bftledger init`)',
      );
    }
    throw new ConfigError('bad-config', file, '', `cannot read: ${errMessage(err)}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('bad-config', file, '', `not valid JSON: ${errMessage(err)}`, { cause: err });
  }
  return parseCluster(doc, file);
}

/** The JSON document of a cluster, as cluster.json holds it (hex keys, decimal balances). */
export function clusterToJson(cluster: Cluster): ClusterJson {
  return {
    version: cluster.version,
    clusterId: toHex(cluster.clusterId),
    protocol: cluster.protocol,
    f: cluster.f,
    replicas: cluster.replicas.map((r) => ({
      id: r.id,
      publicKey: toHex(r.publicKey),
      peerId: r.peerId,
      address: r.address,
      metricsPort: r.metricsPort,
    })),
    clients: cluster.clients.map((c) => ({
      id: c.id,
      name: c.name,
      publicKey: toHex(c.publicKey),
      peerId: c.peerId,
      ...(c.via === undefined ? {} : { via: c.via }),
    })),
    genesis: {
      accounts: cluster.genesis.accounts.map((a) => ({
        name: a.name,
        owner: toHex(a.owner),
        balance: a.balance.toString(),
      })),
      issuers: cluster.genesis.issuers.map(toHex),
    },
    parameters: { ...cluster.parameters },
  };
}

/** The text of cluster.json for a cluster: two-space indented JSON and a final newline. */
export function formatCluster(cluster: Cluster): string {
  return `${JSON.stringify(clusterToJson(cluster), null, 2)}\n`;
}

/** The ledger's genesis: the opening accounts, the issuers, and client public keys by client id. */
export function genesisOf(cluster: Cluster): Genesis {
  return {
    accounts: cluster.genesis.accounts.map((a) => ({
      name: a.name,
      owner: a.owner.slice(),
      balance: a.balance,
    })),
    issuers: cluster.genesis.issuers.map((k) => k.slice()),
    clients: cluster.clients.map((c) => c.publicKey.slice()),
  };
}

/** Refuses a cluster that runs another protocol than `wanted`, naming both. */
function requireProtocol<P extends Cluster['protocol']>(
  cluster: Cluster,
  wanted: P,
): asserts cluster is Extract<Cluster, { protocol: P }> {
  if (cluster.protocol !== wanted) {
    throw new ConfigError(
      'bad-config',
      CLUSTER_FILE,
      'protocol',
      `the cluster runs ${cluster.protocol}, not ${wanted}`,
    );
  }
}

/** The PBFT core's configuration for replica `id`; ConfigError when the cluster has no such replica. */
export function pbftConfigOf(cluster: Cluster, id: number): PbftConfig {
  requireProtocol(cluster, 'pbft');
  const replica = replicaOf(cluster, id);
  const p = cluster.parameters;
  return {
    n: cluster.n,
    f: cluster.f,
    id: replica.id,
    cluster: cluster.clusterId.slice(),
    checkpointInterval: p.checkpointInterval,
    watermarkWindow: p.watermarkWindow,
    maxBatch: p.maxBatch,
    maxInflight: p.maxInflight,
    retransmitTicks: p.retransmitTicks,
    fetchTicks: p.fetchTicks,
    chunkBytes: p.chunkBytes,
    requestTimeoutTicks: p.requestTimeoutTicks,
    maxViewTimeoutTicks: p.maxViewTimeoutTicks,
  };
}

/** The crash-fault core's configuration for replica `id` of a `cft` cluster; ConfigError otherwise. */
export function cftConfigOf(cluster: Cluster, id: number): CftConfig {
  requireProtocol(cluster, 'cft');
  const replica = replicaOf(cluster, id);
  const p = cluster.parameters;
  return {
    n: cluster.n,
    id: replica.id,
    cluster: cluster.clusterId.slice(),
    maxBatch: p.maxBatch,
    maxInflight: p.maxInflight,
    maxAppendEntries: p.maxAppendEntries,
    heartbeatTicks: p.heartbeatTicks,
    electionTimeoutMinTicks: p.electionTimeoutMinTicks,
    electionTimeoutMaxTicks: p.electionTimeoutMaxTicks,
    snapshotInterval: p.snapshotInterval,
    chunkBytes: p.chunkBytes,
  };
}

/** Votes a certificate needs: 2f + 1 when n = 3f + 1, ceil((n + f + 1) / 2) in general. */
export function quorumOf(cluster: Cluster): number {
  return quorumSize(cluster.n, cluster.f);
}

/** Replies a client needs before it trusts a result: f + 1 matching ones include a correct replica. */
export function replyQuorumOf(cluster: Cluster): number {
  return cluster.f + 1;
}

/** Replica `id`, or undefined. */
export function findReplica(cluster: Cluster, id: number): ReplicaConfig | undefined {
  return Number.isInteger(id) ? cluster.replicas[id] : undefined;
}

/** The client with this id (a number) or name (a string), or undefined. */
export function findClient(cluster: Cluster, idOrName: number | string): ClientConfig | undefined {
  if (typeof idOrName === 'string') return cluster.clients.find((c) => c.name === idOrName);
  return Number.isInteger(idOrName) ? cluster.clients[idOrName] : undefined;
}

/**
 * The libp2p peer whose connection carries client `id`'s traffic: the client's own, or that of the
 * client it connects `via`. Replicas send a client's replies there; undefined for an unknown id.
 */
export function transportPeerOf(cluster: Cluster, id: number): string | undefined {
  if (findClient(cluster, id) === undefined) return undefined;
  return cluster.clients[connectionOwnerOf(cluster, id)]?.peerId;
}

/** The client whose libp2p identity (key) client `id` connects with: the one it is `via`, else itself. */
export function connectionOwnerOf(cluster: Cluster, id: number): number {
  return cluster.clients[id]?.via ?? id;
}

/** Clients `ids` grouped by the client whose connection they use (owner first seen, first). */
export function clientsByConnection(cluster: Cluster, ids: readonly number[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const id of ids) {
    const owner = connectionOwnerOf(cluster, id);
    const group = groups.get(owner);
    if (group === undefined) groups.set(owner, [id]);
    else group.push(id);
  }
  return groups;
}

/** Client id to the client whose connection it shares, for every client configured with `via`. */
export function clientViaOf(cluster: Cluster): Map<number, number> {
  const via = new Map<number, number>();
  for (const c of cluster.clients) if (c.via !== undefined) via.set(c.id, c.via);
  return via;
}

/** Replica `id`; ConfigError 'bad-config' naming the valid range when there is none. */
export function replicaOf(cluster: Cluster, id: number): ReplicaConfig {
  const replica = findReplica(cluster, id);
  if (replica === undefined) {
    throw new ConfigError(
      'bad-config',
      CLUSTER_FILE,
      'replicas',
      `no replica ${id} (ids are 0..${cluster.n - 1})`,
    );
  }
  return replica;
}

/** The client with this id or name; ConfigError 'bad-config' when there is none. */
export function clientOf(cluster: Cluster, idOrName: number | string): ClientConfig {
  const client = findClient(cluster, idOrName);
  if (client === undefined) {
    const known =
      cluster.clients.length === 0 ? 'there are none' : `ids are 0..${cluster.clients.length - 1}`;
    throw new ConfigError(
      'bad-config',
      CLUSTER_FILE,
      'clients',
      `no client ${JSON.stringify(idOrName)} (${known})`,
    );
  }
  return client;
}

/** The key file of principal `id` of `role` in network directory `dir`: `dir/keys/ROLE-ID.json`. */
export function keyPath(dir: string, role: KeyRole, id: number): string {
  return path.join(dir, KEYS_DIR, `${role}-${id}.json`);
}

/** A principal's key pair, read from its key file and checked against cluster.json. */
export interface LoadedKey {
  /** The 32-byte secret key (the libp2p identity derives from it too). */
  readonly secretKey: Uint8Array;
  /** The 32-byte public key, equal to the one cluster.json names. */
  readonly publicKey: Uint8Array;
  /** The file it was read from. */
  readonly file: string;
}

/**
 * Reads the key file of `role` `id` and checks it: owner-only permissions, a valid key pair, and
 * the public key cluster.json gives that principal. Pass `cluster` to skip re-reading the file.
 */
export function loadKey(
  dir: string,
  role: KeyRole,
  id: number,
  cluster: Cluster = loadCluster(dir),
): LoadedKey {
  const expected = role === 'replica' ? replicaOf(cluster, id).publicKey : clientOf(cluster, id).publicKey;
  const file = keyPath(dir, role, id);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new ConfigError('missing', file, '', `no key file for ${role} ${id}`);
    throw new ConfigError('bad-key', file, '', `cannot read: ${errMessage(err)}`, { cause: err });
  }
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError('bad-key', file, '', `readable by others (mode ${mode}); run chmod 600 on it`);
  }
  let contents: { secretKey: Uint8Array; publicKey: Uint8Array };
  try {
    contents = readKeyFile(file);
  } catch (err) {
    if (!(err instanceof KeyError)) throw err;
    throw new ConfigError('bad-key', file, '', err.message, { cause: err });
  }
  if (toHex(contents.publicKey) !== toHex(expected)) {
    const entry = `${role === 'replica' ? 'replicas' : 'clients'}[${id}].publicKey`;
    throw new ConfigError(
      'bad-key',
      file,
      '',
      `public key ${toHex(contents.publicKey)} does not match ${CLUSTER_FILE} ${entry} ${toHex(expected)}`,
    );
  }
  return { secretKey: contents.secretKey, publicKey: contents.publicKey, file };
}

/** A signer for `role` `id` from its key file, checked as `loadKey` does. */
export function loadSigner(dir: string, role: KeyRole, id: number, cluster?: Cluster): Ed25519Signer {
  const key = loadKey(dir, role, id, cluster ?? loadCluster(dir));
  return Ed25519Signer.fromSecretKey(key.secretKey);
}

/** True when `err` is a Node.js system error with the given errno code. */
function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** The message of an unknown thrown value. */
function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
