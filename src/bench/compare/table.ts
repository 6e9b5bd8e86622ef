/**
 * The terminal tables of a comparison: one row per run (throughput, latency, CPU per transaction
 * split, traffic), the PBFT / CFT ratios, the kill runs, and notes on figures that were estimated or
 * missing. Plain text, fixed decimals, no locale: the same result always prints the same table.
 */
import { formatRunLabel } from './orchestrate.js';
import type { CompareResult, KillResult, RunResult } from './types.js';

/** Column alignment. */
export type Align = 'left' | 'right';

/** A table's content, shared by the terminal and the HTML report. */
export interface Cells {
  /** Column headings. */
  readonly headers: readonly string[];
  /** Rows of cells. */
  readonly rows: readonly (readonly string[])[];
  /** Alignment per column (right when absent). */
  readonly align: readonly Align[];
}

/** A text table: a header row, a rule, then the rows; columns padded to their widest cell. */
export function formatTable({ headers, rows, align }: Cells): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => ((align[i] ?? 'right') === 'left' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `x` with `decimals` decimals and thousands separated by commas (never locale-dependent). */
export function fixed(x: number, decimals = 0): string {
  if (!Number.isFinite(x)) return String(x);
  const [int, frac] = Math.abs(x).toFixed(decimals).split('.');
  const grouped = (int ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = x < 0 && Number(Math.abs(x).toFixed(decimals)) !== 0 ? '-' : '';
  return sign + grouped + (frac === undefined ? '' : `.${frac}`);
}

/** A ratio as `1.23x`, or an em dash when there is none. */
export function times(r: number | null): string {
  return r === null ? '—' : `${r.toFixed(2)}x`;
}

/** Microseconds from seconds, as a whole number. */
function us(seconds: number): string {
  return fixed(seconds * 1e6);
}

/** CPU seconds per transaction the replicas would have spent idle over the window (part of `rest`). */
export function idleShare(r: RunResult): number {
  const idle = r.idleReplicaCpu ?? 0;
  return r.load.completed > 0 ? (idle * r.load.seconds) / r.load.completed : 0;
}

/** The runs table's cells. */
export function runsCells(runs: readonly RunResult[]): Cells {
  const headers = ['protocol', 'f', 'n', 'clients', 'tx/s', 'p50 ms', 'p90 ms', 'p99 ms', 'CPU µs/tx'];
  headers.push('sign', 'verify', 'hash', 'rest', 'sigs/tx', 'verifs/tx', 'msgs/tx', 'bytes/tx', 'failed');
  const rows = runs.map((r) => {
    const l = r.load.latencyMs;
    const c = r.cost.perTx;
    return [
      r.spec.protocol,
      String(r.spec.f),
      String(r.spec.replicas),
      String(r.spec.clients),
      fixed(r.load.throughput),
      fixed(l.p50, 1),
      fixed(l.p90, 1),
      fixed(l.p99, 1),
      us(c.total),
      us(c.sign),
      us(c.verify),
      us(c.hash),
      us(c.rest),
      fixed(r.cost.opsPerTx.sign, 1),
      fixed(r.cost.opsPerTx.verify, 1),
      fixed(r.cost.messagesPerTx, 1),
      fixed(r.cost.bytesPerTx),
      fixed(r.load.failed),
    ];
  });
  if (runs.some((r) => r.idleReplicaCpu !== undefined)) {
    headers.push('idle µs/tx');
    rows.forEach((row, i) => {
      const r = runs[i];
      row.push(r?.idleReplicaCpu === undefined ? '—' : us(idleShare(r)));
    });
  }
  if (runs.some((r) => r.repeatThroughputs !== undefined)) {
    headers.push('repeats tx/s');
    rows.forEach((row, i) => {
      row.push((runs[i]?.repeatThroughputs ?? []).map((x) => fixed(x)).join(' / '));
    });
  }
  return { headers, rows, align: ['left'] };
}

/** The PBFT / CFT ratios table's cells. */
export function ratiosCells(result: CompareResult): Cells {
  const headers = ['f', 'clients', 'tx/s', 'p50', 'p90', 'p99', 'CPU/tx', 'sign', 'verify', 'hash', 'rest'];
  headers.push('msgs/tx', 'bytes/tx');
  const rows = result.ratios.map((r) => [
    String(r.f),
    String(r.clients),
    times(r.throughput),
    times(r.p50),
    times(r.p90),
    times(r.p99),
    times(r.cpuPerTx.total),
    times(r.cpuPerTx.sign),
    times(r.cpuPerTx.verify),
    times(r.cpuPerTx.hash),
    times(r.cpuPerTx.rest),
    times(r.messagesPerTx),
    times(r.bytesPerTx),
  ]);
  return { headers, rows, align: [] };
}

/** The kill runs table's cells. */
export function killsCells(kills: readonly KillResult[]): Cells {
  const headers = ['protocol', 'f', 'n', 'killed', 'clients', 'kill at s', 'tx/s before', 'tx/s after'];
  headers.push('stall s', 'recovery s', 'failed');
  const rows = kills.map((k) => [
    k.spec.protocol,
    String(k.spec.f),
    String(k.spec.replicas),
    `${k.spec.victim} (${k.victimId})`,
    String(k.spec.clients),
    fixed(k.spec.killAtSeconds, 1),
    fixed(k.throughputBefore),
    fixed(k.throughputAfter),
    fixed(k.stallSeconds, 2),
    k.recoverySeconds === null ? 'never' : fixed(k.recoverySeconds, 2),
    fixed(k.failed),
  ]);
  return { headers, rows, align: ['left', 'right', 'right', 'left'] };
}

/** Notes on figures a reader should not take at face value: missing metrics, clipped or estimated parts. */
export function costNotes(runs: readonly RunResult[]): string[] {
  const notes = new Set<string>();
  for (const r of runs) {
    for (const p of r.cost.processes) {
      if (p.missing.length > 0)
        notes.add(`${r.spec.protocol} ${p.name} did not expose ${p.missing.join(', ')}: read as 0`);
      if (p.clipped)
        notes.add(`${formatRunLabel(r.spec)} ${p.name}: timed crypto exceeded CPU time; rest set to 0`);
    }
  }
  if (runs.some((r) => r.cost.attribution === 'counted'))
    notes.add('crypto CPU is attributed as calls x the calibrated CPU cost per call (see the calibration)');
  const estimated = runs.some(
    (r) => r.cost.attribution === 'timed' && r.cost.processes.some((p) => p.estimated.length > 0),
  );
  if (estimated) notes.add('pool verifications (and untimed ops) are counted as calls x calibrated cost');
  return [...notes];
}

/** One line per finished run, for progress output. */
export function formatRunSummary(result: RunResult | KillResult): string {
  if ('victimId' in result) {
    const rec = result.recoverySeconds === null ? 'never' : `${fixed(result.recoverySeconds, 2)} s`;
    return `${fixed(result.throughputBefore)} -> ${fixed(result.throughputAfter)} tx/s, stall ${fixed(result.stallSeconds, 2)} s, recovery ${rec}`;
  }
  const l = result.load.latencyMs;
  return (
    `${fixed(result.load.throughput)} tx/s, p50 ${fixed(l.p50, 1)} ms, p99 ${fixed(l.p99, 1)} ms, ` +
    `${us(result.cost.perTx.total)} µs CPU/tx, ${fixed(result.cost.messagesPerTx, 1)} msgs/tx`
  );
}

/** Everything the terminal shows at the end of a comparison. */
export function formatCompareTable(result: CompareResult): string {
  const parts = [
    'Runs (CPU per committed transaction across every process, in µs)',
    formatTable(runsCells(result.runs)),
  ];
  if (result.ratios.length > 0) parts.push('', 'PBFT / CFT', formatTable(ratiosCells(result)));
  if (result.kills.length > 0)
    parts.push('', 'One replica killed mid-run', formatTable(killsCells(result.kills)));
  if (result.failures.length > 0) {
    parts.push('', 'Failed runs');
    for (const f of result.failures) parts.push(`  ${f.label}: ${f.message}`);
  }
  const notes = costNotes(result.runs);
  if (notes.length > 0) parts.push('', ...notes.map((n) => `note: ${n}`));
  return `${parts.join('\n')}\n`;
}
