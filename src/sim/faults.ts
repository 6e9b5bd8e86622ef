/**
 * Faults the simulator injects during its fault phase: replica crashes and restarts, and network
 * partitions (symmetric: two groups cannot talk; one-way: the first group's messages to the second
 * are dropped while the other direction is delivered). Scripted faults (`SimOptions.schedule`) and
 * randomly drawn ones (`fault-plan.ts`) are the same events; at the end of the fault phase every
 * partition is healed and every crashed replica restarted. A partition drops what is sent while it
 * is in force; messages already in flight when it begins still arrive.
 */
import type { Endpoint, LinkFilter } from './network.js';

/** Replicas to crash (their in-memory state is lost; they receive nothing and take no ticks). */
export interface CrashEvent {
  /** Virtual time, ms, inside the fault phase. */
  readonly atMs: number;
  /** Discriminant. */
  readonly type: 'crash';
  /** Replica ids (already crashed ones are left alone). */
  readonly replicas: readonly number[];
}

/** Replicas to restart from their durable store alone. */
export interface RestartEvent {
  /** Virtual time, ms, inside the fault phase. */
  readonly atMs: number;
  /** Discriminant. */
  readonly type: 'restart';
  /** Replica ids (running ones are left alone). */
  readonly replicas: readonly number[];
}

/** A network partition among replica groups; clients are placed by `clients`. */
export interface PartitionEvent {
  /** Virtual time, ms, inside the fault phase. */
  readonly atMs: number;
  /** Discriminant. */
  readonly type: 'partition';
  /** Name for a later `heal` of this partition alone; unnamed ones are healed by a bare `heal`. */
  readonly id?: string;
  /** Disjoint replica groups; no message crosses between two of them. Replicas in none are unaffected. */
  readonly groups: readonly (readonly number[])[];
  /** Exactly two groups: only groups[0] -> groups[1] is dropped; groups[1] -> groups[0] is delivered. */
  readonly oneWay?: boolean;
  /**
   * Where clients sit: a group index for all of them, 'all' (the default: they reach every replica,
   * i.e. both sides), or one side per client id.
   */
  readonly clients?: ClientSide | readonly ClientSide[];
}

/** Cuts replicas off from every other replica and from every client (both directions). */
export interface IsolateEvent {
  /** Virtual time, ms, inside the fault phase. */
  readonly atMs: number;
  /** Discriminant. */
  readonly type: 'isolate';
  /** Name for a later `heal` of this isolation alone. */
  readonly id?: string;
  /** The replicas cut off (each one alone: they cannot talk to each other either). */
  readonly replicas: readonly number[];
}

/** Ends the partition named `id`, or every partition when `id` is absent. */
export interface HealEvent {
  /** Virtual time, ms, inside the fault phase. */
  readonly atMs: number;
  /** Discriminant. */
  readonly type: 'heal';
  /** The partition to end; absent: all of them. */
  readonly id?: string;
}

/** One scripted (or randomly drawn) fault. */
export type FaultEvent = CrashEvent | RestartEvent | PartitionEvent | IsolateEvent | HealEvent;

/** Where a client sits in an active partition: in one group, or on every side. */
export type ClientSide = number | 'all';

/** A partition in force, in the form the link filter reads. */
export interface ActivePartition {
  /** Its name ('' for unnamed ones). */
  readonly id: string;
  /** Replica id -> group index; replicas absent from the map are unaffected. */
  readonly groupOf: ReadonlyMap<number, number>;
  /** Only group 0 -> group 1 is cut. */
  readonly oneWay: boolean;
  /** Per client id its side; clients beyond the array reach every replica. */
  readonly clients: readonly ClientSide[];
}

/** Builds the active form of a partition or isolation event among `n` replicas and `clients` clients. */
export function activePartition(
  e: PartitionEvent | IsolateEvent,
  n: number,
  clients: number,
): ActivePartition {
  const groupOf = new Map<number, number>();
  if (e.type === 'isolate') {
    // Each isolated replica is a group of its own; the other replicas and every client form the last.
    e.replicas.forEach((r, i) => {
      groupOf.set(r, i);
    });
    const rest = e.replicas.length;
    for (let r = 0; r < n; r++) if (!groupOf.has(r)) groupOf.set(r, rest);
    return { id: e.id ?? '', groupOf, oneWay: false, clients: Array<ClientSide>(clients).fill(rest) };
  }
  e.groups.forEach((group, i) => {
    for (const r of group) groupOf.set(r, i);
  });
  const placed = e.clients ?? 'all';
  const sides = typeof placed === 'object' ? placed : Array<ClientSide>(clients).fill(placed);
  return { id: e.id ?? '', groupOf, oneWay: e.oneWay === true, clients: sides };
}

/** The group of an endpoint in a partition, 'all' for a client on every side, undefined if unaffected. */
function sideOf(p: ActivePartition, e: Endpoint): ClientSide | undefined {
  if (e.role === 'replica') return p.groupOf.get(e.id);
  return p.clients[e.id] ?? 'all';
}

/** Whether `p` drops a message from `from` to `to`. */
export function cuts(p: ActivePartition, from: Endpoint, to: Endpoint): boolean {
  const a = sideOf(p, from);
  const b = sideOf(p, to);
  if (a === undefined || b === undefined || a === 'all' || b === 'all' || a === b) return false;
  return p.oneWay ? a === 0 && b === 1 : true;
}

/** The partitions in force, as the network's link filter. */
export class Partitions {
  /** Active partitions in the order they began. */
  private active: ActivePartition[] = [];

  constructor(
    /** Number of replicas. */
    private readonly n: number,
    /** Number of clients (every partition places each of them). */
    private readonly clients: number,
  ) {}

  /** Number of partitions in force. */
  get size(): number {
    return this.active.length;
  }

  /** Starts a partition (or isolation). */
  add(e: PartitionEvent | IsolateEvent): void {
    this.active.push(activePartition(e, this.n, this.clients));
  }

  /** Ends the partitions named `id`, or all of them. */
  heal(id?: string): void {
    this.active = id === undefined ? [] : this.active.filter((p) => p.id !== id);
  }

  /** The link filter, or undefined when no partition is in force (the network's fast path). */
  filter(): LinkFilter | undefined {
    if (this.active.length === 0) return undefined;
    const active = this.active;
    return (from, to) => active.some((p) => cuts(p, from, to));
  }
}
