/**
 * What a benchmark client submits: signed transfers of 1 unit to the next client (the default), or
 * null operations carrying an opaque payload of a chosen size that execute as no-ops (the PBFT
 * paper's 0/0 and 4/0 microbenchmarks, BFT-SMaRt's ThroughputLatency).
 */
import { encodeNull, encodeTransfer, MAX_NULL_PAYLOAD_BYTES } from '../ledger/index.js';

/** The workloads `bench` knows. */
export const WORKLOADS = ['transfer', 'null'] as const;

/** One of the workloads. */
export type Workload = (typeof WORKLOADS)[number];

/** What a run submits. */
export interface WorkloadSpec {
  /** Which operation. */
  readonly workload: Workload;
  /** Payload bytes of a null operation (ignored for transfers). */
  readonly requestBytes: number;
  /** Null operations only: requests carry an all-zero signature (the cluster must allow it). */
  readonly unsignedRequests: boolean;
}

/** Why a workload specification is refused, or undefined when it is usable. */
export function workloadProblem(spec: WorkloadSpec): string | undefined {
  if (!(WORKLOADS as readonly string[]).includes(spec.workload))
    return `unknown workload '${spec.workload}' (expected ${WORKLOADS.join(' or ')})`;
  if (
    !Number.isInteger(spec.requestBytes) ||
    spec.requestBytes < 0 ||
    spec.requestBytes > MAX_NULL_PAYLOAD_BYTES
  )
    return `--request-bytes must be an integer in [0, ${MAX_NULL_PAYLOAD_BYTES}]`;
  if (spec.unsignedRequests && spec.workload !== 'null')
    return '--unsigned-requests is allowed only with --workload null';
  return undefined;
}

/**
 * The operation bytes client `index` submits, the same every time (a null payload is a fixed
 * pattern; a transfer pays 1 unit to the next account, so balances stay near genesis).
 */
export function operationFor(spec: WorkloadSpec, index: number, accounts: readonly string[]): Uint8Array {
  if (spec.workload === 'null') {
    const payload = new Uint8Array(spec.requestBytes);
    for (let i = 0; i < payload.length; i++) payload[i] = (index + i) & 0xff;
    return encodeNull(payload);
  }
  const from = accounts[index % accounts.length]!;
  const to = accounts[(index + 1) % accounts.length]!;
  return encodeTransfer(from, to, 1n);
}
