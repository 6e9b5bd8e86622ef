// Interleaved A/B benchmark of two builds on a noisy machine: runs `bftledger bench` from build A,
// then from build B, ROUNDS times with the same options, and prints the median of each figure per
// build (throughput, p50/p99, CPU ms per committed request, frames per request). Interleaving puts
// both builds under the same background load; medians keep one disturbed run from deciding.
// Usage: node scripts/bench-ab.mjs A_DIR B_DIR ROUNDS [bench options...]
//   e.g. node scripts/bench-ab.mjs ../old-build . 5 --clients 40 --duration 6 --warmup 1
// A_DIR and B_DIR are checkouts with a built dist/ (bench with CPU figures: this commit or later).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [a, b, roundsArg, ...opts] = process.argv.slice(2);
if (!a || !b || !roundsArg) throw new Error('usage: bench-ab.mjs A_DIR B_DIR ROUNDS [bench options...]');
const out = mkdtempSync(join(tmpdir(), 'bench-ab-'));
const runs = { A: [], B: [] };
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)];
};
for (let round = 0; round < Number(roundsArg); round++) {
  for (const [name, dir] of [
    ['A', a],
    ['B', b],
  ]) {
    const file = join(out, `${name}-${round}.json`);
    const main = join(resolve(dir), 'dist/src/cli/main.js');
    execFileSync(process.execPath, [main, 'bench', ...opts, '--out', file], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const r = JSON.parse(readFileSync(file, 'utf8')).result;
    runs[name].push(r);
    console.error(
      `round ${round + 1} ${name}: ${r.throughput} tx/s p50 ${r.latencyMs.p50} ms cpu ${r.cpu.msPerTx} ms/tx`,
    );
  }
}
for (const [name, rs] of Object.entries(runs)) {
  const m = (f) => median(rs.map(f));
  console.log(
    `${name} (${name === 'A' ? a : b}): median of ${rs.length}: throughput ${m((r) => r.throughput)} tx/s, ` +
      `p50 ${m((r) => r.latencyMs.p50)} ms, p99 ${m((r) => r.latencyMs.p99)} ms, ` +
      `cpu ${m((r) => r.cpu.msPerTx)} ms/tx (replicas ${m((r) => r.cpu.replicaMsPerTx)}), ` +
      `frames ${m((r) => r.net.framesPerTx)}/tx`,
  );
}
