/**
 * Carries out a core's outputs with the persist-before-send contract and group commit: everything
 * the core asks to persist during one event-loop turn is appended to the store as one durable
 * group, and the sends that follow it in the outputs leave only after that group and every group
 * before it are on disk. Groups are handed to the store in order (which keeps them in order and
 * may make several durable with one sync); sends never overtake the persists that precede them.
 *
 * Only records that protect a promise are barriers. For PBFT (the default): what the replica signed
 * (so it never signs a conflicting message after a crash) and its prepared certificates (so its next
 * VIEW-CHANGE still carries them). Executed batches and stable checkpoints only speed up recovery (a
 * replica that loses them fetches them again), so a group made only of those does not hold its
 * sends back: a reply leaves without waiting for a sync. Another protocol passes its own rule.
 */
import type { PersistRecord } from '../core/pbft/types.js';
import { StageTrace } from './trace.js';

/** Where groups go: a store that makes each group durable, in call order. */
export interface GroupStore<R> {
  /** Makes the records durable as one group; resolves once they are. */
  append(records: readonly R[]): Promise<void>;
}

/** PBFT's barriers: a signed envelope or a prepared certificate must be durable before later sends. */
export function pbftBarrier(record: { readonly type: string }): boolean {
  return record.type === 'signed' || record.type === 'prepared';
}

/** One turn's work: records to make durable, then the sends that were queued after them. */
interface Group<R> {
  /** Records to append as one durable group. */
  readonly records: R[];
  /** Whether a record in it must be durable before the group's sends leave. */
  barrier: boolean;
  /** Sends to perform once the records are durable. */
  readonly sends: (() => void)[];
}

/** Orders persists and sends for one replica; `R` is its protocol's persist record. */
export class OutputPipeline<R extends { readonly type: string } = PersistRecord> {
  /** The group being filled during this turn. */
  private current: Group<R> = { records: [], sends: [], barrier: false };
  /** Whether a flush is scheduled for the end of this turn. */
  private scheduled = false;
  /** The chain of appends: each group is appended after the one before it. */
  private appends: Promise<void> = Promise.resolve();
  /** The chain of sends: each group's sends leave after the previous group's, and after its barrier. */
  private tail: Promise<void> = Promise.resolve();
  /** Groups appended, for metrics. */
  groups = 0;
  /** Set when an append failed: the replica must stop (it can no longer keep its promises). */
  failure: unknown;

  constructor(
    private readonly store: GroupStore<R>,
    private readonly onFailure: (err: unknown) => void,
    private readonly trace: StageTrace = new StageTrace(false),
    /** Whether a record must be durable before the sends queued after it leave. */
    private readonly isBarrier: (record: R) => boolean = pbftBarrier,
  ) {}

  /** Queues a record to persist before any send queued after it. */
  persist(record: R): void {
    this.current.records.push(record);
    if (this.isBarrier(record)) this.current.barrier = true;
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
    await this.settled();
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
    this.current = { records: [], sends: [], barrier: false };
    const trace = this.trace;
    const flushedAt = trace.now();
    // The store keeps groups in call order, so a group is handed over at once and may share a
    // sync with the groups before it; it counts as durable only once those are too.
    const appended =
      group.records.length === 0 || this.failure !== undefined
        ? this.appends
        : Promise.all([this.appends, this.appendNow(group.records)]).then(() => undefined);
    this.appends = appended;
    this.tail = this.tail.then(async () => {
      if (group.barrier) await appended;
      if (this.failure !== undefined) return;
      if (group.barrier) trace.since('pipeline.barrier', flushedAt);
      for (const send of group.sends) send();
    });
  }

  /** Appends one group now; a failure stops the replica (it can no longer keep its promises). */
  private async appendNow(records: R[]): Promise<void> {
    const t0 = this.trace.now();
    try {
      await this.store.append(records);
      this.trace.since('storage.append', t0);
      this.groups++;
    } catch (err) {
      if (this.failure !== undefined) return;
      this.failure = err;
      this.onFailure(err);
    }
  }

  /** Resolves once everything queued so far is durable and sent. */
  async settled(): Promise<void> {
    await Promise.all([this.appends, this.tail]);
  }
}
