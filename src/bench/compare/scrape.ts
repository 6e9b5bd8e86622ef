/**
 * Process samples for the cost split: read from a replica's /metrics (Prometheus text) or from this
 * process (where the benchmark's clients run). A replica that does not yet expose the crypto or CPU
 * metrics gives zeros for them and names them in `missing`, so the report can say so.
 */
import { CRYPTO_OPS, type CryptoCounters, type CryptoOp, cryptoCounters } from '../../crypto/index.js';
import { CRYPTO_METRIC_NAMES, processCpuSeconds } from '../../node/crypto-metrics.js';
import type { ProcessRole, ProcessSample } from './types.js';

/** Other metric names the sample reads (the replica's own metrics, `node/metrics.ts`). */
const MESSAGES_OUT = 'bftledger_messages_out_total';
/** The transport counters gauge; its `bytesOut` counter is the bytes written to streams. */
const TRANSPORT = 'bftledger_transport';
/** prom-client's default CPU metric, read when the bftledger one is absent. */
const DEFAULT_CPU = 'process_cpu_seconds_total';

/** One sample line of the Prometheus text format. */
export interface MetricLine {
  /** Metric name. */
  readonly name: string;
  /** Labels, by name. */
  readonly labels: Readonly<Record<string, string>>;
  /** The value. */
  readonly value: number;
}

/** Matches `name{labels} value [timestamp]` or `name value [timestamp]`. */
const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
/** Matches one `key="value"` pair inside braces (values may hold escaped quotes). */
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** A sample value: a float, or `+Inf` / `-Inf` as Prometheus writes infinities. */
function promValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** The sample lines of a Prometheus text exposition; comments and malformed lines are skipped. */
export function parsePrometheusText(text: string): MetricLine[] {
  const out: MetricLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = promValue(m[3]!);
    if (!Number.isNaN(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Sum of the lines named `name` whose labels include `where`, or null when none is named so. */
function sum(lines: readonly MetricLine[], name: string, where: Record<string, string> = {}): number | null {
  let total: number | null = null;
  for (const l of lines) {
    if (l.name !== name) continue;
    if (Object.entries(where).some(([k, v]) => l.labels[k] !== v)) continue;
    total = (total ?? 0) + l.value;
  }
  return total;
}

/** A process sample from the text of its /metrics. */
export function sampleFromMetrics(text: string, role: ProcessRole, name: string): ProcessSample {
  const lines = parsePrometheusText(text);
  const missing: string[] = [];
  const read = (metric: string, where?: Record<string, string>): number => {
    const v = sum(lines, metric, where);
    if (v === null && !missing.includes(metric)) missing.push(metric);
    return v ?? 0;
  };
  const cpu = sum(lines, CRYPTO_METRIC_NAMES.cpu) ?? sum(lines, DEFAULT_CPU);
  if (cpu === null) missing.push(CRYPTO_METRIC_NAMES.cpu);
  const count = {} as Record<CryptoOp, number>;
  const seconds = {} as Record<CryptoOp, number>;
  for (const op of CRYPTO_OPS) {
    count[op] = read(CRYPTO_METRIC_NAMES.ops, { op });
    seconds[op] = op === 'verify-pool' ? 0 : read(CRYPTO_METRIC_NAMES.seconds, { op });
  }
  const crypto: CryptoCounters = {
    count,
    seconds,
    hashBytes: read(CRYPTO_METRIC_NAMES.hashedBytes),
    timing: true,
  };
  return {
    role,
    name,
    cpuSeconds: cpu ?? 0,
    crypto,
    messagesOut: read(MESSAGES_OUT),
    bytesOut: read(TRANSPORT, { counter: 'bytesOut' }),
    missing: missing.sort(),
  };
}

/** Fetches `url` (a replica's /metrics) and samples it; throws when it does not answer (a replica starved of CPU may answer late). */
export async function scrapeSample(
  url: string,
  role: ProcessRole,
  name: string,
  timeoutMs = 15_000,
): Promise<ProcessSample> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return sampleFromMetrics(await res.text(), role, name);
}

/** Traffic a process sent, for `localSample` (from its transports' counters). */
export interface TrafficCounters {
  /** Messages sent. */
  readonly messagesOut: number;
  /** Bytes written to the network. */
  readonly bytesOut: number;
}

/** A sample of this process: its CPU time and crypto counters, and the traffic its caller counted. */
export function localSample(role: ProcessRole, name: string, traffic: TrafficCounters): ProcessSample {
  return {
    role,
    name,
    cpuSeconds: processCpuSeconds(),
    crypto: cryptoCounters(),
    messagesOut: traffic.messagesOut,
    bytesOut: traffic.bytesOut,
    missing: [],
  };
}
