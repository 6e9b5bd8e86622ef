#!/usr/bin/env node
// Enforces that the protocol cores and the ledger stay pure: no I/O, clock, timer or randomness
// source, followed through every module they import (transitively), so a pure file cannot pull in
// an impure one. Run by `npm run lint` (and so by `npm test` and CI).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PURE_ROOTS = ['src/core', 'src/ledger'];
/** Packages a pure module may import: none today; add only pure, deterministic libraries. */
const ALLOWED_PACKAGES = new Set([]);
const FORBIDDEN = [
  [/\bDate\b/, 'Date (wall clock)'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/, 'timers'],
  [/\bperformance\b/, 'performance (clock)'],
  [/\bprocess\./, 'process'],
  [/\brequire\s*\(/, 'require'],
  [/\bimport\s*\(/, 'dynamic import'],
  [/\bcrypto\.getRandomValues\b/, 'randomness'],
  [/\basync\b|\bawait\b/, 'async (the core is a synchronous state machine)'],
];

function tsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

function stripComments(src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const problems = [];
const seen = new Set();

function check(file, via) {
  if (seen.has(file)) return;
  seen.add(file);
  const code = stripComments(readFileSync(file, 'utf8'));
  const where = relative(root, file) + (via ? ` (imported from ${relative(root, via)})` : '');
  for (const [re, what] of FORBIDDEN) if (re.test(code)) problems.push(`${where}: uses ${what}`);
  for (const m of code.matchAll(/\b(import|export)\s+(type\s)?[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
    if (m[2]) continue; // type-only imports load nothing at run time
    const spec = m[3];
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!existsSync(target)) problems.push(`${where}: cannot resolve ${spec}`);
      else check(target, file);
    } else if (!ALLOWED_PACKAGES.has(spec)) {
      problems.push(`${where}: imports '${spec}'`);
    }
  }
}

for (const dir of PURE_ROOTS) {
  const abs = join(root, dir);
  if (existsSync(abs)) for (const f of tsFiles(abs)) check(f, null);
}

if (problems.length > 0) {
  console.error(
    'Purity check failed: src/core and src/ledger must not reach I/O, clocks, timers or randomness.',
  );
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`purity: ${seen.size} modules reachable from ${PURE_ROOTS.join(', ')} are pure`);
