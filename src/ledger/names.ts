/**
 * Account names: 1..64 bytes of well-formed UTF-8, compared and ordered as bytes. Names are never
 * Unicode-normalized (normalization tables change between Node versions); two spellings are two names.
 */
import { bytes, type Codec } from '../messages/codec.js';

/** Longest account name in UTF-8 bytes. */
export const MAX_NAME_BYTES = 64;

const utf8Encoder = new TextEncoder();
/** Strict decoder that also keeps a leading U+FEFF, so every accepted byte string round-trips exactly. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const nameBytes = bytes(MAX_NAME_BYTES);

/** The UTF-8 bytes of a valid account name, or null (empty, too long, or a lone surrogate). */
export function nameToBytes(name: unknown): Uint8Array | null {
  if (typeof name !== 'string') return null;
  const b = utf8Encoder.encode(name);
  if (b.length < 1 || b.length > MAX_NAME_BYTES) return null;
  // A lone surrogate encodes as U+FFFD: the bytes would name a different string.
  return nameFromBytes(b) === name ? b : null;
}

/** UTF-8 bytes of a name already known to be valid (decoded by ACCOUNT_NAME or checked by nameToBytes). */
export function validNameBytes(name: string): Uint8Array {
  return utf8Encoder.encode(name);
}

/** The account name these bytes spell, or null when they are not 1..64 bytes of valid UTF-8. */
export function nameFromBytes(b: Uint8Array): string | null {
  if (b.length < 1 || b.length > MAX_NAME_BYTES) return null;
  try {
    return utf8Decoder.decode(b);
  } catch {
    return null;
  }
}

/** An account name in the schema: length-prefixed UTF-8, refused unless valid and canonical. */
export const ACCOUNT_NAME: Codec<string> = {
  encode: (w, v) => {
    const b = nameToBytes(v);
    if (b === null) throw new RangeError('invalid account name');
    nameBytes.encode(w, b);
  },
  decode: (r) => {
    const name = nameFromBytes(nameBytes.decode(r));
    if (name === null) throw new RangeError('invalid account name');
    return name;
  },
};
