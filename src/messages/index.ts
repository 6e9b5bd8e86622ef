/** The messages module's public surface: schema, envelopes, batch digests and boundary validation. */
export { batchDigest, batchDigestWith, NULL_BATCH_DIGEST, requestKey } from './batch.js';
export {
  type BoundaryContext,
  type KnownValid,
  openFrame,
  type ParsedFrame,
  PRE_PREPARE_COUNT_OFFSET,
  type Principals,
  parseFrame,
  primaryOf,
  type SignatureCheck,
  type ViewWindow,
  verifyFrame,
  verifyFrameAsync,
} from './boundary.js';
export { type DecodeFailure, type DecodeResult, decode, encode } from './codec.js';
export {
  bodyCodec,
  CLUSTER_ID_BYTES,
  DOMAIN_TAG_BYTES,
  kindOfTag,
  seal,
  sealBytes,
  signingBytes,
} from './envelope.js';
export { ALL_REJECT_REASONS, type Checked, type RejectReason, reject } from './reject.js';
export {
  BODIES,
  type BodyOf,
  CLIENT_KINDS,
  ENVELOPE,
  type Envelope,
  KIND_TAGS,
  type Kind,
  LIMITS,
  PROTOCOL_DOMAIN,
} from './schema.js';
export type { AnyMessage, AnyVerified, Attachments, Message, VerifiedMessage } from './types.js';
