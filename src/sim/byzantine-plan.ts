/**
 * Byzantine replicas in simulation campaigns: for `byzantine: k`, each seed picks k distinct replicas
 * and, for each, a behaviour (or two, composed) from the list, all from the seed, so a failing seed
 * replays exactly. The chosen replicas are the checkers' faulty set.
 */
import { BEHAVIOUR_NAMES, byzantineFactory } from '../byzantine/index.js';
import { deriveSeed, Prng } from '../core/prng.js';
import type { ReplicaFactory } from './options.js';

/** Which replicas misbehave, and how, in one seeded run. */
export interface ByzantinePlan {
  /** Behaviour spec per Byzantine replica id (e.g. "equivocate,mutate"). */
  readonly specs: ReadonlyMap<number, string>;
  /** Builds every replica: the Byzantine ones wrapped, the others honest. */
  readonly factory: ReplicaFactory;
}

/**
 * Picks `count` replicas of `n` and their behaviours from `seed`. `behaviours` restricts the choice
 * (names or full specs); by default any of the registered behaviours, sometimes two composed.
 */
export function byzantinePlan(
  seed: number,
  n: number,
  count: number,
  behaviours?: readonly string[],
): ByzantinePlan {
  const rng = new Prng(deriveSeed(seed, 'byzantine-plan'));
  const pool = behaviours && behaviours.length > 0 ? [...behaviours] : [...BEHAVIOUR_NAMES];
  const ids = Array.from({ length: n }, (_, i) => i);
  const specs = new Map<number, string>();
  for (let k = 0; k < count; k++) {
    const id = ids.splice(rng.int(ids.length), 1)[0]!;
    const first = pool[rng.int(pool.length)]!;
    const second = pool[rng.int(pool.length)]!;
    specs.set(
      id,
      behaviours === undefined && second !== first && rng.next() < 0.3 ? `${first},${second}` : first,
    );
  }
  return { specs, factory: byzantineFactory(specs, seed) };
}
