#!/usr/bin/env node
// Re-draws the report of a `bench compare` result from its JSON file: the table on stdout, and
// report.html plus one SVG per chart in OUTDIR (default: the JSON file's directory). Useful after
// changing the charts, or to draw a result produced on another machine.
// Usage (after npm run build): node scripts/compare-report.mjs RESULT.json [OUTDIR]
import { dirname } from 'node:path';
import { formatCompareTable, readCompareJson, writeCompareReport } from '../dist/src/bench/compare/index.js';

const [file, outDir] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/compare-report.mjs RESULT.json [OUTDIR]');
  process.exit(2);
}
const result = readCompareJson(file);
process.stdout.write(formatCompareTable(result));
const written = await writeCompareReport(result, outDir ?? dirname(file));
for (const w of written.warnings) console.error(`warning: ${w}`);
console.log(`report: ${written.html} (${written.svgs.length} charts)`);
