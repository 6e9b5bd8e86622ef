/**
 * The `parameters` section of cluster.json: the PBFT protocol parameters every replica must share,
 * plus the runtime's tick length, frame and queue bounds and the client timeout. Every parameter
 * is written out in the file; none falls back to a built-in default when loading, because replicas
 * running different software versions must never silently disagree on one.
 */
import { PBFT_DEFAULTS } from '../core/pbft/index.js';
import type { PbftConfig } from '../core/pbft/types.js';
import { LIMITS } from '../messages/schema.js';
import { type FieldReader, fieldPath } from './fields.js';

/** The protocol parameters: every PbftConfig field except the per-replica and per-cluster ones. */
export type ProtocolParameters = Omit<PbftConfig, 'n' | 'f' | 'id' | 'cluster'>;

/** Protocol and runtime parameters shared by the whole cluster. */
export interface ClusterParameters extends ProtocolParameters {
  /** Wall-clock milliseconds per tick at run time. */
  readonly tickMs: number;
  /** Largest frame a replica sends or accepts. */
  readonly maxFrameBytes: number;
  /** Most bytes queued for one peer before new frames are dropped. */
  readonly maxQueueBytes: number;
  /** How long a client waits for a reply quorum before it sends to every replica. */
  readonly clientTimeoutMs: number;
  /**
   * Benchmarks only: replicas skip the client-signature check of requests, which carry an all-zero
   * signature instead (replica messages stay signed). Written only when true; `up` refuses it.
   */
  readonly unsignedRequests?: true;
}

/** Defaults that `init` writes: the PBFT core's defaults, 10 ms ticks, 4 MiB frames, 16 MiB queues. */
export const PARAMETER_DEFAULTS: ClusterParameters = {
  ...PBFT_DEFAULTS,
  tickMs: 10,
  maxFrameBytes: 4 * 1024 * 1024,
  maxQueueBytes: 16 * 1024 * 1024,
  clientTimeoutMs: 500,
};

/** The parameter names in file order (also the closed list of allowed fields). */
export const PARAMETER_NAMES = [
  'checkpointInterval',
  'watermarkWindow',
  'maxBatch',
  'maxInflight',
  'retransmitTicks',
  'fetchTicks',
  'chunkBytes',
  'requestTimeoutTicks',
  'maxViewTimeoutTicks',
  'tickMs',
  'maxFrameBytes',
  'maxQueueBytes',
  'clientTimeoutMs',
] as const satisfies readonly (keyof ClusterParameters)[];

/** Parameters a file may leave out (absent means off); none of them is a protocol parameter. */
export const OPTIONAL_PARAMETER_NAMES = [
  'unsignedRequests',
] as const satisfies readonly (keyof ClusterParameters)[];

/** Upper bound for tick counts: about 2^31, far above any sensible timeout. */
export const MAX_TICKS = 0x7fffffff;
/** Room a frame needs around a full batch or a state chunk: envelope, signature, message fields. */
export const FRAME_HEADROOM_BYTES = 64 * 1024;
/** Upper bound on a per-peer queue. */
export const MAX_QUEUE_BYTES = 1024 * 1024 * 1024;

/** Reads and checks `parameters` at `path` (the invariants the PBFT core and the runtime assume). */
export function parseParameters(r: FieldReader, value: unknown, path: string): ClusterParameters {
  const o = r.object(value, path, PARAMETER_NAMES, OPTIONAL_PARAMETER_NAMES);
  const at = (name: string): string => fieldPath(path, name);
  const checkpointInterval = r.integer(o.checkpointInterval, at('checkpointInterval'), 1, 1 << 20);
  const watermarkWindow = r.integer(o.watermarkWindow, at('watermarkWindow'), 1, 1 << 24);
  if (watermarkWindow % checkpointInterval !== 0) {
    r.fail(
      at('watermarkWindow'),
      `must be a multiple of checkpointInterval (${checkpointInterval}), found ${watermarkWindow}`,
    );
  }
  const maxBatch = r.integer(o.maxBatch, at('maxBatch'), 1, LIMITS.maxBatch);
  const maxInflight = r.integer(o.maxInflight, at('maxInflight'), 1, watermarkWindow);
  const retransmitTicks = r.integer(o.retransmitTicks, at('retransmitTicks'), 1, MAX_TICKS);
  const fetchTicks = r.integer(o.fetchTicks, at('fetchTicks'), 1, MAX_TICKS);
  const chunkBytes = r.integer(o.chunkBytes, at('chunkBytes'), 1, LIMITS.maxChunkBytes);
  const requestTimeoutTicks = r.integer(o.requestTimeoutTicks, at('requestTimeoutTicks'), 1, MAX_TICKS);
  const maxViewTimeoutTicks = r.integer(
    o.maxViewTimeoutTicks,
    at('maxViewTimeoutTicks'),
    requestTimeoutTicks,
    MAX_TICKS,
  );
  const tickMs = r.integer(o.tickMs, at('tickMs'), 1, 60_000);
  const largestPayload = Math.max(chunkBytes, maxBatch * LIMITS.maxRequestBytes);
  const maxFrameBytes = r.integer(
    o.maxFrameBytes,
    at('maxFrameBytes'),
    Math.min(largestPayload + FRAME_HEADROOM_BYTES, LIMITS.maxFrameBytes),
    LIMITS.maxFrameBytes,
  );
  const maxQueueBytes = r.integer(o.maxQueueBytes, at('maxQueueBytes'), maxFrameBytes, MAX_QUEUE_BYTES);
  const clientTimeoutMs = r.integer(o.clientTimeoutMs, at('clientTimeoutMs'), 1, 3_600_000);
  if (o.unsignedRequests !== undefined && o.unsignedRequests !== true)
    r.fail(at('unsignedRequests'), 'must be true when present (leave it out for signed requests)');
  return {
    checkpointInterval,
    watermarkWindow,
    maxBatch,
    maxInflight,
    retransmitTicks,
    fetchTicks,
    chunkBytes,
    requestTimeoutTicks,
    maxViewTimeoutTicks,
    tickMs,
    maxFrameBytes,
    maxQueueBytes,
    clientTimeoutMs,
    ...(o.unsignedRequests === true ? { unsignedRequests: true as const } : {}),
  };
}
