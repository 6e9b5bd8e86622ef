/**
 * The strict validating parser of cluster.json. It refuses, naming the JSON path: a missing or
 * unknown field, n < 3f + 1, ids out of order, a public key that is not a canonical prime-order
 * point (small-order and mixed-order keys included), a peer id that is not the key's, a key, port
 * or name used twice, a balance that is not a canonical decimal in [0, 2^128 - 1], and parameters
 * that break the protocol core's invariants. A file without `protocol` (none was ever written so,
 * but a hand-written one may omit it) runs PBFT, the only protocol older builds knew.
 */
import { toHex } from '../crypto/index.js';
import { MAX_AMOUNT } from '../ledger/amount.js';
import { isKeyHex } from '../ledger/bytes.js';
import { indexGenesis } from '../ledger/genesis.js';
import { LedgerError } from '../ledger/index.js';
import { nameToBytes } from '../ledger/names.js';
import { LIMITS } from '../messages/schema.js';
import { peerIdOf } from '../net/identity.js';
import { parseTcpMultiaddr } from './address.js';
import { parseCftParameters } from './cft-parameters.js';
import { FieldReader, fieldPath, indexPath, UniqueValues } from './fields.js';
import { parseParameters } from './parameters.js';
import {
  CLUSTER_FORMAT_VERSION,
  CLUSTER_ID_BYTES,
  type ClientConfig,
  type Cluster,
  type ClusterBase,
  type ClusterGenesis,
  MIN_REPLICAS,
  PROTOCOLS,
  type Protocol,
  type ReplicaConfig,
} from './types.js';

/** Most replicas: a certificate holds at most this many envelopes. */
export const MAX_REPLICAS = LIMITS.maxCertificate;
/** Most clients a configuration file may list. */
export const MAX_CLIENTS = 1 << 20;
/** Most genesis accounts a configuration file may list. */
export const MAX_GENESIS_ACCOUNTS = 1 << 20;
/** Client names: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64. */
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The top-level fields of cluster.json, in file order. */
const TOP_FIELDS = ['version', 'clusterId', 'protocol', 'f', 'replicas', 'clients', 'genesis', 'parameters'];

/** What every principal section shares: one registry of keys, so no key serves two principals. */
interface Registries {
  /** Public keys of replicas and clients. */
  readonly keys: UniqueValues;
  /** host:port pairs of replica listeners and metrics endpoints. */
  readonly ports: UniqueValues;
}

/** Validates a parsed cluster.json document; `source` names it in errors (usually its path). */
export function parseCluster(json: unknown, source: string): Cluster {
  const r = new FieldReader(source);
  const o = r.object(withDefaultProtocol(json), '', TOP_FIELDS);
  if (o.version !== CLUSTER_FORMAT_VERSION) {
    r.fail(
      'version',
      `unsupported format version ${JSON.stringify(o.version)} (expected ${CLUSTER_FORMAT_VERSION})`,
    );
  }
  const clusterId = r.hex(o.clusterId, 'clusterId', CLUSTER_ID_BYTES);
  const protocol = parseProtocol(r, o.protocol);
  const f = r.integer(o.f, 'f', 0, MAX_REPLICAS);
  const registries: Registries = {
    keys: new UniqueValues(r, 'public key'),
    ports: new UniqueValues(r, 'port'),
  };
  const replicaList = r.array(o.replicas, 'replicas', MAX_REPLICAS);
  const needed = MIN_REPLICAS[protocol](f);
  if (replicaList.length < needed) {
    r.fail('f', `f = ${f} needs at least ${needed} replicas under ${protocol}, found ${replicaList.length}`);
  }
  const replicas = replicaList.map((entry, i) => parseReplica(r, entry, i, registries));
  const clients = parseClients(r, o.clients, registries);
  const genesis = parseGenesis(r, o.genesis);
  const base: ClusterBase = {
    version: CLUSTER_FORMAT_VERSION,
    clusterId,
    f,
    n: replicas.length,
    replicas,
    clients,
    genesis,
  };
  const cluster: Cluster =
    protocol === 'cft'
      ? { ...base, protocol, parameters: parseCftParameters(r, o.parameters, 'parameters') }
      : { ...base, protocol, parameters: parseParameters(r, o.parameters, 'parameters') };
  checkLedgerAccepts(r, cluster);
  return cluster;
}

/** The document with `"protocol": "pbft"` added when it is an object that names no protocol. */
function withDefaultProtocol(json: unknown): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || Object.hasOwn(json, 'protocol'))
    return json;
  return { ...json, protocol: 'pbft' };
}

/** A protocol from the supported list. */
function parseProtocol(r: FieldReader, value: unknown): Protocol {
  const found = (PROTOCOLS as readonly unknown[]).indexOf(value);
  const protocol = PROTOCOLS[found];
  if (protocol === undefined) {
    r.fail(
      'protocol',
      `unsupported protocol ${JSON.stringify(value)} (expected one of ${PROTOCOLS.join(', ')})`,
    );
  }
  return protocol;
}

/** Checks that the entry at `path` has id `index`: ids are 0..n-1 in file order. */
function checkId(r: FieldReader, value: unknown, path: string, index: number): number {
  if (value !== index) {
    r.fail(path, `expected ${index}, found ${JSON.stringify(value)} (ids are 0, 1, 2, ... in file order)`);
  }
  return index;
}

