/**
 * What the core sees of a message: the kind, the sender, the decoded body and the envelope bytes
 * verbatim (certificates carry these, never a re-encoding). `Verified` marks a message that passed
 * every boundary check, signature included; only `messages/boundary.ts` makes one.
 */
import type { BodyOf, Kind } from './schema.js';

/** A decoded message with its exact envelope bytes. */
export interface Message<K extends Kind = Kind> {
  /** Which schema `body` follows. */
  readonly kind: K;
  /** Replica id for replica kinds, client id for client kinds. */
  readonly sender: number;
  /** The decoded body. */
  readonly body: BodyOf[K];
  /** The envelope exactly as signed and sent: what certificates and evidence carry. */
  readonly bytes: Uint8Array;
}

declare const verifiedBrand: unique symbol;

/** Extra verified content the boundary attaches per kind (nested envelopes, already checked). */
export interface Attachments {
  request: object;
  /** The batch's requests, each decoded and verified against its client's key. */
  'pre-prepare': { readonly batch: readonly VerifiedMessage<'request'>[] };
  prepare: object;
  commit: object;
  reply: object;
  checkpoint: object;
  'view-change': object;
  'new-view': object;
  'fetch-state': object;
  'state-chunk': object;
}

/** A message that passed the boundary: fields in range, signature (and nested ones) valid. */
export type VerifiedMessage<K extends Kind = Kind> = Message<K> &
  Attachments[K] & { readonly [verifiedBrand]: true };

/** Any verified message, discriminated on `kind`. */
export type AnyVerified = { [K in Kind]: VerifiedMessage<K> }[Kind];
