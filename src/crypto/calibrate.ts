/**
 * A calibration microbenchmark: the CPU cost of one Ed25519 signature, one verification and SHA-256
 * (per call and per KB) on this machine, through the same code paths the runtime uses. A benchmark
 * attributes work it cannot time (verifications on libuv's pool, untimed processes) as
 * count x calibrated cost. Costs are process CPU time (`process.cpuUsage`) over many calls, the
 * median of several rounds, with timing of calls switched off while it runs.
 */
import { setCryptoTiming } from './counters.js';
import { Ed25519Signer, Ed25519Verifier } from './ed25519.js';
import { sha256 } from './hash.js';

/** Per-operation CPU costs measured on this machine. */
export interface CryptoCalibration {
  /** CPU seconds per Ed25519 signature of a `messageBytes`-byte message. */
  readonly signSeconds: number;
  /** CPU seconds per Ed25519 verification (pinned rules, on the calling thread). */
  readonly verifySeconds: number;
  /** Fixed CPU seconds per SHA-256 call (from 64-byte inputs, less their per-KB part). */
  readonly sha256CallSeconds: number;
  /** CPU seconds per KB (1,024 bytes) hashed, from 16 KB inputs. */
  readonly sha256KbSeconds: number;
  /** CPU seconds one timed call adds: the two `performance.now()` reads and the bookkeeping. */
  readonly timerSeconds: number;
  /** Size of the signed and verified message. */
  readonly messageBytes: number;
  /** Rounds per figure (each figure is the median over rounds). */
  readonly rounds: number;
}

/** Options of `calibrateCrypto`. */
export interface CalibrateOptions {
  /** CPU milliseconds per round of each figure (default 60). */
  readonly roundMs?: number;
  /** Rounds per figure (default 5). */
  readonly rounds?: number;
  /** Size of the signed message (default 200 bytes, about a signed transfer). */
  readonly messageBytes?: number;
}

/** CPU microseconds used by this process so far (all threads). */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Where measured calls' results go, so the engine cannot drop the calls as dead code. */
let sink = 0;

/** CPU seconds per call of `op`, run in chunks of `chunk` calls until `roundMs` of CPU has passed. */
function perCall(op: () => number, chunk: number, roundMs: number): number {
  const start = cpuMicros();
  let calls = 0;
  let used = 0;
  while (used < roundMs * 1000) {
    for (let i = 0; i < chunk; i++) sink += op();
    calls += chunk;
    used = cpuMicros() - start;
  }
  return used / 1e6 / calls;
}

/** The median of `rounds` measurements of `op`. */
function median(op: () => number, chunk: number, roundMs: number, rounds: number): number {
  const xs = Array.from({ length: rounds }, () => perCall(op, chunk, roundMs)).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)] ?? 0;
}

/** A deterministic message of `n` bytes. */
function message(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
}

/** Measures the per-op costs; takes about 5 x `rounds` x `roundMs` of CPU. */
export function calibrateCrypto(options: CalibrateOptions = {}): CryptoCalibration {
  const roundMs = options.roundMs ?? 60;
  const rounds = options.rounds ?? 5;
  const messageBytes = options.messageBytes ?? 200;
  const signer = Ed25519Signer.fromSecretKey(new Uint8Array(32).fill(7));
  const verifier = Ed25519Verifier.fromPublicKey(signer.publicKey);
  const msg = message(messageBytes);
  const signature = signer.sign(msg);
  const small = message(64);
  const large = message(16 * 1024);
  const wasTiming = setCryptoTiming(false);
  try {
    const signSeconds = median(() => signer.sign(msg)[0] ?? 0, 16, roundMs, rounds);
    const verifySeconds = median(() => (verifier.verify(msg, signature) ? 1 : 0), 16, roundMs, rounds);
    const smallSeconds = median(() => sha256(small)[0] ?? 0, 256, roundMs, rounds);
    const largeSeconds = median(() => sha256(large)[0] ?? 0, 16, roundMs, rounds);
    const timerSeconds = median(() => -performance.now() + performance.now(), 1024, roundMs, rounds);
    if (Number.isNaN(sink)) throw new Error('unreachable: keeps the measured calls alive');
    const smallKb = small.length / 1024;
    const largeKb = large.length / 1024;
    const sha256KbSeconds = Math.max(0, (largeSeconds - smallSeconds) / (largeKb - smallKb));
    const sha256CallSeconds = Math.max(0, smallSeconds - smallKb * sha256KbSeconds);
    return {
      signSeconds,
      verifySeconds,
      sha256CallSeconds,
      sha256KbSeconds,
      timerSeconds,
      messageBytes,
      rounds,
    };
  } finally {
    setCryptoTiming(wasTiming);
  }
}
