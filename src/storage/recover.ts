/**
 * From disk to the core: every stored envelope is opened again through the boundary (signatures
 * included), so a corrupted or tampered data directory cannot feed the core anything unverified.
 * What fails to open is dropped and counted; the replica then catches up from its peers.
 */
import type { RecoveredState } from '../core/pbft/types.js';
import { type BoundaryContext, openFrame } from '../messages/boundary.js';
import type { Kind } from '../messages/schema.js';
import type { AnyVerified, VerifiedCertificate, VerifiedMessage } from '../messages/types.js';
import type { DurableState } from './types.js';

/** The recovered state, and how many stored envelopes were refused. */
export interface Recovery {
  /** What the core restarts from. */
  readonly state: RecoveredState;
  /** Stored envelopes that failed the boundary (corrupt or tampered), dropped. */
  readonly refused: number;
}

/** Opens every envelope of a durable state; `ctx` must carry no window (the data is historical). */
export function recoverState(durable: DurableState, ctx: BoundaryContext): Recovery {
  let refused = 0;
  const open = <K extends Kind>(bytes: Uint8Array, kind: K): VerifiedMessage<K> | undefined => {
    const r = openFrame(bytes, ctx);
    if (r.ok && r.value.kind === kind) return r.value as VerifiedMessage<K>;
    refused++;
    return undefined;
  };
  let stable: RecoveredState['stable'];
  if (durable.stable) {
    const proof = durable.stable.proof.map((p) => open(p, 'checkpoint'));
    if (proof.every((p) => p !== undefined)) stable = { ...durable.stable, proof };
  }
  const executed: VerifiedMessage<'pre-prepare'>[] = [];
  for (const e of durable.executed) {
    const pp = open(e.prePrepare, 'pre-prepare');
    if (!pp || pp.body.seq !== e.seq) break;
    executed.push(pp);
  }
  const prepared: VerifiedCertificate[] = [];
  for (const c of durable.prepared) {
    const prePrepare = open(c.prePrepare, 'pre-prepare');
    const prepares = c.prepares.map((p) => open(p, 'prepare'));
    if (prePrepare && prepares.every((p) => p !== undefined)) prepared.push({ prePrepare, prepares });
  }
  const signed: AnyVerified[] = [];
  for (const bytes of durable.signed) {
    const r = openFrame(bytes, ctx);
    if (r.ok) signed.push(r.value);
    else refused++;
  }
  return { state: { stable, executed, prepared, signed }, refused: refused + durable.corrupt };
}
