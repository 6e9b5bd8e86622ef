/** The PBFT core: a pure replica state machine and its configuration. */
import { maxFaulty } from '../quorum.js';
import type { PbftConfig } from './types.js';

export { type PbftDeps, PbftReplica } from './replica.js';
export type { IgnoreReason, Input, Output, PbftConfig, PersistRecord } from './types.js';

/**
 * Defaults: K = 128, L = 2K, batches of up to 64, 4 in flight. Ticks are 10 ms at run time, so
 * votes are resent after 200 ms, a stalled replica fetches after 400 ms, and a backup starts a view
 * change after waiting 1 s for a request (doubling per failed view, capped at 16 s).
 */
export const PBFT_DEFAULTS = {
  checkpointInterval: 128,
  watermarkWindow: 256,
  maxBatch: 64,
  maxInflight: 4,
  retransmitTicks: 20,
  fetchTicks: 40,
  chunkBytes: 256 * 1024,
  requestTimeoutTicks: 100,
  maxViewTimeoutTicks: 1600,
} as const;

/** A full configuration for replica `id` of `n`, with f = floor((n - 1) / 3) and the defaults. */
export function pbftConfig(
  n: number,
  id: number,
  cluster: Uint8Array,
  overrides: Partial<PbftConfig> = {},
): PbftConfig {
  return { n, f: maxFaulty(n), id, cluster, ...PBFT_DEFAULTS, ...overrides };
}
