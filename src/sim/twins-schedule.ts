/**
 * Twins scenarios (Bano et al., "Twins: BFT systems made robust"): a Byzantine replica is two
 * honest instances sharing one id and key. With n replicas of which the first `twins` ids are
 * twinned there are n + twins nodes: node i < n is the (first) instance of replica i, node n + k
 * the second instance of replica k. Per view of the schedule the adversary picks a partition of the
 * nodes into at most two groups: there are 2^(nodes - 1) of them (S(m, 1) + S(m, 2)), encoded as a
 * bit mask over nodes 1.. (node 0 always sits in group 0; mask 0 keeps everyone together). Where the
 * twinned id is the primary of a view, the partition also says which instance leads which group.
 *
 * Scenario i of V views is the base-2^(nodes - 1) number whose digit v is view v's partition, so
 * scenario i <-> one schedule, and any scenario replays alone from its index.
 */
import { seededRng } from '../core/prng.js';

/** The shape of a Twins enumeration. */
export interface TwinsSpec {
  /** Number of replica ids n (>= 4). */
  readonly replicas: number;
  /** How many ids are twinned: ids 0 .. twins - 1 run two instances each. */
  readonly twins: number;
  /** Views the adversary schedules; afterwards the network heals. */
  readonly views: number;
}

/** One scenario: a partition (group 0 or 1 of each node) per view. */
export interface TwinsSchedule {
  /** Its index in the enumeration. */
  readonly index: number;
  /** Per view, per node: its group. */
  readonly groups: readonly (readonly number[])[];
}

/** Largest enumeration the index arithmetic supports exactly. */
const MAX_SCENARIOS = 2 ** 48;

/** Number of nodes (instances): n + twins. */
export function nodeCount(spec: TwinsSpec): number {
  return spec.replicas + spec.twins;
}

/** The replica id node `node` runs as. */
export function idOfNode(spec: TwinsSpec, node: number): number {
  return node < spec.replicas ? node : node - spec.replicas;
}

/** The nodes that run replica `id` (two when it is twinned). */
export function nodesOfId(spec: TwinsSpec, id: number): number[] {
  return id < spec.twins ? [id, spec.replicas + id] : [id];
}

/** A node's display name: "2" for a plain replica, "0a" / "0b" for the instances of a twinned one. */
export function nodeName(spec: TwinsSpec, node: number): string {
  const id = idOfNode(spec, node);
  if (id >= spec.twins) return String(id);
  return `${id}${node < spec.replicas ? 'a' : 'b'}`;
}

/** Partitions of the nodes into at most two groups, per view: 2^(nodes - 1). */
export function partitionsPerView(spec: TwinsSpec): number {
  return 2 ** (nodeCount(spec) - 1);
}

/** Scenarios in the full enumeration: partitionsPerView ^ views. */
export function scenarioCount(spec: TwinsSpec): number {
  return partitionsPerView(spec) ** spec.views;
}

/** Throws RangeError unless the spec is one this module can enumerate. */
export function checkTwinsSpec(spec: TwinsSpec): void {
  const { replicas, twins, views } = spec;
  if (!Number.isSafeInteger(replicas) || replicas < 4 || replicas > 16)
    throw new RangeError(`replicas must be an integer in [4, 16], got ${replicas}`);
  if (!Number.isSafeInteger(twins) || twins < 0 || twins > replicas)
    throw new RangeError(`twins must be an integer in [0, ${replicas}], got ${twins}`);
  if (!Number.isSafeInteger(views) || views < 1 || views > 16)
    throw new RangeError(`views must be an integer in [1, 16], got ${views}`);
  if (scenarioCount(spec) > MAX_SCENARIOS)
    throw new RangeError(`the enumeration (${scenarioCount(spec)} scenarios) is too large to index`);
}

/** The group (0 or 1) of each node in partition number `mask` of one view. */
export function partitionOf(spec: TwinsSpec, mask: number): number[] {
  return Array.from({ length: nodeCount(spec) }, (_, node) =>
    node === 0 ? 0 : Math.floor(mask / 2 ** (node - 1)) % 2,
  );
}

/** Scenario `index` of the enumeration. Throws RangeError outside [0, scenarioCount). */
export function scheduleOf(spec: TwinsSpec, index: number): TwinsSchedule {
  const total = scenarioCount(spec);
  if (!Number.isSafeInteger(index) || index < 0 || index >= total)
    throw new RangeError(`scenario index must be an integer in [0, ${total - 1}], got ${index}`);
  const per = partitionsPerView(spec);
  const groups: number[][] = [];
  let rest = index;
  for (let v = 0; v < spec.views; v++) {
    groups.push(partitionOf(spec, rest % per));
    rest = Math.floor(rest / per);
  }
  return { index, groups };
}

/** One view's partition as text: "0a 1 2 | 0b 3", or "all" when nobody is cut off. */
export function formatPartition(spec: TwinsSpec, groups: readonly number[]): string {
  const sides = [0, 1].map((g) =>
    groups.flatMap((side, node) => (side === g ? [nodeName(spec, node)] : [])).join(' '),
  );
  return sides[1] === '' ? 'all' : `${sides[0]} | ${sides[1]}`;
}

/** A schedule as text: "v0[0a 1 2 | 0b 3] v1[all] ..." with each view's primary named. */
export function formatSchedule(spec: TwinsSpec, schedule: TwinsSchedule): string {
  return schedule.groups
    .map((g, v) => `v${v}(primary ${v % spec.replicas})[${formatPartition(spec, g)}]`)
    .join(' ');
}

/** `count` distinct scenario indices drawn with `seed`, in increasing order (all when count >= total). */
export function sampleIndices(spec: TwinsSpec, count: number, seed: number): number[] {
  const total = scenarioCount(spec);
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  const rng = seededRng(seed).fork('twins/sample');
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(rng.next() * total));
  return [...picked].sort((a, b) => a - b);
}
