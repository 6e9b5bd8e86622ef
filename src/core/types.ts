/**
 * What a protocol core needs from the outside world, injected so the core stays pure: a signer
 * (synchronous, deterministic), a deterministic state machine, and a seeded PRNG.
 */

/** A deterministic PRNG; the simulator seeds it, the runtime seeds it from the OS once. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, bound). */
  int(bound: number): number;
}

/** The last executed request of one client and its result: the reply cache. */
export interface CachedReply {
  /** The client's timestamp of that request. */
  readonly timestamp: number;
  /** The sequence number it executed at. */
  readonly seq: number;
  /** The encoded result that was replied. */
  readonly result: Uint8Array;
}

/** The replicated state machine (the ledger implements it). Pure and deterministic. */
export interface StateMachine {
  /** Executes one authenticated request; null when (client, timestamp) is stale or a duplicate. */
  execute(client: number, timestamp: number, op: Uint8Array, seq: number): Uint8Array | null;
  /** The reply cache entry of a client. */
  lastReply(client: number): CachedReply | undefined;
  /** The state digest (Merkle root), 32 bytes. */
  digest(): Uint8Array;
  /** A canonical encoding of the whole state. */
  snapshot(): Uint8Array;
  /**
   * Replaces the whole state by a snapshot, but only when it decodes and its digest equals
   * `expectedDigest` (from a checkpoint certificate); otherwise false and nothing changes.
   */
  restore(snapshot: Uint8Array, expectedDigest: Uint8Array): boolean;
}
