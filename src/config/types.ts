/**
 * The cluster configuration: the JSON shape of cluster.json as written on disk, and the validated,
 * decoded form the runtime uses (keys as bytes, balances as bigints).
 */
import type { GenesisAccount } from '../ledger/index.js';
import type { CftClusterParameters } from './cft-parameters.js';
import type { ClusterParameters } from './parameters.js';

/** The configuration file inside a network directory. */
export const CLUSTER_FILE = 'cluster.json';
/** The only cluster.json format version this build reads and writes. */
export const CLUSTER_FORMAT_VERSION = 1;
/** Byte length of a cluster id (it is part of every signature's domain). */
export const CLUSTER_ID_BYTES = 16;

/**
 * The replication protocols a cluster can run; a file naming any other is refused. `pbft`
 * tolerates Byzantine replicas; `cft` is the crash-fault baseline (DESIGN section 5).
 */
export const PROTOCOLS = ['pbft', 'cft'] as const;
/** A replication protocol. */
export type Protocol = (typeof PROTOCOLS)[number];

/** The fewest replicas each protocol needs to tolerate f faults: 3f + 1 Byzantine, 2f + 1 crashes. */
export const MIN_REPLICAS: Readonly<Record<Protocol, (f: number) => number>> = {
  pbft: (f) => 3 * f + 1,
  cft: (f) => 2 * f + 1,
};

/** The most faults n replicas tolerate under each protocol (the default f of `init`). */
export const MAX_FAULTS: Readonly<Record<Protocol, (n: number) => number>> = {
  pbft: (n) => Math.floor((n - 1) / 3),
  cft: (n) => Math.floor((n - 1) / 2),
};

/** A principal's key file role: it decides the file name under keys/. */
export type KeyRole = 'replica' | 'client';

/** One replica, validated. */
export interface ReplicaConfig {
  /** Replica id, equal to its index in `replicas`. */
  readonly id: number;
  /** Ed25519 public key that verifies its messages (passed the small-order and torsion checks). */
  readonly publicKey: Uint8Array;
  /** libp2p peer id derived from `publicKey`; the connection gater admits only these. */
  readonly peerId: string;
  /** TCP multiaddr it listens on and peers dial. */
  readonly address: string;
  /** Host part of `address`. */
  readonly host: string;
  /** TCP port of `address`. */
  readonly port: number;
  /** Port of its metrics and status HTTP endpoint. */
  readonly metricsPort: number;
}

/** One client, validated. */
export interface ClientConfig {
  /** Client id (the u32 on the wire), equal to its index in `clients`. */
  readonly id: number;
  /** Human name, unique in the cluster (the CLI selects a client by it). */
  readonly name: string;
  /** Ed25519 public key that verifies its requests. */
  readonly publicKey: Uint8Array;
  /** libp2p peer id derived from `publicKey`. */
  readonly peerId: string;
  /**
   * The client whose connection this one's traffic shares, if any: one process then carries the
   * requests and replies of several clients over one connection per replica (see
   * `transportPeerOf`). Absent: the client connects with its own key.
   */
  readonly via?: number;
}

/** The opening ledger state, validated. */
export interface ClusterGenesis {
  /** Accounts at the start. */
  readonly accounts: readonly Readonly<GenesisAccount>[];
  /** Public keys allowed to mint. */
  readonly issuers: readonly Uint8Array[];
}

/** What every validated cluster configuration holds, whatever its protocol. */
export interface ClusterBase {
  /** Format version of the file it was read from. */
  readonly version: typeof CLUSTER_FORMAT_VERSION;
  /** 16-byte cluster id: signatures of one cluster never verify in another. */
  readonly clusterId: Uint8Array;
  /** Faults tolerated. */
  readonly f: number;
  /** Number of replicas (`replicas.length`). */
  readonly n: number;
  /** Replicas by id. */
  readonly replicas: readonly ReplicaConfig[];
  /** Clients by id. */
  readonly clients: readonly ClientConfig[];
  /** Opening ledger state. */
  readonly genesis: ClusterGenesis;
}

/** A validated configuration of a PBFT cluster. */
export interface PbftCluster extends ClusterBase {
  /** Replication protocol the replicas run. */
  readonly protocol: 'pbft';
  /** Protocol and runtime parameters. */
  readonly parameters: ClusterParameters;
}

/** A validated configuration of a crash-fault cluster. */
export interface CftCluster extends ClusterBase {
  /** Replication protocol the replicas run. */
  readonly protocol: 'cft';
  /** Protocol and runtime parameters. */
  readonly parameters: CftClusterParameters;
}

/** A validated cluster configuration; `protocol` says which parameters it has. */
export type Cluster = PbftCluster | CftCluster;

/** A replica entry as written in cluster.json. */
export interface ReplicaJson {
  /** Replica id. */
  id: number;
  /** Lowercase hex public key. */
  publicKey: string;
  /** libp2p peer id. */
  peerId: string;
  /** TCP multiaddr. */
  address: string;
  /** Metrics port. */
  metricsPort: number;
}

/** A client entry as written in cluster.json. */
export interface ClientJson {
  /** Client id. */
  id: number;
  /** Unique name. */
  name: string;
  /** Lowercase hex public key. */
  publicKey: string;
  /** libp2p peer id. */
  peerId: string;
  /** Id of the client whose connection this one shares (absent: its own). */
  via?: number;
}

/** cluster.json exactly as written on disk. */
export interface ClusterJson {
  /** Format version. */
  version: number;
  /** 32 lowercase hex characters. */
  clusterId: string;
  /** Replication protocol. */
  protocol: string;
  /** Faults tolerated. */
  f: number;
  /** Replicas in id order. */
  replicas: ReplicaJson[];
  /** Clients in id order. */
  clients: ClientJson[];
  /** Opening ledger state with hex keys and decimal-string balances. */
  genesis: {
    accounts: { name: string; owner: string; balance: string }[];
    issuers: string[];
  };
  /** Protocol and runtime parameters (which ones depends on `protocol`). */
  parameters: ClusterParameters | CftClusterParameters;
}
