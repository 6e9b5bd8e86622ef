/**
 * The simulator's agenda: a binary min-heap of events ordered by (virtual time, insertion order).
 * The insertion counter breaks ties, so two events scheduled for the same instant always run in the
 * order they were scheduled, whatever the heap's internal layout: runs replay exactly.
 */

/** One scheduled entry: when it fires, its tie-breaker, and what it carries. */
interface Entry<T> {
  /** Virtual time in ms at which the event fires. */
  readonly at: number;
  /** Insertion counter: earlier-scheduled events run first at equal times. */
  readonly order: number;
  /** The event itself. */
  readonly event: T;
}

/** A deterministic priority queue of timed events. */
export class EventQueue<T> {
  /** The heap array: entry i's children are 2i + 1 and 2i + 2. */
  private readonly heap: Entry<T>[] = [];
  /** Next insertion counter. */
  private counter = 0;

  /** Number of pending events. */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules `event` at virtual time `at` (ms); `at` must be a finite number. */
  push(at: number, event: T): void {
    if (!Number.isFinite(at)) throw new RangeError(`event time must be finite, got ${at}`);
    this.heap.push({ at, order: this.counter++, event });
    this.siftUp(this.heap.length - 1);
  }

  /** The time of the earliest event, or undefined when empty. */
  peekTime(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest event with its time, or undefined when empty. */
  pop(): { at: number; event: T } | undefined {
    const top = this.heap[0];
    if (top === undefined) return undefined;
    const last = this.heap.pop() as Entry<T>;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return { at: top.at, event: top.event };
  }

  /** True when entry i must run before entry j. */
  private before(i: number, j: number): boolean {
    const a = this.heap[i] as Entry<T>;
    const b = this.heap[j] as Entry<T>;
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  /** Swaps two heap slots. */
  private swap(i: number, j: number): void {
    const t = this.heap[i] as Entry<T>;
    this.heap[i] = this.heap[j] as Entry<T>;
    this.heap[j] = t;
  }

  /** Restores the heap property upwards from slot i. */
  private siftUp(i: number): void {
    let at = i;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(at, parent)) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  /** Restores the heap property downwards from slot i. */
  private siftDown(i: number): void {
    const n = this.heap.length;
    let at = i;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let best = at;
      if (left < n && this.before(left, best)) best = left;
      if (right < n && this.before(right, best)) best = right;
      if (best === at) return;
      this.swap(at, best);
      at = best;
    }
  }
}
