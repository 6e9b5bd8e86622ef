/**
 * Carries out a core's outputs with the persist-before-send contract and group commit: everything
 * the core asks to persist during one event-loop turn is appended to the store as one durable
 * group, and the sends that follow it in the outputs leave only after that group is on disk.
 * Groups are appended strictly in order; sends never overtake the persists that precede them.
 */
import type { PersistRecord } from '../core/pbft/types.js';
import type { ReplicaStore } from '../storage/types.js';

/** One turn's work: records to make durable, then the sends that were queued after them. */
interface Group {
  /** Records to append as one durable group. */
  readonly records: PersistRecord[];
  /** Sends to perform once the records are durable. */
  readonly sends: (() => void)[];
}

/** Orders persists and sends for one replica. */
export class OutputPipeline {
  /** The group being filled during this turn. */
  private current: Group = { records: [], sends: [] };
  /** Whether a flush is scheduled for the end of this turn. */
  private scheduled = false;
  /** The chain of appends in flight: each group waits for the one before it. */
  private tail: Promise<void> = Promise.resolve();
  /** Groups appended, for metrics. */
  groups = 0;
  /** Set when an append failed: the replica must stop (it can no longer keep its promises). */
  failure: unknown;

  constructor(
    private readonly store: ReplicaStore,
    private readonly onFailure: (err: unknown) => void,
  ) {}

  /** Queues a record to persist before any send queued after it. */
  persist(record: PersistRecord): void {
    this.current.records.push(record);
    this.schedule();
  }

  /** Queues a send: it runs after every record queued before it is durable. */
  send(action: () => void): void {
    this.current.sends.push(action);
    this.schedule();
  }

  /** Resolves once everything queued so far is durable and sent. */
  async drain(): Promise<void> {
    this.flush();
    await this.tail;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const group = this.current;
    if (group.records.length === 0 && group.sends.length === 0) return;
    this.current = { records: [], sends: [] };
    this.tail = this.tail.then(async () => {
      if (this.failure !== undefined) return;
      try {
        if (group.records.length > 0) {
          await this.store.append(group.records);
          this.groups++;
        }
      } catch (err) {
        this.failure = err;
        this.onFailure(err);
        return;
      }
      for (const send of group.sends) send();
    });
  }
}
