/**
 * The comparison's report: one self-contained HTML page (inline CSS and SVG, no script, nothing
 * fetched when it is opened) with the charts, the tables, the exact command, the versions and the
 * machine, and a short guide to reading it; each chart is also written as its own SVG file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareCharts } from './charts.js';
import { renderSvg } from './render.js';
import { type Cells, costNotes, fixed, killsCells, ratiosCells, runsCells } from './table.js';
import type { CompareResult } from './types.js';

/** One rendered chart. */
export interface RenderedChart {
  /** File name stem. */
  readonly name: string;
  /** Heading. */
  readonly title: string;
  /** The SVG, ids prefixed with the chart's name so charts can share a page. */
  readonly svg: string;
}

/** The report in memory. */
export interface RenderedReport {
  /** The HTML page. */
  readonly html: string;
  /** Each chart. */
  readonly charts: readonly RenderedChart[];
  /** Warnings raised while drawing (none expected). */
  readonly warnings: readonly string[];
}

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An HTML table of `cells`. */
function htmlTable(cells: Cells): string {
  const cls = (i: number) => ((cells.align[i] ?? 'right') === 'left' ? ' class="l"' : '');
  const head = cells.headers.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('');
  const body = cells.rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/** A two-column table of labelled values. */
function facts(rows: readonly (readonly [string, string])[]): string {
  return htmlTable({ headers: ['', ''], rows, align: ['left', 'left'] }).replace(/<thead>.*?<\/thead>/, '');
}

/** The workload in words: signed transfers, or null operations of a size, signed or not. */
export function workloadText(spec: CompareResult['spec']): string {
  if (spec.workload !== 'null') return 'signed transfers';
  const signed = spec.unsignedRequests ? 'UNSIGNED (signatures neither made nor checked)' : 'signed';
  return `null operations with ${spec.requestBytes}-byte payloads, ${signed}`;
}

/** The environment section: command, versions, machine. */
function environmentSection(r: CompareResult): string {
  const e = r.environment;
  const gib = (e.memoryBytes / 2 ** 30).toFixed(1);
  const deps = Object.entries(e.dependencies).map(([k, v]) => `${k} ${v}`);
  return `<h2>How it ran</h2>
<pre class="cmd">${escapeHtml(e.command)}</pre>
${facts([
  ['date', e.date],
  ['bftledger', `${e.bftledgerVersion}${e.commit ? ` (commit ${e.commit.slice(0, 12)})` : ''}`],
  ['Node.js', e.node],
  ['machine', `${e.cpuModel}, ${e.cores} cores, ${gib} GiB memory`],
  ['operating system', e.os],
  ['load average at start', e.loadAverage.map((x) => x.toFixed(2)).join(', ')],
  ...(r.loadAverageAtEnd
    ? [['load average at end', r.loadAverageAtEnd.map((x) => x.toFixed(2)).join(', ')] as const]
    : []),
  [
    'runs',
    `${fixed(r.spec.durationSeconds)} s measured after ${fixed(r.spec.warmupSeconds)} s warm-up each${r.spec.repeat > 1 ? `, median of ${r.spec.repeat} repetitions by throughput` : ''}; workload ${workloadText(r.spec)}`,
  ],
  ['whole comparison', `${fixed(r.wallSeconds)} s`],
])}
<p class="deps">Dependencies: ${escapeHtml(deps.join(', '))}</p>`;
}

/** The calibration section: per-op costs used to attribute untimed work. */
function calibrationSection(r: CompareResult): string {
  const c = r.calibration;
  const us = (s: number) => `${(s * 1e6).toFixed(2)} µs`;
  return `<h2>Crypto calibration on this machine</h2>
${facts([
  [`Ed25519 sign (${c.messageBytes} bytes)`, us(c.signSeconds)],
  ['Ed25519 verify', us(c.verifySeconds)],
  ['SHA-256 per call', us(c.sha256CallSeconds)],
  ['SHA-256 per KB', us(c.sha256KbSeconds)],
  ['timer per timed call', us(c.timerSeconds)],
])}
<p>CPU time per operation, median of ${c.rounds} rounds. Verifications on libuv's thread pool cannot be timed
where they are issued: they count as calls × the verify cost above.</p>`;
}

/** The reading guide. */
const GUIDE = `<h2>Reading this report</h2>
<ul>
<li><b>CFT</b> is the crash-fault baseline (n = 2f + 1, a leader, majority quorum, unsigned protocol messages);
<b>PBFT</b> tolerates f Byzantine replicas (n = 3f + 1, three signed phases). Both execute the same requests
(the workload above) on the same ledger, storage and network, so their difference is the price of Byzantine tolerance.</li>
<li>Each run starts fresh replica processes on this machine, drives C closed-loop clients (one outstanding
request each) through a warm-up, then measures. Every process shares the machine's cores: throughput is
bounded by the total CPU per transaction.</li>
<li><b>CPU per transaction</b> is summed over every process (replicas and clients) during the measured window and
divided by the transactions committed. Signing, verification and hashing are counted where they happen
(<i>sigs/tx</i> and <i>verifs/tx</i> are those counts) and their CPU is attributed either as calls × the
calibrated cost below (<i>counted</i>, the default: a busy machine preempts threads mid-call, which inflates
timings) or as timed (<i>timed</i>: synchronous calls timed, less the timer; pool verifications counted);
<i>rest</i> is what remains of the processes' CPU time. <i>idle µs/tx</i> is the part of it the replicas
spend without any load (timers, heartbeats: measured for 2 s before the clients connect), spread over the
window's transactions.</li>
<li><b>Ratios</b> are PBFT / CFT: above 1 for latency, CPU, messages or bytes means PBFT costs more; below 1 for
throughput means PBFT commits less.</li>
<li>In a <b>kill run</b> one replica is killed with SIGKILL mid-window. The <i>stall</i> is the longest interval
after the kill with no commit; <i>recovery</i> is the time from the kill until a bin's throughput is back to the
recovered fraction of its pre-kill mean.</li>
</ul>`;

/** Page style: readable, printable, no external fonts. */
const STYLE = `body{font:14px/1.45 Helvetica,Arial,sans-serif;color:#222;max-width:1150px;margin:24px auto;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{padding:3px 8px;text-align:right;border-bottom:1px solid #eee}
th{background:#f6f6f6}.l{text-align:left}pre.cmd{background:#f6f6f6;padding:8px;white-space:pre-wrap;word-break:break-all}
figure{margin:12px 0}figcaption{color:#555;margin:4px 0 8px;max-width:900px}.deps{color:#555;font-size:12px}
.note{color:#8a4b00}svg{max-width:100%;height:auto}`;

/** Renders every chart and assembles the page. */
export async function renderCompareReport(result: CompareResult): Promise<RenderedReport> {
  const warnings: string[] = [];
  const charts: RenderedChart[] = [];
  const figures: string[] = [];
  for (const chart of compareCharts(result)) {
    const out = await renderSvg(chart.spec, `${chart.name}-`);
    warnings.push(...out.warnings.map((w) => `${chart.name}: ${w}`));
    charts.push({ name: chart.name, title: chart.title, svg: out.svg });
    figures.push(`<h2>${escapeHtml(chart.title)}</h2>
<figure>${out.svg}<figcaption>${escapeHtml(chart.caption)}</figcaption></figure>`);
  }
  const notes = [
    ...costNotes(result.runs),
    ...result.failures.map((f) => `run failed: ${f.label}: ${f.message}`),
  ].map((n) => `<p class="note">${escapeHtml(n)}</p>`);
  const tables = [
    `<h2>Runs</h2>\n<p>CPU columns in µs per committed transaction.</p>\n${htmlTable(runsCells(result.runs))}`,
  ];
  if (result.ratios.length > 0) tables.push(`<h2>PBFT / CFT</h2>\n${htmlTable(ratiosCells(result))}`);
  if (result.kills.length > 0) tables.push(`<h2>Kill runs</h2>\n${htmlTable(killsCells(result.kills))}`);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>bftledger: crash-fault vs Byzantine overhead</title>
<style>${STYLE}</style></head><body>
<h1>Crash-fault (CFT) vs Byzantine (PBFT) overhead</h1>
${environmentSection(result)}
${GUIDE}
${figures.join('\n')}
${tables.join('\n')}
${notes.join('\n')}
${calibrationSection(result)}
</body></html>
`;
  return { html, charts, warnings };
}

/** Paths of a written report. */
export interface ReportFiles {
  /** The HTML page. */
  readonly html: string;
  /** Each chart's SVG. */
  readonly svgs: readonly string[];
  /** Warnings raised while drawing. */
  readonly warnings: readonly string[];
}

/** Writes `dir/report.html` and `dir/<chart>.svg` for each chart. */
export async function writeCompareReport(result: CompareResult, dir: string): Promise<ReportFiles> {
  const report = await renderCompareReport(result);
  mkdirSync(dir, { recursive: true });
  const html = join(dir, 'report.html');
  writeFileSync(html, report.html);
  const svgs = report.charts.map((c) => {
    const path = join(dir, `${c.name}.svg`);
    writeFileSync(path, `<?xml version="1.0" encoding="UTF-8"?>\n${c.svg}\n`);
    return path;
  });
  return { html, svgs, warnings: report.warnings };
}
