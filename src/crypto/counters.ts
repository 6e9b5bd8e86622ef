/**
 * Per-process accounting of crypto work: how many signatures, verifications (inline and on libuv's
 * pool) and hashes this process made, bytes hashed, and the time spent in the synchronous calls.
 *
 * Cheap on the hot path: a counter bump per call, plus two `performance.now()` reads around each
 * synchronous call while timing is on (120-160 ns per pair on the development machine, against
 * 40-60 us for a signature, ~150 us for a verify and ~1.5 us for a 200-byte SHA-256 there; the
 * difference with timing off was below the noise of a busy 2-core VM, +-150 ns). The times are
 * wall-clock times of calls on this thread, which equal their CPU time unless the thread is
 * preempted. Work on the pool cannot be timed from here: it is counted, and a benchmark attributes
 * it as count x the per-op cost that `calibrateCrypto` measures.
 */

/** The crypto operations counted; `verify-pool` runs on libuv's thread pool and is never timed. */
export const CRYPTO_OPS = ['sign', 'verify-inline', 'verify-pool', 'hash'] as const;
/** One counted crypto operation. */
export type CryptoOp = (typeof CRYPTO_OPS)[number];

/** A snapshot of one process's crypto counters since it started (or since the last reset). */
export interface CryptoCounters {
  /** Calls per operation. */
  readonly count: Readonly<Record<CryptoOp, number>>;
  /** Seconds spent in the synchronous calls, per operation (0 for `verify-pool`, and while untimed). */
  readonly seconds: Readonly<Record<CryptoOp, number>>;
  /** Bytes hashed (the inputs of every counted SHA-256). */
  readonly hashBytes: number;
  /** Whether calls were being timed when the snapshot was taken. */
  readonly timing: boolean;
}

/** The live counters: plain numbers bumped in place, so counting allocates nothing. */
const live = {
  /** Signatures made. */
  signCount: 0,
  /** Milliseconds spent signing (timed calls only). */
  signMs: 0,
  /** Verifications on the calling thread. */
  verifyInlineCount: 0,
  /** Milliseconds spent verifying on the calling thread. */
  verifyInlineMs: 0,
  /** Verifications handed to libuv's thread pool. */
  verifyPoolCount: 0,
  /** SHA-256 calls. */
  hashCount: 0,
  /** Milliseconds spent hashing. */
  hashMs: 0,
  /** Bytes hashed. */
  hashBytes: 0,
};

/** Whether synchronous calls are timed; counting never stops. */
let timing = true;

/** Turns timing of synchronous calls on or off (counting goes on either way); returns the old setting. */
export function setCryptoTiming(on: boolean): boolean {
  const was = timing;
  timing = on;
  return was;
}

/** The start mark of a synchronous call: a `performance.now()` reading, or -1 when untimed. */
export function cryptoStart(): number {
  return timing ? performance.now() : -1;
}

/** Milliseconds since `t0`, or 0 for an untimed call. */
function since(t0: number): number {
  return t0 < 0 ? 0 : performance.now() - t0;
}

/** Counts one signature that started at `t0` (from `cryptoStart`). */
export function countSign(t0: number): void {
  live.signCount++;
  live.signMs += since(t0);
}

/** Counts one verification on the calling thread that started at `t0`. */
export function countVerifyInline(t0: number): void {
  live.verifyInlineCount++;
  live.verifyInlineMs += since(t0);
}

/** Counts one verification handed to the thread pool. */
export function countVerifyPool(): void {
  live.verifyPoolCount++;
}

/** Counts one hash of `bytes` bytes that started at `t0`. */
export function countHash(t0: number, bytes: number): void {
  live.hashCount++;
  live.hashBytes += bytes;
  live.hashMs += since(t0);
}

/** A copy of the counters now. */
export function cryptoCounters(): CryptoCounters {
  return {
    count: {
      sign: live.signCount,
      'verify-inline': live.verifyInlineCount,
      'verify-pool': live.verifyPoolCount,
      hash: live.hashCount,
    },
    seconds: {
      sign: live.signMs / 1000,
      'verify-inline': live.verifyInlineMs / 1000,
      'verify-pool': 0,
      hash: live.hashMs / 1000,
    },
    hashBytes: live.hashBytes,
    timing,
  };
}

/** Sets every counter back to zero (tests, and tools that measure one window in a process). */
export function resetCryptoCounters(): void {
  for (const key of Object.keys(live) as (keyof typeof live)[]) live[key] = 0;
}

/** Counters that add up to nothing: the start of a difference, or a process with no crypto. */
export function zeroCryptoCounters(): CryptoCounters {
  const zero = { sign: 0, 'verify-inline': 0, 'verify-pool': 0, hash: 0 };
  return { count: { ...zero }, seconds: { ...zero }, hashBytes: 0, timing: true };
}

/** What happened between two snapshots of one process (`after - before`, op by op). */
export function cryptoDelta(before: CryptoCounters, after: CryptoCounters): CryptoCounters {
  const count = { ...after.count };
  const seconds = { ...after.seconds };
  for (const op of CRYPTO_OPS) {
    count[op] -= before.count[op];
    seconds[op] -= before.seconds[op];
  }
  return {
    count,
    seconds,
    hashBytes: after.hashBytes - before.hashBytes,
    timing: before.timing && after.timing,
  };
}

/** The sum of several processes' counters (timing is true only if it was on in all of them). */
export function cryptoSum(all: readonly CryptoCounters[]): CryptoCounters {
  const count = { ...zeroCryptoCounters().count };
  const seconds = { ...zeroCryptoCounters().seconds };
  let hashBytes = 0;
  let timed = true;
  for (const c of all) {
    for (const op of CRYPTO_OPS) {
      count[op] += c.count[op];
      seconds[op] += c.seconds[op];
    }
    hashBytes += c.hashBytes;
    timed &&= c.timing;
  }
  return { count, seconds, hashBytes, timing: timed };
}
