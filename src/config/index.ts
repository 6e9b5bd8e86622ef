/** The configuration module: cluster.json (format, strict loader, writer), key files, and `init`. */
export { parseTcpMultiaddr, type TcpAddress, tcpMultiaddr } from './address.js';
export {
  CFT_PARAMETER_DEFAULTS,
  CFT_PARAMETER_NAMES,
  type CftClusterParameters,
  type CftProtocolParameters,
  type RuntimeParameters,
} from './cft-parameters.js';
export {
  cftConfigOf,
  clientOf,
  clientsByConnection,
  clientViaOf,
  clusterPath,
  clusterToJson,
  connectionOwnerOf,
  findClient,
  findReplica,
  formatCluster,
  genesisOf,
  KEYS_DIR,
  keyPath,
  type LoadedKey,
  loadCluster,
  loadKey,
  loadSigner,
  parseCluster,
  pbftConfigOf,
  quorumOf,
  replicaOf,
  replyQuorumOf,
  transportPeerOf,
  unsignedRequestsOf,
} from './cluster.js';
export { INIT_DEFAULTS, METRICS_PORT_OFFSET } from './defaults.js';
export { ConfigError, type ConfigErrorCode } from './errors.js';
export { type InitOptions, type InitResult, initCluster, writeFileAtomic } from './init.js';
export { type ClusterParameters, PARAMETER_DEFAULTS, PARAMETER_NAMES } from './parameters.js';
export { MAX_CLIENTS, MAX_GENESIS_ACCOUNTS, MAX_REPLICAS } from './parse.js';
export {
  type CftCluster,
  CLUSTER_FILE,
  CLUSTER_FORMAT_VERSION,
  CLUSTER_ID_BYTES,
  type ClientConfig,
  type ClientJson,
  type Cluster,
  type ClusterBase,
  type ClusterGenesis,
  type ClusterJson,
  type KeyRole,
  MAX_FAULTS,
  MIN_REPLICAS,
  type PbftCluster,
  PROTOCOLS,
  type Protocol,
  type ReplicaConfig,
  type ReplicaJson,
} from './types.js';
