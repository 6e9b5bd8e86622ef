/**
 * The ledger seen by a protocol core: the `StateMachine` contract, with restore-in-place (the core
 * keeps one reference while state transfer swaps the ledger underneath).
 */
import type { CachedReply, StateMachine } from '../core/types.js';
import { type Genesis, Ledger } from './ledger.js';

/** Adapts a `Ledger` to the core's `StateMachine` interface. */
export class LedgerStateMachine implements StateMachine {
  /** The current ledger; replaced on a successful restore. */
  private current: Ledger;

  constructor(
    private readonly genesis: Genesis,
    private readonly hash: (data: Uint8Array) => Uint8Array,
  ) {
    this.current = new Ledger(genesis, hash);
  }

  /** The ledger behind this state machine, for reads (balances, supply) by observers. */
  get ledger(): Ledger {
    return this.current;
  }

  execute(client: number, timestamp: number, op: Uint8Array, seq: number): Uint8Array | null {
    return this.current.execute(client, timestamp, op, seq);
  }

  lastReply(client: number): CachedReply | undefined {
    return this.current.lastReply(client);
  }

  digest(): Uint8Array {
    return this.current.digest();
  }

  snapshot(): Uint8Array {
    return this.current.snapshot();
  }

  restore(snapshot: Uint8Array, expectedDigest: Uint8Array): boolean {
    let candidate: Ledger;
    try {
      candidate = Ledger.restore(snapshot, this.genesis, this.hash);
    } catch {
      return false;
    }
    const digest = candidate.digest();
    if (digest.length !== expectedDigest.length || !digest.every((b, i) => b === expectedDigest[i]))
      return false;
    this.current = candidate;
    return true;
  }
}
