/**
 * Strict hexadecimal helpers for key files and configuration. Lenient decoders (such as
 * `Buffer.from(s, 'hex')`) silently drop everything after the first bad character; a key read that way
 * would be a different key, so decoding here refuses anything that is not exactly pairs of hex digits.
 */
import { KeyError } from './key-error.js';

/** Matches a string made only of hex digits (either case). */
const HEX_CHARS = /^[0-9a-fA-F]*$/;

/** Lowercase hex encoding of `b`. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Decodes hex (either case); throws KeyError 'bad-encoding' on odd length or any non-hex character. */
export function fromHex(s: string): Uint8Array {
  if (typeof s !== 'string') throw new KeyError('bad-encoding', 'hex: expected a string');
  if (s.length % 2 !== 0) throw new KeyError('bad-encoding', `hex: odd length ${s.length}`);
  if (!HEX_CHARS.test(s)) throw new KeyError('bad-encoding', 'hex: contains a non-hex character');
  // Copy out of Buffer's shared pool so the result owns its memory.
  return new Uint8Array(Buffer.from(s, 'hex'));
}
