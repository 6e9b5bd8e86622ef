/** Byte helpers with no locale or platform dependence: hex, ordering, equality, concatenation. */

/** The SHA-256 function the runtime injects, so the ledger needs no crypto library and stays pure. */
export type HashFn = (data: Uint8Array) => Uint8Array;

const HEX_DIGITS = '0123456789abcdef';
const HEX_BYTE: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => `${HEX_DIGITS[i >> 4] ?? ''}${HEX_DIGITS[i & 15] ?? ''}`,
);
/** A public key written as an account name: exactly 64 lowercase hex digits. */
const KEY_HEX = /^[0-9a-f]{64}$/;

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX_BYTE[b];
  return out;
}

/** True when `s` is a 32-byte public key in lowercase hex (the name of a key-owned account). */
export function isKeyHex(s: string): boolean {
  return KEY_HEX.test(s);
}

/** The bytes of a lowercase hex string of even length (callers check the format first). */
export function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) {
    out[i] = HEX_DIGITS.indexOf(s[2 * i] ?? '') * 16 + HEX_DIGITS.indexOf(s[2 * i + 1] ?? '');
  }
  return out;
}

/** Unsigned lexicographic order of byte strings (a proper prefix sorts first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** True when `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/** `prefix` followed by the given byte strings, in one new array. */
export function concatBytes(prefix: number, ...parts: Uint8Array[]): Uint8Array {
  let total = 1;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  out[0] = prefix;
  let at = 1;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
