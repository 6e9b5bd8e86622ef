/**
 * The `parameters` section of a crash-fault cluster's cluster.json: the CFT core's parameters
 * (batching, heartbeats, election timeouts, snapshot interval) plus the same runtime knobs as a
 * PBFT cluster (tick length, frame and queue bounds, client timeout). As for PBFT, every parameter
 * is written out and none falls back to a default when loading; a PBFT-only parameter in a CFT
 * file (or the reverse) is an unknown field.
 */
import { CFT_DEFAULTS } from '../core/cft/index.js';
import type { CftConfig } from '../core/cft/types.js';
import { CFT_LIMITS, LIMITS } from '../messages/schema.js';
import { type FieldReader, fieldPath } from './fields.js';
import {
  type ClusterParameters,
  FRAME_HEADROOM_BYTES,
  MAX_QUEUE_BYTES,
  MAX_TICKS,
  PARAMETER_DEFAULTS,
} from './parameters.js';

/** The runtime parameters both protocols share. */
export type RuntimeParameters = Pick<
  ClusterParameters,
  'tickMs' | 'maxFrameBytes' | 'maxQueueBytes' | 'clientTimeoutMs'
>;

/** The crash-fault core's protocol parameters: every CftConfig field except the per-replica ones. */
export type CftProtocolParameters = Omit<CftConfig, 'n' | 'id' | 'cluster'>;

/** Protocol and runtime parameters of a crash-fault cluster. */
export interface CftClusterParameters extends CftProtocolParameters, RuntimeParameters {}

/** Defaults that `init --protocol cft` writes: the CFT core's defaults and PBFT's runtime values. */
export const CFT_PARAMETER_DEFAULTS: CftClusterParameters = {
  ...CFT_DEFAULTS,
  tickMs: PARAMETER_DEFAULTS.tickMs,
  maxFrameBytes: PARAMETER_DEFAULTS.maxFrameBytes,
  maxQueueBytes: PARAMETER_DEFAULTS.maxQueueBytes,
  clientTimeoutMs: PARAMETER_DEFAULTS.clientTimeoutMs,
};

/** The parameter names of a crash-fault cluster in file order (also the closed list of allowed fields). */
export const CFT_PARAMETER_NAMES = [
  'maxBatch',
  'maxInflight',
  'maxAppendEntries',
  'heartbeatTicks',
  'electionTimeoutMinTicks',
  'electionTimeoutMaxTicks',
  'snapshotInterval',
  'chunkBytes',
  'tickMs',
  'maxFrameBytes',
  'maxQueueBytes',
  'clientTimeoutMs',
] as const satisfies readonly (keyof CftClusterParameters)[];

/** Reads and checks a crash-fault `parameters` section at `path` (the CFT core's invariants included). */
export function parseCftParameters(r: FieldReader, value: unknown, path: string): CftClusterParameters {
  const o = r.object(value, path, CFT_PARAMETER_NAMES);
  const at = (name: string): string => fieldPath(path, name);
  const maxBatch = r.integer(o.maxBatch, at('maxBatch'), 1, LIMITS.maxBatch);
  const maxInflight = r.integer(o.maxInflight, at('maxInflight'), 1, 1 << 16);
  const maxAppendEntries = r.integer(o.maxAppendEntries, at('maxAppendEntries'), 1, CFT_LIMITS.maxEntries);
  const heartbeatTicks = r.integer(o.heartbeatTicks, at('heartbeatTicks'), 1, MAX_TICKS - 1);
  // A leader must beat at least once before any follower may give up on it.
  const electionTimeoutMinTicks = r.integer(
    o.electionTimeoutMinTicks,
    at('electionTimeoutMinTicks'),
    heartbeatTicks + 1,
    MAX_TICKS,
  );
  const electionTimeoutMaxTicks = r.integer(
    o.electionTimeoutMaxTicks,
    at('electionTimeoutMaxTicks'),
    electionTimeoutMinTicks,
    MAX_TICKS,
  );
  const snapshotInterval = r.integer(o.snapshotInterval, at('snapshotInterval'), 1, 1 << 20);
  const chunkBytes = r.integer(o.chunkBytes, at('chunkBytes'), 1, LIMITS.maxChunkBytes);
  const tickMs = r.integer(o.tickMs, at('tickMs'), 1, 60_000);
  // The largest append-entries: its request bytes stay under maxAppendBytes unless one entry alone exceeds it.
  const largestPayload = Math.max(chunkBytes, CFT_LIMITS.maxAppendBytes, maxBatch * LIMITS.maxRequestBytes);
  const maxFrameBytes = r.integer(
    o.maxFrameBytes,
    at('maxFrameBytes'),
    Math.min(largestPayload + FRAME_HEADROOM_BYTES, LIMITS.maxFrameBytes),
    LIMITS.maxFrameBytes,
  );
  const maxQueueBytes = r.integer(o.maxQueueBytes, at('maxQueueBytes'), maxFrameBytes, MAX_QUEUE_BYTES);
  const clientTimeoutMs = r.integer(o.clientTimeoutMs, at('clientTimeoutMs'), 1, 3_600_000);
  return {
    maxBatch,
    maxInflight,
    maxAppendEntries,
    heartbeatTicks,
    electionTimeoutMinTicks,
    electionTimeoutMaxTicks,
    snapshotInterval,
    chunkBytes,
    tickMs,
    maxFrameBytes,
    maxQueueBytes,
    clientTimeoutMs,
  };
}
