/**
 * The report's charts as Vega-Lite specifications, built from a CompareResult with the data inline
 * (so rendering needs no file or network access). Pure: the same result gives the same specs.
 */
import type { TopLevelSpec } from 'vega-lite';
import { formatRunLabel } from './orchestrate.js';
import { COMPARE_PROTOCOLS, COST_PARTS, type CompareResult, type KillResult } from './types.js';

/** One chart of the report. */
export interface ChartSpec {
  /** File name stem of its SVG (`<name>.svg`). */
  readonly name: string;
  /** Heading in the report. */
  readonly title: string;
  /** What it shows and how to read it. */
  readonly caption: string;
  /** The Vega-Lite specification. */
  readonly spec: TopLevelSpec;
}

/** Colour per protocol, the same in every chart. */
const PROTOCOL_COLOURS: Readonly<Record<(typeof COMPARE_PROTOCOLS)[number], string>> = {
  cft: '#4c78a8',
  pbft: '#e45756',
};
/** The protocol colours as a Vega-Lite scale. */
const PROTOCOL_SCALE = {
  domain: [...COMPARE_PROTOCOLS],
  range: COMPARE_PROTOCOLS.map((p) => PROTOCOL_COLOURS[p]),
};
/** Colour per cost part, the same in every chart. */
const PART_SCALE = { domain: [...COST_PARTS], range: ['#f58518', '#54a24b', '#b279a2', '#bab0ac'] };
/** Shared look: white background, no outer frame around facets. */
const CONFIG = { background: 'white', view: { stroke: '#ddd' }, font: 'Helvetica, Arial, sans-serif' };
/** The Vega-Lite schema the specs follow. */
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The facet label of an f. */
function fLabel(f: number): string {
  return `f = ${f}`;
}

/** Committed transactions per second against clients, a line per protocol, a panel per f. */
export function throughputChart(result: CompareResult): ChartSpec {
  const values = result.runs.map((r) => ({
    protocol: r.spec.protocol,
    f: fLabel(r.spec.f),
    clients: r.spec.clients,
    throughput: r.load.throughput,
  }));
  return {
    name: 'throughput',
    title: 'Throughput against clients',
    caption:
      'Committed transactions per second with C closed-loop clients (one outstanding request each). ' +
      'A flattening line means the cluster is saturated, usually on CPU.',
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      data: { values },
      facet: { column: { field: 'f', type: 'nominal', title: null } },
      spec: {
        width: 260,
        height: 200,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'clients', type: 'ordinal', title: 'clients', axis: { labelAngle: 0 } },
          y: { field: 'throughput', type: 'quantitative', title: 'committed tx/s' },
          color: { field: 'protocol', type: 'nominal', scale: PROTOCOL_SCALE },
        },
      },
    },
  };
}

/** p50, p90 and p99 latency against clients, a panel per percentile and f. */
export function latencyChart(result: CompareResult): ChartSpec {
  const values = result.runs.flatMap((r) =>
    (['p50', 'p90', 'p99'] as const).map((p) => ({
      protocol: r.spec.protocol,
      f: fLabel(r.spec.f),
      clients: r.spec.clients,
      percentile: p,
      ms: r.load.latencyMs[p],
    })),
  );
  return {
    name: 'latency',
    title: 'Latency percentiles',
    caption:
      'Client-observed latency from sending a request to holding enough matching replies ' +
      '(f + 1 for PBFT), in milliseconds. The 1-client point is the latency floor of each protocol.',
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      data: { values },
      facet: {
        row: { field: 'percentile', type: 'nominal', title: null },
        column: { field: 'f', type: 'nominal', title: null },
      },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 260,
        height: 130,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'clients', type: 'ordinal', title: 'clients', axis: { labelAngle: 0 } },
          y: { field: 'ms', type: 'quantitative', title: 'ms' },
          color: { field: 'protocol', type: 'nominal', scale: PROTOCOL_SCALE },
        },
      },
    },
  };
}

/** CPU microseconds per committed transaction, stacked by part, a bar per protocol. */
export function costChart(result: CompareResult): ChartSpec {
  const values = result.runs.flatMap((r) =>
    COST_PARTS.map((part, order) => ({
      protocol: r.spec.protocol,
      f: fLabel(r.spec.f),
      clients: `${r.spec.clients} client${r.spec.clients === 1 ? '' : 's'}`,
      clientCount: r.spec.clients,
      part,
      order,
      us: r.cost.perTx[part] * 1e6,
    })),
  );
  return {
    name: 'cost',
    title: 'CPU per committed transaction',
    caption:
      'CPU microseconds per committed transaction summed over every process (replicas and clients), ' +
      'split into Ed25519 signing, Ed25519 verification, SHA-256 and the rest (network, framing, ' +
      'storage, ledger, garbage collection, the protocol itself).',
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      data: { values },
      facet: {
        row: { field: 'f', type: 'nominal', title: null },
        column: { field: 'clients', type: 'ordinal', title: null, sort: { field: 'clientCount' } },
      },
      spec: {
        width: 90,
        height: 180,
        mark: 'bar',
        encoding: {
          x: { field: 'protocol', type: 'nominal', title: null, axis: { labelAngle: 0 } },
          y: { field: 'us', type: 'quantitative', title: 'CPU µs per tx', stack: 'zero' },
          color: { field: 'part', type: 'nominal', scale: PART_SCALE, sort: [...COST_PARTS] },
          order: { field: 'order', type: 'quantitative' },
          tooltip: [{ field: 'part' }, { field: 'us', format: '.0f' }],
        },
      },
    },
  };
}