/** The public key and peer id of the principal at `path`; the key must be new to the cluster. */
function parseIdentity(
  r: FieldReader,
  o: { publicKey: unknown; peerId: unknown },
  path: string,
  registries: Registries,
): { publicKey: Uint8Array; peerId: string } {
  const keyPath = fieldPath(path, 'publicKey');
  const publicKey = r.publicKey(o.publicKey, keyPath);
  registries.keys.claim(toHex(publicKey), keyPath);
  // Peer ids are unique because keys are: each must be its own key's.
  const peerId = r.string(o.peerId, fieldPath(path, 'peerId'));
  const expected = peerIdOf(publicKey);
  if (peerId !== expected) {
    r.fail(fieldPath(path, 'peerId'), `does not match publicKey (expected ${expected})`);
  }
  return { publicKey, peerId };
}

/** Replica `index`. */
function parseReplica(r: FieldReader, value: unknown, index: number, registries: Registries): ReplicaConfig {
  const path = indexPath('replicas', index);
  const o = r.object(value, path, ['id', 'publicKey', 'peerId', 'address', 'metricsPort']);
  const id = checkId(r, o.id, fieldPath(path, 'id'), index);
  const { publicKey, peerId } = parseIdentity(r, o, path, registries);
  const addressPath = fieldPath(path, 'address');
  const address = r.string(o.address, addressPath);
  const tcp = parseTcpMultiaddr(address);
  if (typeof tcp === 'string') r.fail(addressPath, tcp);
  registries.ports.claim(`${tcp.host}:${tcp.port}`, addressPath, `${tcp.port} on ${tcp.host}`);
  const metricsPath = fieldPath(path, 'metricsPort');
  const metricsPort = r.integer(o.metricsPort, metricsPath, 1, 65535);
  registries.ports.claim(`${tcp.host}:${metricsPort}`, metricsPath, `${metricsPort} on ${tcp.host}`);
  return { id, publicKey, peerId, address, host: tcp.host, port: tcp.port, metricsPort };
}

/** The clients section. */
function parseClients(r: FieldReader, value: unknown, registries: Registries): ClientConfig[] {
  const names = new UniqueValues(r, 'client name');
  const entries = r.array(value, 'clients', MAX_CLIENTS);
  const clients = entries.map((entry, index) => {
    const path = indexPath('clients', index);
    const o = r.object(entry, path, ['id', 'name', 'publicKey', 'peerId'], ['via']);
    const id = checkId(r, o.id, fieldPath(path, 'id'), index);
    const namePath = fieldPath(path, 'name');
    const name = r.string(o.name, namePath);
    if (!CLIENT_NAME.test(name)) {
      r.fail(namePath, 'expected 1..64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    }
    names.claim(name, namePath);
    const via = o.via === undefined ? undefined : r.integer(o.via, fieldPath(path, 'via'), 0, MAX_CLIENTS);
    return { id, name, ...parseIdentity(r, o, path, registries), ...(via === undefined ? {} : { via }) };
  });
  for (const c of clients) checkVia(r, clients, c);
  return clients;
}

/**
 * A client's `via` must name another client that connects with its own key: one level only, so
 * every shared connection is one configured client's identity and its process is the one place
 * where the replies of all the clients that share it arrive.
 */
function checkVia(r: FieldReader, clients: readonly ClientConfig[], c: ClientConfig): void {
  if (c.via === undefined) return;
  const path = fieldPath(indexPath('clients', c.id), 'via');
  const host = clients[c.via];
  if (host === undefined) r.fail(path, `no client ${c.via} (ids are 0..${clients.length - 1})`);
  if (host.id === c.id) r.fail(path, 'a client cannot share its own connection (leave via out)');
  if (host.via !== undefined) {
    r.fail(path, `client ${host.id} itself connects via client ${host.via}: name that one instead`);
  }
}

/** The genesis section: accounts with acceptable owner keys and canonical balances, and issuers. */
function parseGenesis(r: FieldReader, value: unknown): ClusterGenesis {
  const o = r.object(value, 'genesis', ['accounts', 'issuers']);
  const names = new UniqueValues(r, 'account name');
  let total = 0n;
  const accounts = r.array(o.accounts, 'genesis.accounts', MAX_GENESIS_ACCOUNTS).map((entry, index) => {
    const path = indexPath('genesis.accounts', index);
    const a = r.object(entry, path, ['name', 'owner', 'balance']);
    const namePath = fieldPath(path, 'name');
    const name = r.string(a.name, namePath);
    if (nameToBytes(name) === null) r.fail(namePath, 'expected 1..64 bytes of well-formed UTF-8');
    names.claim(name, namePath);
    const owner = r.publicKey(a.owner, fieldPath(path, 'owner'));
    if (isKeyHex(name) && name !== toHex(owner)) {
      r.fail(namePath, 'a name of 64 hex digits must be the hex of its owner key');
    }
    const balance = r.decimal(a.balance, fieldPath(path, 'balance'), MAX_AMOUNT);
    total += balance;
    return { name, owner, balance };
  });
  if (total > MAX_AMOUNT) r.fail('genesis.accounts', 'opening balances sum past 2^128 - 1');
  const issuerKeys = new UniqueValues(r, 'issuer');
  const issuers = r.array(o.issuers, 'genesis.issuers', MAX_CLIENTS).map((entry, index) => {
    const path = indexPath('genesis.issuers', index);
    const key = r.publicKey(entry, path);
    issuerKeys.claim(toHex(key), path);
    return key;
  });
  return { accounts, issuers };
}

/** Runs the ledger's own genesis check, so a file this parser accepts never fails at replica start. */
function checkLedgerAccepts(r: FieldReader, cluster: Cluster): void {
  try {
    indexGenesis({
      accounts: cluster.genesis.accounts.map((a) => ({ ...a })),
      issuers: [...cluster.genesis.issuers],
      clients: cluster.clients.map((c) => c.publicKey),
    });
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    r.fail('genesis', `refused by the ledger: ${err.message}`, 'bad-config', err);
  }
}
