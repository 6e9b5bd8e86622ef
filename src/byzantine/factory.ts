/**
 * Building cores for a cluster where some replicas are Byzantine: the simulator and the runtime ask
 * this factory for each replica's core (fresh, or recovered after a crash). Replicas without a plan
 * get the honest core. Each life of a Byzantine replica gets fresh behaviours and its own rng stream
 * derived from the seed, the replica id and the life number, so runs replay exactly.
 */
import { PbftReplica } from '../core/pbft/replica.js';
import type { PbftConfig, RecoveredState } from '../core/pbft/types.js';
import { deriveSeed, Prng } from '../core/prng.js';
import { type BehaviourSpec, makeBehaviour, parseBehaviourSpecs } from './registry.js';
import { ByzantineReplica, type ReplicaDeps } from './replica.js';

/** Builds one replica's core: new, or restarted from its durable state. */
export type CoreFactory = (config: PbftConfig, deps: ReplicaDeps, recovered?: RecoveredState) => PbftReplica;

/** Which replicas are Byzantine: a behaviour list (text form, see `registry.ts`) per replica id. */
export type ByzantinePlan = ReadonlyMap<number, string> | Readonly<Record<number, string>>;

/** The behaviour specs of a plan, parsed (a bad list throws a `BehaviourError` here, up front). */
export function parsePlan(plan: ByzantinePlan): Map<number, BehaviourSpec[]> {
  const entries =
    plan instanceof Map ? [...plan] : Object.entries(plan).map(([id, text]) => [Number(id), text]);
  const out = new Map<number, BehaviourSpec[]>();
  for (const [id, text] of entries as [number, string][]) out.set(id, parseBehaviourSpecs(text));
  return out;
}

/** A core factory: Byzantine replicas per `plan`, honest ones otherwise; deterministic given `seed`. */
export function byzantineFactory(plan: ByzantinePlan, seed: number): CoreFactory {
  const specs = parsePlan(plan);
  const lives = new Map<number, number>();
  return (config, deps, recovered) => {
    const list = specs.get(config.id);
    if (list === undefined) {
      return recovered === undefined
        ? new PbftReplica(config, deps)
        : PbftReplica.recover(config, deps, recovered);
    }
    const life = lives.get(config.id) ?? 0;
    lives.set(config.id, life + 1);
    const rng = new Prng(deriveSeed(seed, `byzantine/${config.id}/${life}`));
    const behaviours = list.map(makeBehaviour);
    return recovered === undefined
      ? new ByzantineReplica(config, deps, behaviours, rng)
      : ByzantineReplica.recoverByzantine(config, deps, recovered, behaviours, rng);
  };
}
