/**
 * The crash-fault replica's durable state held in memory: the reference semantics of its persist
 * records (core/cft/types.ts), synchronously, for the simulator and tests. A simulated crash keeps
 * exactly what was appended here; a restart reads it back and nothing else. Entries are kept by
 * reference (messages are immutable).
 */
import type { CftPersistRecord, CftRecoveredState, CftSnapshot, LogEntry } from '../core/cft/types.js';

/** A crash-fault replica's store held in memory. */
export class CftMemoryStore {
  /** The last hard state: term, vote, commit index. */
  private hard: { term: number; votedFor: number | undefined; commit: number } = {
    term: 0,
    votedFor: undefined,
    commit: 0,
  };
  /** The last snapshot, taken or installed. */
  private snapshot: CftSnapshot | undefined;
  /** Log entries by index (those above the snapshot, once compaction dropped the rest). */
  private readonly entries = new Map<number, LogEntry>();
  /** Highest index stored (0 when none). */
  private last = 0;
  /** Groups appended so far (a group counts once however many records it has). */
  groups = 0;

  /** Makes one step's records durable, in order, as one group. */
  appendSync(records: readonly CftPersistRecord[]): void {
    if (records.length > 0) this.groups++;
    for (const r of records) this.apply(r);
  }

  /** Applies one record. */
  private apply(r: CftPersistRecord): void {
    switch (r.type) {
      case 'hard-state':
        this.hard = { term: r.term, votedFor: r.votedFor, commit: r.commit };
        return;
      case 'append':
        for (const e of r.entries) {
          this.entries.set(e.index, e);
          this.last = Math.max(this.last, e.index);
        }
        return;
      case 'truncate':
        for (let i = r.from; i <= this.last; i++) this.entries.delete(i);
        this.last = Math.min(this.last, r.from - 1);
        return;
      case 'snapshot':
        for (const i of [...this.entries.keys()]) if (i <= r.snapshot.index) this.entries.delete(i);
        this.snapshot = r.snapshot;
        this.last = Math.max(this.last, r.snapshot.index);
        return;
    }
  }

  /** What a replica restarting from this store sees: the log after the snapshot, up to its first gap. */
  loadSync(): CftRecoveredState {
    const entries: LogEntry[] = [];
    for (let i = (this.snapshot?.index ?? 0) + 1; ; i++) {
      const e = this.entries.get(i);
      if (e === undefined) break;
      entries.push(e);
    }
    return { ...this.hard, snapshot: this.snapshot, entries };
  }
}
