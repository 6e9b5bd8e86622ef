/** The crash-fault (Raft-like) core: a pure replica state machine and its configuration. */
import type { CftConfig } from './types.js';

export { majority } from './base.js';
export { CftReplica } from './replica.js';
export type {
  CftConfig,
  CftDeps,
  CftIgnoreReason,
  CftInput,
  CftOutput,
  CftPersistRecord,
  CftRecoveredState,
  CftRole,
  CftSnapshot,
  CftStatus,
  LogEntry,
} from './types.js';

/**
 * Defaults, chosen to match PBFT_DEFAULTS where the two protocols share a knob (batches of up to
 * 64, 4 in flight, 256 KiB chunks). Ticks are 10 ms at run time: a heartbeat every 100 ms, an
 * election after 1-2 s without a leader (etcd's defaults are 100 ms and 1 s), a snapshot every 128
 * applied entries (PBFT's checkpoint interval).
 */
export const CFT_DEFAULTS = {
  maxBatch: 64,
  maxInflight: 4,
  maxAppendEntries: 64,
  heartbeatTicks: 10,
  electionTimeoutMinTicks: 100,
  electionTimeoutMaxTicks: 200,
  snapshotInterval: 128,
  chunkBytes: 256 * 1024,
} as const;

/** A full configuration for replica `id` of `n`, with the defaults under `overrides`. */
export function cftConfig(
  n: number,
  id: number,
  cluster: Uint8Array,
  overrides: Partial<CftConfig> = {},
): CftConfig {
  return { n, id, cluster, ...CFT_DEFAULTS, ...overrides };
}
