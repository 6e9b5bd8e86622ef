/**
 * Batch digests, hash injected. A pre-prepare, prepare and commit name a batch by its digest; the
 * digest covers the request envelopes exactly as the clients signed them, never a re-encoding.
 * This module is pure (the protocol cores use it); `batch.ts` binds it to the native SHA-256.
 */

/**
 * The digest of a batch of request envelopes:
 *   SHA-256( u32 BE count || SHA-256(request_0) || ... || SHA-256(request_{count-1}) )
 * where request_i is the i-th request's envelope bytes verbatim. Hashing each request first gives
 * every entry a fixed width (so no two batches share a preimage). Order matters: the primary's
 * order is the ledger's.
 */
export function batchDigestWith(
  hash: (data: Uint8Array) => Uint8Array,
  requests: readonly Uint8Array[],
): Uint8Array {
  const buf = new Uint8Array(4 + 32 * requests.length);
  new DataView(buf.buffer).setUint32(0, requests.length);
  for (const [i, request] of requests.entries()) buf.set(hash(request), 4 + 32 * i);
  return hash(buf);
}

/** A map key for one client request: replicas keep one reply per (client, timestamp). */
export function requestKey(client: number, timestamp: number): string {
  return `${client}:${timestamp}`;
}
