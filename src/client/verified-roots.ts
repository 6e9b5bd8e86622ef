/**
 * Reply roots whose signatures verified, remembered so that the clients of one process verify a
 * replica's batch signature once. Every reply of one executed batch carries the same signed root
 * (`messages/reply-batch.ts`), so when many clients share a process (a benchmark driver, a gateway),
 * the first client to verify replica r's root for (view, seq) spares the others that verify.
 *
 * An entry names the public key and the exact root envelope (cluster, sender, view, seq, leaf count,
 * root, signature): a hit means these very bytes verified under this very key before. Bounded, least
 * recently used first out.
 */

import { sha256Parts } from '../crypto/hash.js';
import { toHex } from '../crypto/hex.js';
import type { Verifier } from '../crypto/types.js';
import type { KnownValid } from '../messages/boundary.js';

/** How many verified roots a process keeps by default: a few batches per replica per client. */
export const VERIFIED_ROOTS_CAPACITY = 4096;

/** A bounded LRU set of (public key, root envelope) pairs whose signature verified. */
export class VerifiedRoots {
  /** Keys of verified pairs; a Map iterates in insertion order, and a hit moves its key to the end. */
  private readonly seen = new Map<string, true>();

  constructor(
    /** Most pairs kept. */
    readonly capacity = VERIFIED_ROOTS_CAPACITY,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity ${capacity}`);
  }

  /** How many pairs are remembered now. */
  get size(): number {
    return this.seen.size;
  }

  /** The boundary's `known` callback: true when this envelope verified under this key before. */
  readonly known: KnownValid = (envelope, verifier) => {
    const key = keyOf(envelope, verifier);
    if (!this.seen.has(key)) return false;
    this.seen.delete(key);
    this.seen.set(key, true);
    return true;
  };

  /** Records that `envelope`'s signature verified under `verifier`. */
  remember(envelope: Uint8Array, verifier: Verifier): void {
    const key = keyOf(envelope, verifier);
    this.seen.delete(key);
    this.seen.set(key, true);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }
}

/** The cache key of a pair: hex SHA-256 of the public key then the envelope (the key has a fixed length). */
function keyOf(envelope: Uint8Array, verifier: Verifier): string {
  return toHex(sha256Parts([verifier.publicKey, envelope]));
}

/** The process's shared cache: every PBFT client in the process uses it unless given its own. */
export const sharedVerifiedRoots = new VerifiedRoots();
