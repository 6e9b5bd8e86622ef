/**
 * What the crash-fault core sees of its messages. They are unsigned: `sender` is the replica the
 * transport authenticated (Noise), and the boundary refuses a frame whose envelope names anyone
 * else. `CftVerified` marks a message that passed every check of `cft-boundary.ts`; only that
 * module makes one.
 */
import type { CftBodyOf, CftKind } from './schema.js';
import type { Message } from './types.js';

/** A crash-fault message: kind, sender and decoded body (the envelope is made by `sealCft`). */
export interface CftMessage<K extends CftKind = CftKind> {
  /** Which schema `body` follows. */
  readonly kind: K;
  /** The replica that sends it. */
  readonly sender: number;
  /** The decoded body. */
  readonly body: CftBodyOf[K];
}

/** Any crash-fault message, discriminated on `kind`. */
export type AnyCftMessage = { [K in CftKind]: CftMessage<K> }[CftKind];

/** One log entry of an append-entries, its requests decoded (structure checked, signatures not). */
export interface CftEntryIn {
  /** The term in which a leader created the entry. */
  readonly term: number;
  /**
   * The client REQUEST envelopes, decoded. The leader verified each signature before it put the
   * request in its log; followers trust their authenticated leader (crash-fault model) and do not
   * verify again.
   */
  readonly requests: readonly Message<'request'>[];
}

/** Extra content the boundary attaches per kind. */
export interface CftAttachments {
  'request-vote': object;
  vote: object;
  /** The entries, each request decoded. */
  'append-entries': { readonly entries: readonly CftEntryIn[] };
  'append-ack': object;
  'install-snapshot': object;
  'cft-reply': object;
  redirect: object;
}

declare const cftVerifiedBrand: unique symbol;

/** A crash-fault message that passed the boundary: fields in range, sender authenticated. */
export type CftVerified<K extends CftKind = CftKind> = CftMessage<K> &
  CftAttachments[K] & { readonly [cftVerifiedBrand]: true };

/** Any verified crash-fault message, discriminated on `kind`. */
export type AnyCftVerified = { [K in CftKind]: CftVerified<K> }[CftKind];
