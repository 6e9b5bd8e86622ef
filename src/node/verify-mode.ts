/**
 * Where a replica checks signatures: on the event loop ('inline'), on libuv's thread pool ('pool'),
 * or by frame ('auto': frames with a few unchecked signatures inline, larger ones on the pool, where
 * they verify in parallel). The pool pays off only with idle cores: replicas sharing a machine with
 * at least as many replicas as cores verify inline (on 2 cores with 4 replicas, measured 3.0 vs
 * 3.4-3.5 ms of CPU per transfer at 40 clients, 637-642 vs 529-546 tx/s; `colocatedVerifyMode`).
 */
import { availableParallelism } from 'node:os';

/** The modes, as `--verify` spells them. */
export const VERIFY_MODES = ['auto', 'inline', 'pool'] as const;

/** Where signatures are verified. */
export type VerifyMode = (typeof VERIFY_MODES)[number];

/** Whether a string names a mode. */
export function isVerifyMode(value: string): value is VerifyMode {
  return (VERIFY_MODES as readonly string[]).includes(value);
}

/** The mode in BFTLEDGER_VERIFY, or 'auto' when it is unset or names none. */
export function verifyModeFromEnv(): VerifyMode {
  const v = process.env.BFTLEDGER_VERIFY ?? '';
  return isVerifyMode(v) ? v : 'auto';
}

/**
 * The mode for `replicas` replica processes started together on one machine with `cores` cores:
 * 'inline' when they are at least as many as the cores (a pool thread could only take a core from
 * another replica, and each hand-off costs two wake-ups), 'auto' otherwise.
 */
export function colocatedVerifyMode(replicas: number, cores = availableParallelism()): VerifyMode {
  return replicas >= cores ? 'inline' : 'auto';
}
