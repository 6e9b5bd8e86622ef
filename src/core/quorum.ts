/** Quorum arithmetic and small helpers shared by the protocol cores. Pure. */

/** The primary of a view: `view mod n`. */
export function primaryOf(view: number, n: number): number {
  return view % n;
}

/**
 * Votes needed for a certificate: 2f + 1 when n = 3f + 1, and in general ceil((n + f + 1) / 2),
 * the smallest size at which any two quorums share at least f + 1 replicas (one of them correct).
 */
export function quorumSize(n: number, f: number): number {
  return Math.ceil((n + f + 1) / 2);
}

/** Largest f that n replicas tolerate: floor((n - 1) / 3). */
export function maxFaulty(n: number): number {
  return Math.floor((n - 1) / 3);
}

/** Byte-wise equality. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of bytes (map keys and logs). */
export function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b];
  return out;
}

/** Asserts an invariant; a failure is a bug in this replica, never a peer's fault. */
export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}
