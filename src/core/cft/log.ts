/**
 * The replicated log in memory: the entries after the last snapshot, and the position the snapshot
 * stands for. Indices start at 1; index 0 with term 0 is the empty log, and entries at or below the
 * snapshot's index are known only by the snapshot (compacted). Pure bookkeeping: no protocol rules.
 */
import { invariant } from '../quorum.js';
import type { LogEntry } from './types.js';

/** A log of entries after a snapshot point. */
export class RaftLog {
  /** Entries at snapshotIndex + 1, snapshotIndex + 2, ... in order. */
  private entries: LogEntry[] = [];
  /** The last index the snapshot includes (0: no snapshot, the log starts at 1). */
  private base = 0;
  /** The term of the entry at `base` (0 when base is 0). */
  private baseTerm = 0;

  /** The last index the snapshot includes. */
  get snapshotIndex(): number {
    return this.base;
  }

  /** The term of the entry at the snapshot's index. */
  get snapshotTerm(): number {
    return this.baseTerm;
  }

  /** Index of the last entry (the snapshot's index when none follows it). */
  get lastIndex(): number {
    return this.base + this.entries.length;
  }

  /** Term of the last entry (the snapshot's term when none follows it). */
  get lastTerm(): number {
    return this.entries.at(-1)?.term ?? this.baseTerm;
  }

  /** Entries held after the snapshot. */
  get length(): number {
    return this.entries.length;
  }

  /** The term at `index`: known for the snapshot point and the entries after it, else undefined. */
  termAt(index: number): number | undefined {
    if (index === this.base) return this.baseTerm;
    return this.entryAt(index)?.term;
  }

  /** The entry at `index`, if it is held (not compacted, not beyond the end). */
  entryAt(index: number): LogEntry | undefined {
    if (index <= this.base) return undefined;
    return this.entries[index - this.base - 1];
  }

  /** Entries in [from, to], both held; `from` > the snapshot index. */
  slice(from: number, to: number): LogEntry[] {
    invariant(from > this.base && to <= this.lastIndex, 'slice inside the held log');
    return this.entries.slice(from - this.base - 1, to - this.base);
  }

  /** Appends entries that continue the log exactly. */
  append(entries: readonly LogEntry[]): void {
    for (const e of entries) {
      invariant(
        e.index === this.lastIndex + 1,
        `append at ${e.index} continues the log at ${this.lastIndex}`,
      );
      invariant(e.term >= this.lastTerm, `entry ${e.index} term ${e.term} >= last term ${this.lastTerm}`);
      this.entries.push(e);
    }
  }

  /** Removes every entry at index >= `from` (never the snapshot point). */
  truncateFrom(from: number): void {
    invariant(from > this.base, 'never truncate below the snapshot');
    this.entries.length = Math.min(this.entries.length, from - this.base - 1);
  }

  /** Drops the entries at or below `index` (held, so its term is known): the snapshot moved there. */
  compactTo(index: number): void {
    const term = this.termAt(index);
    invariant(term !== undefined && index >= this.base, `compact to a held index ${index}`);
    this.entries = this.entries.slice(index - this.base);
    this.base = index;
    this.baseTerm = term;
  }

  /**
   * Replaces the log by a snapshot point: keeps the entries after it when the log holds the same
   * entry there (same index and term), else drops them all. Returns whether the suffix was kept.
   */
  resetTo(index: number, term: number): boolean {
    const keep = index >= this.base && this.termAt(index) === term;
    this.entries = keep ? this.entries.slice(index - this.base) : [];
    this.base = index;
    this.baseTerm = term;
    return keep;
  }

  /** Raft's up-to-date rule: a log ending at (lastIndex, lastTerm) is at least as up to date as this one. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex);
  }

  /**
   * The index a failed append-entries at `prevIndex` should send the leader back to: before the
   * first entry of the conflicting term (Raft's fast back-up), or to the end of a shorter log, and
   * never below `floor` (the commit index: committed entries match the leader's).
   */
  hintFor(prevIndex: number, floor: number): number {
    if (prevIndex > this.lastIndex) return Math.max(floor, this.lastIndex);
    const conflict = this.termAt(prevIndex);
    let i = prevIndex;
    while (i - 1 > this.base && this.termAt(i - 1) === conflict) i--;
    return Math.max(floor, i - 1);
  }
}