/** Messages and bytes sent per committed transaction. */
export function trafficChart(result: CompareResult): ChartSpec {
  const values = result.runs.flatMap((r) =>
    [
      { metric: 'messages per tx', value: r.cost.messagesPerTx },
      { metric: 'bytes per tx', value: r.cost.bytesPerTx },
    ].map((m) => ({ ...m, protocol: r.spec.protocol, f: fLabel(r.spec.f), clients: r.spec.clients })),
  );
  return {
    name: 'traffic',
    title: 'Messages and bytes per committed transaction',
    caption:
      'Messages (a broadcast counts once per peer) and bytes written to the network by every process, ' +
      'per committed transaction. Batching makes both fall as clients are added.',
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      data: { values },
      facet: {
        row: { field: 'metric', type: 'nominal', title: null, sort: ['messages per tx', 'bytes per tx'] },
        column: { field: 'f', type: 'nominal', title: null },
      },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 260,
        height: 140,
        mark: 'bar',
        encoding: {
          x: { field: 'clients', type: 'ordinal', title: 'clients', axis: { labelAngle: 0 } },
          xOffset: { field: 'protocol', type: 'nominal' },
          y: { field: 'value', type: 'quantitative', title: null },
          color: { field: 'protocol', type: 'nominal', scale: PROTOCOL_SCALE },
        },
      },
    },
  };
}

/** A panel of a vertical concatenation. */
type Panel = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];

/** The title of one kill run's panel, with its stall and recovery. */
export function killTitle(k: KillResult): string {
  const rec =
    k.recoverySeconds === null ? 'never recovered' : `recovered after ${k.recoverySeconds.toFixed(2)} s`;
  return `${formatRunLabel(k.spec)} (replica ${k.victimId}): stall ${k.stallSeconds.toFixed(2)} s, ${rec}`;
}

/** One kill run: throughput over time, the kill (red), the stall (shaded), the recovery (green). */
function killPanel(k: KillResult): Panel {
  const binS = k.spec.binMs / 1000;
  const marks = [{ at: k.spec.killAtSeconds, what: 'kill' }];
  if (k.recoverySeconds !== null)
    marks.push({ at: k.spec.killAtSeconds + k.recoverySeconds, what: 'recovered' });
  const x = {
    type: 'quantitative' as const,
    title: 'seconds into the measured window',
    scale: { domain: [0, k.spec.durationSeconds] },
  };
  return {
    title: { text: killTitle(k), fontSize: 12 },
    width: 560,
    height: 150,
    layer: [
      {
        data: { values: [{ from: k.stallStartSeconds, to: k.stallStartSeconds + k.stallSeconds }] },
        mark: { type: 'rect', color: '#999', opacity: 0.25 },
        encoding: { x: { field: 'from', ...x }, x2: { field: 'to' } },
      },
      {
        data: { values: k.timeline.map((b) => ({ t: b.tSeconds + binS / 2, throughput: b.throughput })) },
        mark: { type: 'line', interpolate: 'step', color: PROTOCOL_COLOURS[k.spec.protocol] },
        encoding: {
          x: { field: 't', ...x },
          y: { field: 'throughput', type: 'quantitative', title: 'committed tx/s' },
        },
      },
      {
        data: { values: marks },
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          x: { field: 'at', ...x },
          color: {
            field: 'what',
            type: 'nominal',
            title: null,
            scale: { domain: ['kill', 'recovered'], range: ['#d62728', '#2ca02c'] },
          },
          strokeDash: {
            field: 'what',
            type: 'nominal',
            legend: null,
            scale: {
              domain: ['kill', 'recovered'],
              range: [
                [1, 0],
                [6, 3],
              ],
            },
          },
        },
      },
    ],
  };
}

/** Every kill run, one panel each. */
export function killChart(result: CompareResult): ChartSpec {
  return {
    name: 'kills',
    title: 'One replica killed mid-run',
    caption:
      `Throughput per ${result.spec.kill?.binMs ?? 0} ms bin; the red line is the kill -9, the shaded band ` +
      'the longest interval with no commit after it (the stall), the dashed green line the point where ' +
      'throughput was back to the recovered fraction of its pre-kill mean.',
    spec: {
      $schema: SCHEMA,
      config: CONFIG,
      vconcat: result.kills.map(killPanel),
    },
  };
}

/** Every chart the report draws for `result`: the run charts when runs completed, the kill chart when kill runs did. */
export function compareCharts(result: CompareResult): ChartSpec[] {
  const charts: ChartSpec[] = [];
  if (result.runs.length > 0)
    charts.push(throughputChart(result), latencyChart(result), costChart(result), trafficChart(result));
  if (result.kills.length > 0) charts.push(killChart(result));
  return charts;
}
