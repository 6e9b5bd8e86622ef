/**
 * How entries are laid out on disk. Each value is framed as
 *   u32 payload length | first 8 bytes of SHA-256(key, payload) | payload
 * so a torn, truncated or bit-flipped value, or a valid value under the wrong key, is detected on
 * load. Payloads use the canonical codec: a value either decodes exactly or is refused.
 */
import { sha256Parts } from '../crypto/hash.js';
import { bytes, type Codec, decode, encode, fixed, list, struct, u53 } from '../messages/codec.js';
import { LIMITS } from '../messages/schema.js';
import type { Entry, KeyInfo } from './layout.js';

/** Bytes before the payload: its length and its checksum. */
const HEADER_BYTES = 12;
/** Checksum bytes kept from the SHA-256. */
const CHECKSUM_BYTES = 8;
/** Largest snapshot a checkpoint value may carry (the length prefix is a u32). */
const MAX_SNAPSHOT_BYTES = 2 ** 32 - 1;

/** One stored envelope (a message nested in nothing: bounded by the largest frame). */
const envelope = bytes(LIMITS.maxFrameBytes);

/** Payload of an executed key. */
const EXECUTED = struct({ prePrepare: envelope });
/** Payload of a prepared key. */
const PREPARED = struct({ view: u53, prePrepare: envelope, prepares: list(envelope, LIMITS.maxCertificate) });
/** Payload of a vote key and of the VIEW-CHANGE and NEW-VIEW keys. */
const SIGNED = struct({ order: u53, rank: u53, envelope });
/** Payload of the stable checkpoint key. */
const CHECKPOINT = struct({
  seq: u53,
  stateDigest: fixed(32),
  proof: list(bytes(LIMITS.maxNestedBytes), LIMITS.maxCertificate),
  snapshot: bytes(MAX_SNAPSHOT_BYTES),
});

const utf8 = new TextEncoder();

/** The first bytes of SHA-256(key, payload): binds a value to its key. */
function checksum(key: string, payload: Uint8Array): Uint8Array {
  return sha256Parts([utf8.encode(key), payload]).subarray(0, CHECKSUM_BYTES);
}

/** Frames `payload` for `key`: length, checksum, payload. */
export function frame(key: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(checksum(key, payload), 4);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** The payload of a framed value, or undefined when it is torn or fails its checksum. */
export function unframe(key: string, value: Uint8Array): Uint8Array | undefined {
  if (value.length < HEADER_BYTES) return undefined;
  const length = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0);
  if (length !== value.length - HEADER_BYTES) return undefined;
  // A copy: decoded fields are views into it, and must not share memory with the engine's buffer.
  const payload = value.slice(HEADER_BYTES);
  const expected = checksum(key, payload);
  for (let i = 0; i < CHECKSUM_BYTES; i++) if (value[4 + i] !== expected[i]) return undefined;
  return payload;
}

/** The framed value that stores `entry` under `key`. */
export function encodeValue(key: string, entry: Entry): Uint8Array {
  switch (entry.type) {
    case 'executed':
      return frame(key, encode(EXECUTED, { prePrepare: entry.prePrepare }));
    case 'prepared':
      return frame(key, encode(PREPARED, { ...entry, prepares: [...entry.prepares] }));
    case 'signed':
      return frame(key, encode(SIGNED, entry));
    case 'stable':
      return frame(key, encode(CHECKPOINT, { ...entry.checkpoint, proof: [...entry.checkpoint.proof] }));
  }
}

/** Decodes a payload; undefined when it is not an exact encoding. */
function decodeWith<T>(codec: Codec<T>, payload: Uint8Array): T | undefined {
  const r = decode(codec, payload);
  return r.ok ? r.value : undefined;
}

/** The entry stored under a key of slot `info`, or undefined when the value is unusable. */
export function decodeValue(key: string, info: KeyInfo, value: Uint8Array): Entry | undefined {
  const payload = unframe(key, value);
  if (payload === undefined) return undefined;
  switch (info.slot) {
    case 'executed': {
      const v = decodeWith(EXECUTED, payload);
      return v && { type: 'executed', seq: info.seq, prePrepare: v.prePrepare };
    }
    case 'prepared': {
      const v = decodeWith(PREPARED, payload);
      return v && { type: 'prepared', seq: info.seq, ...v };
    }
    case 'vote':
    case 'view-change':
    case 'new-view': {
      const v = decodeWith(SIGNED, payload);
      return v && { type: 'signed', ...v };
    }
    case 'stable': {
      const v = decodeWith(CHECKPOINT, payload);
      return v && { type: 'stable', checkpoint: v };
    }
  }
}
