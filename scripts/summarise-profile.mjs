// Prints the functions with the most self time in a V8 .cpuprofile, and the share of idle/GC time.
// Usage: node scripts/summarise-profile.mjs FILE.cpuprofile [TOP] [FROM_S TO_S]
// FROM_S/TO_S keep only the samples in that window, in seconds from the start of the profile
// (negative values count back from its end), e.g. `-13 -1` for a 10 s bench after a 2 s warm-up.
import { readFileSync } from 'node:fs';

const [file, topArg, fromArg, toArg] = process.argv.slice(2);
if (!file) throw new Error('usage: summarise-profile.mjs FILE.cpuprofile [TOP] [FROM_S TO_S]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const span = (profile.endTime - profile.startTime) / 1e6;
const at = (arg, dflt) => (arg === undefined ? dflt : Number(arg) < 0 ? span + Number(arg) : Number(arg));
const from = at(fromArg, 0) * 1e6;
const to = at(toArg, span) * 1e6;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
let total = 0;
let clock = 0;
for (let i = 0; i < profile.samples.length; i++) {
  clock += dt[i] ?? 0;
  if (clock < from || clock > to) continue;
  const node = byId.get(profile.samples[i]);
  const d = dt[i] ?? 0;
  total += d;
  const f = node.callFrame;
  const url = f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '');
  const key = `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + d);
}
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 30));
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
for (const [key, us] of rows) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
// Self time grouped by package (or by our source directory).
const groups = new Map();
for (const [key, us] of self) {
  const m = /\s(.*):\d+$/.exec(key);
  const url = m ? m[1] : '';
  const g = url.startsWith('src/')
    ? url.split('/').slice(0, 2).join('/')
    : url
        .split('/')
        .slice(0, url.startsWith('@') ? 2 : 1)
        .join('/') || key.split(' ')[0];
  groups.set(g, (groups.get(g) ?? 0) + us);
}
console.log('--- by package');
for (const [g, us] of [...groups.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${g}`);
