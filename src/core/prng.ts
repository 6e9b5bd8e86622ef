/**
 * A small seeded PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator) whose 128-bit
 * state is filled by splitmix32 from a 32-bit seed. Pure arithmetic, so it may live in `core/`:
 * the same seed gives the same stream on every machine and Node version.
 *
 * Independent streams come from `fork(label)`: the child's seed mixes the parent's seed with a hash
 * of the label and does not depend on how much of the parent's stream was consumed, so adding a
 * draw in one component never shifts the numbers another component sees.
 */
import type { Rng } from './types.js';

/** 2^-32: turns a 32-bit unsigned integer into a float in [0, 1). */
const INV_2_32 = 1 / 4294967296;

/** One splitmix32 step: advances `state` and returns a well-mixed 32-bit value. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a (32-bit) of a string's UTF-16 code units: a stable label hash for `fork`. */
export function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The seed of the stream named `label` under `seed` (order-independent derivation). */
export function deriveSeed(seed: number, label: string): number {
  const state = { s: (seed ^ Math.imul(hashLabel(label), 0x27d4eb2d)) | 0 };
  splitmix32(state);
  return splitmix32(state);
}

/** A seeded sfc32 generator implementing the core's `Rng`. */
export class Prng implements Rng {
  /** The 32-bit seed this stream was made from: what `fork` derives children from. */
  readonly seed: number;
  /** sfc32 state word a. */
  private a: number;
  /** sfc32 state word b. */
  private b: number;
  /** sfc32 state word c. */
  private c: number;
  /** sfc32 counter word: guarantees a period of at least 2^32. */
  private d: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    const state = { s: this.seed };
    this.a = splitmix32(state);
    this.b = splitmix32(state);
    this.c = splitmix32(state);
    this.d = 1;
    // Discard the first outputs so that nearby seeds diverge fully.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The next 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.u32() * INV_2_32;
  }

  /** An integer in [0, bound); `bound` must be a positive integer below 2^32. */
  int(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0 || bound > 0x100000000) {
      throw new RangeError(`int(bound): bad bound ${bound}`);
    }
    // Rejection sampling: no modulo bias.
    const limit = 0x100000000 - (0x100000000 % bound);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % bound;
    }
  }

  /** An integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** True with probability `p` (always one draw, so streams stay aligned whatever `p` is). */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[this.int(items.length)] as T;
  }

  /** An independent stream named `label`, derived from this stream's seed (not its position). */
  fork(label: string): Prng {
    return new Prng(deriveSeed(this.seed, label));
  }
}

/** A PRNG for a 32-bit seed (any number; only its low 32 bits count). */
export function seededRng(seed: number): Prng {
  return new Prng(seed);
}
