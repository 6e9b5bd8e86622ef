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

/** Any message, discriminated on `kind` (so narrowing on `kind` narrows `body`). */
export type AnyMessage = { [K in Kind]: Message<K> }[Kind];

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
  /** The stable checkpoint's proof and the prepared certificates, each nested envelope verified. */
  'view-change': {
    readonly proof: readonly VerifiedMessage<'checkpoint'>[];
    readonly certificates: readonly VerifiedCertificate[];
  };
  /** The view changes the new primary used and its recomputed pre-prepares, all verified. */
  'new-view': {
    readonly viewChanges: readonly VerifiedMessage<'view-change'>[];
    readonly prePrepares: readonly VerifiedMessage<'pre-prepare'>[];
  };
  'fetch-state': object;
  'state-chunk': object;
}

/** A prepared certificate from a VIEW-CHANGE: a pre-prepare and 2f matching prepares, verified. */
export interface VerifiedCertificate {
  /** The pre-prepare of the primary of its view, with its verified batch. */
  readonly prePrepare: VerifiedMessage<'pre-prepare'>;
  /** At least 2f prepares from distinct backups matching (view, seq, digest). */
  readonly prepares: readonly VerifiedMessage<'prepare'>[];
}

/** A message that passed the boundary: fields in range, signature (and nested ones) valid. */
export type VerifiedMessage<K extends Kind = Kind> = Message<K> &
  Attachments[K] & { readonly [verifiedBrand]: true };

/** Any verified message, discriminated on `kind`. */
export type AnyVerified = { [K in Kind]: VerifiedMessage<K> }[Kind];
