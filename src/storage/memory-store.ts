/**
 * The in-memory store: the reference semantics every store shares (see retention.ts and
 * layout.ts), synchronously, for the deterministic simulator. A simulated crash keeps exactly what
 * the store holds; a restart loads from it. Envelopes are kept by reference: messages are immutable.
 */
import type { PersistRecord } from '../core/pbft/types.js';
import { assemble, type Entry, NO_DAMAGE } from './layout.js';
import { RetentionIndex } from './retention.js';
import type { DurableState, ReplicaStore } from './types.js';

/** A replica store held in memory. */
export class MemoryStore implements ReplicaStore {
  /** What each key holds. */
  private readonly entries = new Map<string, Entry>();
  /** Which keys exist and what the next record replaces or prunes. */
  private readonly index = new RetentionIndex();

  /** Applies one group of records at once (the simulator's durable point). */
  appendSync(records: readonly PersistRecord[]): void {
    for (const record of records)
      for (const op of this.index.plan(record)) {
        if (op.type === 'put') this.entries.set(op.key, op.entry);
        else this.entries.delete(op.key);
      }
  }

  /** What a replica restarting from this store sees. */
  loadSync(): DurableState {
    return assemble(this.entries.values(), NO_DAMAGE);
  }

  async append(records: readonly PersistRecord[]): Promise<void> {
    this.appendSync(records);
  }

  async load(): Promise<DurableState> {
    return this.loadSync();
  }

  async close(): Promise<void> {}
}
