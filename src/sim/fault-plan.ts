/**
 * Random faults for a run, drawn up front from the run's seeded PRNG: crashes with their restarts
 * (never more than f - |faulty| replicas down at once) and partitions with their heals, all inside
 * the fault phase. Drawing the plan before the run keeps each fault stream independent of what the
 * replicas do, so a run replays exactly from its seed.
 */
import type { Prng } from '../core/prng.js';
import type { ClientSide, FaultEvent } from './faults.js';

/** What the plan needs to know about the run. */
export interface PlanSpec {
  /** Number of replicas. */
  readonly n: number;
  /** Number of clients. */
  readonly clients: number;
  /** Replicas that may be down at once (f minus the Byzantine ones). */
  readonly maxDown: number;
  /** Length of the fault phase, ms: every fault starts inside it. */
  readonly phaseMs: number;
  /** Draw crashes. */
  readonly crash: boolean;
  /** Draw partitions. */
  readonly partition: boolean;
}

/** Gap between two crashes, ms. */
const CRASH_GAP_MS: readonly [number, number] = [300, 3000];
/** How long a crashed replica stays down, ms. */
const DOWN_MS: readonly [number, number] = [100, 5000];
/** Gap between the starts of two partitions (they may overlap), ms. */
const PARTITION_GAP_MS: readonly [number, number] = [300, 4000];
/** How long a partition lasts, ms. */
const PARTITION_MS: readonly [number, number] = [200, 5000];

/** Crashes and restarts: a random replica goes down when fewer than `maxDown` are. */
function crashes(spec: PlanSpec, rng: Prng): FaultEvent[] {
  const events: FaultEvent[] = [];
  /** Restart time per replica currently down in the plan. */
  const downUntil = new Map<number, number>();
  for (let t = rng.uniform(...CRASH_GAP_MS); t < spec.phaseMs; t += rng.uniform(...CRASH_GAP_MS)) {
    for (const [r, until] of downUntil) if (until <= t) downUntil.delete(r);
    const replica = rng.int(spec.n);
    const downMs = rng.uniform(...DOWN_MS);
    if (downUntil.size >= spec.maxDown || downUntil.has(replica)) continue;
    const until = t + downMs;
    downUntil.set(replica, until);
    events.push({ atMs: t, type: 'crash', replicas: [replica] });
    if (until < spec.phaseMs) events.push({ atMs: until, type: 'restart', replicas: [replica] });
  }
  return events;
}

/**
 * One random partition: the replicas split in two at random (both sides non-empty), symmetric or
 * one-way with equal odds. Each client is placed independently and uniformly on side 0, on side 1,
 * or on both sides (it then reaches every replica).
 */
function randomPartition(spec: PlanSpec, rng: Prng, atMs: number, id: string): FaultEvent {
  const order = Array.from({ length: spec.n }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const cut = rng.range(1, spec.n - 1);
  const groups = [order.slice(0, cut).sort((a, b) => a - b), order.slice(cut).sort((a, b) => a - b)];
  const oneWay = rng.chance(0.5);
  const sides: ClientSide[] = Array.from({ length: spec.clients }, () => {
    const side = rng.int(3);
    return side === 2 ? 'all' : side;
  });
  return { atMs, type: 'partition', id, groups, oneWay, clients: sides };
}

/** Partitions and their heals; a partition may begin while an earlier one is still in force. */
function partitions(spec: PlanSpec, rng: Prng): FaultEvent[] {
  const events: FaultEvent[] = [];
  let k = 0;
  for (let t = rng.uniform(...PARTITION_GAP_MS); t < spec.phaseMs; t += rng.uniform(...PARTITION_GAP_MS)) {
    const id = `random-${k++}`;
    events.push(randomPartition(spec, rng, t, id));
    const end = t + rng.uniform(...PARTITION_MS);
    if (end < spec.phaseMs) events.push({ atMs: end, type: 'heal', id });
  }
  return events;
}

/** The random faults of a run, sorted by time (crashes first at equal times). */
export function randomFaultPlan(spec: PlanSpec, rng: Prng): FaultEvent[] {
  const events = [
    ...(spec.crash && spec.maxDown > 0 ? crashes(spec, rng.fork('crashes')) : []),
    ...(spec.partition && spec.n > 1 ? partitions(spec, rng.fork('partitions')) : []),
  ];
  return events.sort((a, b) => a.atMs - b.atMs);
}
