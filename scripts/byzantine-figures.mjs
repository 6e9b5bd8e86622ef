#!/usr/bin/env node
// Per-behaviour figures from the simulator: each Byzantine behaviour on the primary (replica 0) or on
// a backup (replica 2) of four replicas, against a fault-free run of the same workload and seeds:
// throughput during the attack as a share of fault-free throughput (virtual time for the same
// work), and the worst client stall (how long the network took to recover). Virtual time, so the
// figures do not depend on this machine's load.
// Usage (after npm run build): node scripts/byzantine-figures.mjs [seeds=10] [requests=200]
import { BEHAVIOUR_NAMES, byzantineFactory } from '../dist/src/byzantine/index.js';
import { runSimulation } from '../dist/src/sim/index.js';

const seeds = Number(process.argv[2] ?? 10);
const requests = Number(process.argv[3] ?? 200);

/** Mean virtual time, worst latency and violations over the seeds, with `behaviour` on replica `id`. */
function measure(behaviour, id) {
  let virtualMs = 0;
  let worstMs = 0;
  let violations = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const attack = behaviour
      ? { replicaFactory: byzantineFactory({ [id]: behaviour }, seed), faulty: [id] }
      : {};
    const r = runSimulation({ replicas: 4, requests, seed, ...attack });
    virtualMs += r.virtualMs;
    worstMs = Math.max(worstMs, r.maxLatencyMs);
    violations += r.violations.length;
  }
  return { virtualMs: virtualMs / seeds, worstMs, violations };
}

const clean = measure(undefined, 0);
const share = (m) => `${((100 * clean.virtualMs) / m.virtualMs).toFixed(0)}%`;
console.log(
  `fault-free: ${clean.virtualMs.toFixed(0)} virtual ms for ${requests} requests, worst latency ${clean.worstMs.toFixed(0)} ms`,
);
console.log(
  '| behaviour | on the primary: throughput share, worst stall | on a backup: throughput share, worst stall | violations |',
);
console.log('|---|---|---|---|');
for (const name of BEHAVIOUR_NAMES) {
  const p = measure(name, 0);
  const b = measure(name, 2);
  console.log(
    `| ${name} | ${share(p)}, ${p.worstMs.toFixed(0)} ms | ${share(b)}, ${b.worstMs.toFixed(0)} ms | ${p.violations + b.violations} |`,
  );
}
