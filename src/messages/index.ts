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
export {
  ALL_CFT_REJECT_REASONS,
  CFT_ONLY_REJECT_REASONS,
  type CftBoundaryContext,
  type CftChecked,
  type CftInbound,
  type CftParsedFrame,
  type CftPeer,
  type CftRejectReason,
  cftKindOfTag,
  openCftClientFrame,
  openCftFrame,
  parseCftFrame,
  sealCft,
} from './cft-boundary.js';
export type {
  AnyCftMessage,
  AnyCftVerified,
  CftAttachments,
  CftEntryIn,
  CftMessage,
  CftVerified,
} from './cft-types.js';
export { type DecodeFailure, type DecodeResult, decode, encode } from './codec.js';
export {
  type BodySignedKind,
  bodyCodec,
  CLUSTER_ID_BYTES,
  DOMAIN_TAG_BYTES,
  kindOfTag,
  seal,
  sealBytes,
  signingBytes,
  taggedSigningBytes,
} from './envelope.js';
export { ALL_REJECT_REASONS, type Checked, type RejectReason, reject } from './reject.js';
export {
  type ReplyContent,
  type ReplyEntry,
  replyLeafHash,
  replyRootOf,
  replyShapeFault,
  replyWithSignature,
  rootEnvelope,
  rootSigningBytes,
  sealMessage,
  sealReplies,
  sealReply,
} from './reply-batch.js';
export {
  BODIES,
  type BodyOf,
  CFT_BODIES,
  CFT_KIND_TAGS,
  CFT_LIMITS,
  type CftBodyOf,
  type CftKind,
  type CftWireEntry,
  CLIENT_KINDS,
  ENVELOPE,
  type Envelope,
  KIND_TAGS,
  type Kind,
  LIMITS,
  NO_LEADER,
  PROTOCOL_DOMAIN,
  REPLY_ROOT,
  REPLY_ROOT_TAG,
  type ReplyRoot,
} from './schema.js';
export type { AnyMessage, AnyVerified, Attachments, Message, VerifiedMessage } from './types.js';
