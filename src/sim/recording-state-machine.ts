/**
 * A state machine wrapper that records the ledger digest right after each checkpoint sequence
 * number (a multiple of K) is executed, independently of what the core claims in its CHECKPOINTs.
 *
 * The core executes batches inside `step`, possibly several in one step, and an empty batch (a
 * null request) calls nothing at all. So the wrapper watches the sequence numbers `execute` is
 * called with: when a call for seq s arrives while the last call was for an earlier seq, every
 * sequence number before s is complete and the current state is the state after each of them.
 * At the end of a step the simulator closes the window with the highest executed seq.
 */
import type { CachedReply, StateMachine } from '../core/types.js';
import type { LedgerStateMachine } from '../ledger/state-machine.js';

/** Receives the ledger digest right after `seq` (a multiple of K) executed. */
export type BoundaryDigest = (seq: number, digest: Uint8Array) => void;

/** The ledger state machine, watched for checkpoint boundaries. */
export class RecordingStateMachine implements StateMachine {
  /**
   * The first sequence number whose post-state is not yet known to be recorded: everything before
   * it is complete, it may be partially applied. Null after a restore, until the simulator tells
   * the restored seq.
   */
  private from: number | null = 1;
  /** Highest seq recorded: nothing is recorded twice. */
  private recordedUpTo = 0;

  constructor(
    /** The real state machine. */
    readonly inner: LedgerStateMachine,
    /** Checkpoint interval K. */
    private readonly k: number,
    /** Where boundary digests go. */
    private readonly record: BoundaryDigest,
  ) {}

  execute(client: number, timestamp: number, op: Uint8Array, seq: number): Uint8Array | null {
    if (this.from !== null && seq > this.from) this.flush(seq - 1);
    if (this.from === null || seq > this.from) this.from = seq;
    return this.inner.execute(client, timestamp, op, seq);
  }

  lastReply(client: number): CachedReply | undefined {
    return this.inner.lastReply(client);
  }

  digest(): Uint8Array {
    return this.inner.digest();
  }

  snapshot(): Uint8Array {
    return this.inner.snapshot();
  }

  restore(snapshot: Uint8Array, expectedDigest: Uint8Array): boolean {
    const ok = this.inner.restore(snapshot, expectedDigest);
    if (ok) this.from = null;
    return ok;
  }

  /**
   * End of a step: `executedUpTo` is the replica's highest executed seq, `restoredTo` the seq of a
   * state transfer in this step (if any). Records the boundaries up to `executedUpTo`.
   */
  endStep(executedUpTo: number, restoredTo: number | undefined): void {
    if (this.from === null) {
      if (restoredTo === undefined) return;
      this.from = restoredTo;
      this.recordedUpTo = Math.max(this.recordedUpTo, restoredTo);
    }
    if (executedUpTo >= this.from) {
      this.flush(executedUpTo);
      this.from = executedUpTo + 1;
    }
  }

  /** Records the current digest for every multiple of K in [from, upTo] not recorded yet. */
  private flush(upTo: number): void {
    if (this.from === null) return;
    const first = Math.max(this.from, this.recordedUpTo + 1);
    let m = Math.ceil(first / this.k) * this.k;
    if (m > upTo) return;
    const digest = this.inner.digest();
    for (; m <= upTo; m += this.k) {
      this.record(m, digest);
      this.recordedUpTo = m;
    }
  }
}
