/**
 * The cluster's principals as the boundary needs them: one Ed25519 verifier per replica and per
 * client, built once (turning key bytes into a native key object costs about as much as a verify),
 * and a cache of envelopes already verified so none is verified twice.
 */
import type { Cluster } from '../config/cluster.js';
import { hexOf, maxFaulty } from '../core/quorum.js';
import { sha256 } from '../crypto/hash.js';
import { Ed25519Verifier } from '../crypto/index.js';
import type { Principals } from '../messages/boundary.js';

/** Principals of a cluster, verifiers built once. */
export function principalsOf(cluster: Cluster): Principals {
  const replicas = cluster.replicas.map((r) => Ed25519Verifier.fromPublicKey(r.publicKey));
  const clients = cluster.clients.map((c) => Ed25519Verifier.fromPublicKey(c.publicKey));
  return {
    n: replicas.length,
    f: cluster.f ?? maxFaulty(replicas.length),
    replica: (id) => replicas[id],
    client: (id) => clients[id],
  };
}

/**
 * Remembers the digests of envelopes whose signatures verified, so an envelope seen twice (a
 * request received directly and again inside a pre-prepare, a certificate relayed again) is
 * verified once. Bounded: the oldest entries are forgotten first.
 */
export class VerifiedCache {
  /** Hex digests of verified envelopes, in insertion order. */
  private readonly seen = new Set<string>();
  /**
   * The digest of each envelope object already hashed: a frame's envelopes are looked up when the
   * runtime picks where to verify, again when verifying, and once more when remembered.
   */
  private readonly digests = new WeakMap<Uint8Array, string>();

  constructor(private readonly capacity = 20_000) {}

  /** The `known` callback for the boundary (a `KnownValid`; one cluster's keys, so by envelope alone). */
  readonly known = (envelope: Uint8Array): boolean => this.seen.has(this.digestOf(envelope));

  /** The hex digest of an envelope, computed once per envelope object (envelopes are never mutated). */
  private digestOf(envelope: Uint8Array): string {
    let d = this.digests.get(envelope);
    if (d === undefined) {
      d = hexOf(sha256(envelope));
      this.digests.set(envelope, d);
    }
    return d;
  }

  /** Records every envelope of a frame that fully verified. */
  remember(envelopes: readonly Uint8Array[]): void {
    for (const e of envelopes) {
      this.seen.add(this.digestOf(e));
      if (this.seen.size > this.capacity) {
        const oldest = this.seen.values().next().value;
        if (oldest !== undefined) this.seen.delete(oldest);
      }
    }
  }
}
