/**
 * Why the boundary refused a frame. A small fixed set of stable kebab-case strings: each becomes a
 * metric label (pre-registered from `ALL_REJECT_REASONS`) and a log field, so renaming one is a
 * breaking change for dashboards.
 */

/** Every reason the boundary can give, in the order the checks run. */
export const ALL_REJECT_REASONS = [
  /** The frame is longer than `LIMITS.maxFrameBytes`; nothing else was read. */
  'frame-too-large',
  /** The bytes are not a canonical envelope (truncated, trailing bytes, over-long field). */
  'malformed-envelope',
  /** The envelope's kind tag names no known message kind. */
  'unknown-kind',
  /** The envelope's cluster id is not this cluster's. */
  'wrong-cluster',
  /** No principal with the sender id exists for this kind (replica id >= n, unknown client). */
  'unknown-sender',
  /** The sender exists but may not send this: a replica kind from a client id, a pre-prepare or
   * new-view from a replica that is not the view's primary, a prepare from the primary. */
  'wrong-sender-role',
  /** The body bytes do not decode with the kind's schema. */
  'malformed-body',
  /** A decoded field is out of range or inconsistent with the envelope (e.g. request client != sender). */
  'bad-field',
  /** A view-scoped normal-case message below the current view or with seq outside (low, high]. */
  'outside-window',
  /** A pre-prepare carries more requests than the configured batch size. */
  'batch-too-large',
  /** A request inside a pre-prepare's batch is malformed, from an unknown client, or badly signed. */
  'bad-request-in-batch',
  /** Two requests in one batch share (client, timestamp). */
  'duplicate-request-in-batch',
  /** A pre-prepare's digest is not `batchDigest` of its requests. */
  'batch-digest-mismatch',
  /** A view-change's or new-view's nested envelopes do not make the certificates it claims: one is
   * malformed, of the wrong kind, fails its own kind's checks or its signature (nested at any depth),
   * or the set breaks a rule (too few, a repeated sender, a field that does not match). */
  'bad-certificate',
  /** A reply's place in its batch tree cannot be right: no leaves or too many, an index outside
   * them, or a path with more or fewer sibling hashes than that leaf's path has. */
  'bad-reply-path',
  /** The envelope's signature does not verify under the sender's key (a reply's: over the root its
   * leaf and path lead to, so a tampered result, path or index fails here). */
  'bad-signature',
] as const;

/** Why the boundary refused a frame (see `ALL_REJECT_REASONS`). */
export type RejectReason = (typeof ALL_REJECT_REASONS)[number];

/** A boundary outcome: a value, or a stable reason with a human-readable detail for logs. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; detail?: string };

/** A failed check inside the boundary modules, turned into a `Checked` at the edge. */
export type Fault = { readonly reason: RejectReason; readonly detail: string };

/** Builds a fault. */
export function fault(reason: RejectReason, detail: string): Fault {
  return { reason, detail };
}

/** Builds a rejection; `detail` is for logs only and never parsed. */
export function reject(
  reason: RejectReason,
  detail?: string,
): { ok: false; reason: RejectReason; detail?: string } {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}
