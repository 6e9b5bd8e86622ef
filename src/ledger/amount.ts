/** Amounts and balances: bigints in [0, 2^128 - 1], encoded as exactly 16 bytes big-endian. */
import { type Codec, fixed } from '../messages/codec.js';

/** Width of an encoded amount. */
export const AMOUNT_BYTES = 16;
/** Largest balance, amount, total supply and minted total: 2^128 - 1. */
export const MAX_AMOUNT = (1n << 128n) - 1n;

const amountBytes = fixed(AMOUNT_BYTES);

/** True for a bigint in [0, MAX_AMOUNT]: a value that has exactly one encoding. */
export function isAmount(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v <= MAX_AMOUNT;
}

/** Scratch space for encoding: encoding is synchronous and the writer copies it out at once. */
const scratch = new Uint8Array(AMOUNT_BYTES);
const scratchView = new DataView(scratch.buffer);

/** The 16-byte big-endian encoding of an amount, in the shared scratch buffer. */
function amountToBytes(v: bigint): Uint8Array {
  scratchView.setBigUint64(0, v >> 64n);
  scratchView.setBigUint64(8, v & 0xffff_ffff_ffff_ffffn);
  return scratch;
}

/** The amount a 16-byte big-endian string stands for (every string is a valid amount). */
function amountFromBytes(b: Uint8Array): bigint {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return (view.getBigUint64(0) << 64n) | view.getBigUint64(8);
}

/** An amount in the wire schema: one canonical 16-byte encoding per value, no sign, no padding choice. */
export const AMOUNT: Codec<bigint> = {
  encode: (w, v) => {
    if (!isAmount(v)) throw new RangeError(`amount out of range: ${String(v)}`);
    amountBytes.encode(w, amountToBytes(v));
  },
  decode: (r) => amountFromBytes(amountBytes.decode(r)),
};
