/** Defaults of `init`, in a module of their own so the command line can show them cheaply. */
import type { Protocol } from './types.js';

/** Defaults of `initCluster` (and of `bftledger init`). */
export const INIT_DEFAULTS = {
  /** Clients created. */
  clients: 2,
  /** Replica i listens on basePort + i; its metrics on basePort + METRICS_PORT_OFFSET + i. */
  basePort: 7000,
  /** Opening balance of each client's account. */
  startingBalance: 1_000_000n,
  /** Replication protocol. */
  protocol: 'pbft' as Protocol,
} as const;

/** Metrics ports sit this far above the listener ports, so at most this many replicas fit. */
export const METRICS_PORT_OFFSET = 100;
