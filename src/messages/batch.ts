/** Batch digests with the native SHA-256 (see `batch-digest.ts` for the definition). */
import { sha256 } from '../crypto/hash.js';
import { batchDigestWith } from './batch-digest.js';

export { batchDigestWith, requestKey } from './batch-digest.js';

/** The digest of a batch of request envelopes, with the native SHA-256. */
export function batchDigest(requests: readonly Uint8Array[]): Uint8Array {
  return batchDigestWith(sha256, requests);
}

/** Digest of the empty batch: the null request that fills sequence gaps in a new view. */
export const NULL_BATCH_DIGEST: Uint8Array = batchDigest([]);
