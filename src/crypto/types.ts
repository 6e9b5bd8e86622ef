/**
 * Signing and verification interfaces. Everything above `crypto/` (messages, core, simulator) talks
 * to keys only through these, so the simulator can swap in a cheaper deterministic scheme while the
 * runtime uses Ed25519 on the native path.
 */

/** A holder of one secret key. Signing is deterministic (RFC 8032), so replayed runs are exact. */
export interface Signer {
  /** The 32-byte public key that verifies this signer's signatures. */
  readonly publicKey: Uint8Array;
  /** A 64-byte signature over `data`. Synchronous: the core signs inside `step`. */
  sign(data: Uint8Array): Uint8Array;
}

/** One principal's public key, checked when it was loaded, ready to verify. */
export interface Verifier {
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** True only when `signature` is a valid signature of `data` under the pinned rules. */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
  /** Same answer as `verify`, computed off the event loop where the implementation can. */
  verifyAsync(data: Uint8Array, signature: Uint8Array): Promise<boolean>;
}
