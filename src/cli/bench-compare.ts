/**
 * `bftledger bench compare`: the crash-fault baseline against PBFT on identical work. For each f,
 * CFT runs n = 2f + 1 replicas and PBFT n = 3f + 1, each client count alternating between them,
 * then a kill run per protocol (the leader killed mid-run). Shows a progress bar, prints the tables,
 * and writes the JSON result and the HTML + SVG report into --out.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CompareProtocol, CompareSpec, CryptoAttribution, Workload } from '../bench/compare/index.js';
import { integer } from './parse.js';

/** Options of `bench compare`. */
export interface CompareCliOptions {
  /** Faults tolerated, one network size per value. */
  f: number[];
  /** Closed-loop client counts. */
  clients: number[];
  /** Protocols to run. */
  protocols: CompareProtocol[];
  /** Measured seconds per run. */
  duration: number;
  /** Warm-up seconds per run. */
  warmup: number;
  /** Workload. */
  workload: Workload;
  /** Null payload bytes. */
  requestBytes: number;
  /** Null workload only: unsigned requests. */
  unsignedRequests: boolean;
  /** Repetitions of each measured run. */
  repeat: number;
  /** False with --no-kill. */
  kill: boolean;
  /** Clients during a kill run. */
  killClients: number;
  /** Seconds into a kill run's window when the leader is killed. */
  killAt: number;
  /** Measured seconds of a kill run. */
  killDuration: number;
  /** How crypto CPU is attributed. */
  cryptoCost: CryptoAttribution;
  /** Largest batch. */
  batch: number;
  /** First port of every network. */
  basePort: number;
  /** Output directory. */
  out?: string;
}

/** A parser for a comma-separated list of integers in [min, max]. */
function integers(min: number, max: number): (value: string) => number[] {
  const one = integer(min, max);
  return (value) => {
    const xs = value.split(',').map((x) => one(x));
    if (new Set(xs).size !== xs.length) throw new InvalidArgumentError('repeated values');
    return xs;
  };
}

/** A parser for a comma-separated list of protocols. */
function protocols(value: string): CompareProtocol[] {
  const xs = value.split(',').map((x) => x.trim());
  for (const x of xs)
    if (x !== 'cft' && x !== 'pbft') throw new InvalidArgumentError('expected cft and/or pbft');
  if (new Set(xs).size !== xs.length) throw new InvalidArgumentError('repeated values');
  return xs as CompareProtocol[];
}

/** A list option whose default shows in the help as it is typed (`1,2`). */
function list<T>(flags: string, description: string, parse: (v: string) => T[], dflt: T[]): Option {
  return new Option(flags, description).argParser(parse).default(dflt, dflt.join(','));
}

/** A parser for --crypto-cost. */
function attribution(value: string): CryptoAttribution {
  if (value === 'counted' || value === 'timed') return value;
  throw new InvalidArgumentError('expected counted or timed');
}

/** A parser for --workload. */
function workload(value: string): Workload {
  if (value === 'transfer' || value === 'null') return value;
  throw new InvalidArgumentError('expected transfer or null');
}

/** The comparison the options ask for. */
export function compareSpecOf(o: CompareCliOptions): CompareSpec {
  return {
    protocols: o.protocols,
    fValues: o.f,
    clientCounts: o.clients,
    durationSeconds: o.duration,
    warmupSeconds: o.warmup,
    workload: o.workload,
    requestBytes: o.requestBytes,
    unsignedRequests: o.unsignedRequests,
    repeat: o.repeat,
    kill: o.kill
      ? {
          victims: ['leader'],
          clients: o.killClients,
          killAtSeconds: o.killAt,
          durationSeconds: o.killDuration,
          binMs: 250,
          recoveredFraction: 0.8,
        }
      : null,
  };
}

/** The default output directory: bench-results/compare-<date>. */
function defaultOut(date: Date): string {
  return join('bench-results', `compare-${date.toISOString().replace(/[:.]/g, '-')}`);
}

/** Runs the comparison and writes its files; exit code 1 when a run failed (the files are still written). */
async function runCompareCommand(o: CompareCliOptions): Promise<void> {
  const c = await import('../bench/compare/index.js');
  const { calibrateCrypto } = await import('../crypto/index.js');
  const spec = compareSpecOf(o);
  const problems = c.validateCompareSpec(spec);
  if (problems.length > 0) {
    console.error(`bftledger bench compare: ${problems.join('; ')}`);
    process.exitCode = 2;
    return;
  }
  if (spec.unsignedRequests)
    console.error('WARNING: UNSIGNED requests: client signatures are neither made nor checked');
  const environment = c.collectEnvironment();
  const out = o.out ?? defaultOut(new Date(environment.date));
  console.error(
    `calibrating crypto costs on this machine (load average ${environment.loadAverage.join(' ')})...`,
  );
  const calibration = calibrateCrypto();
  const bar = new c.ProgressBar(process.stderr, () => performance.now());
  const ticker = setInterval(() => bar.tick(), 500);
  const warn = (line: string) => bar.note(`note: ${line}`);
  const runner = { basePort: o.basePort, maxBatch: o.batch, calibration, attribution: o.cryptoCost, warn };
  let result: Awaited<ReturnType<typeof c.runCompare>>;
  try {
    result = await c.runCompare(spec, {
      runOne: (s) => c.runOneReal(s, runner),
      runKill: (s) => c.runKillReal(s, runner),
      environment,
      calibration,
      nowMs: () => performance.now(),
      onProgress: (e) => bar.onEvent(e),
    });
  } finally {
    clearInterval(ticker);
    bar.close();
  }
  const end = loadavg().map((x) => Math.round(x * 100) / 100);
  result = { ...result, loadAverageAtEnd: end };
  process.stdout.write(c.formatCompareTable(result));
  const json = join(out, 'compare.json');
  c.writeCompareJson(json, result);
  const report = await c.writeCompareReport(result, out);
  for (const w of report.warnings) console.error(`warning: ${w}`);
  console.log(`\nresult: ${json}\nreport: ${report.html} (${report.svgs.length} charts)`);
  if (result.failures.length > 0) process.exitCode = 1;
}

/** Registers `compare` under `bench`. */
export function registerBenchCompare(bench: Command): void {
  bench
    .command('compare')
    .description(
      'crash-fault (CFT, n = 2f + 1) vs Byzantine (PBFT, n = 3f + 1) overhead on the same load: tables, JSON and an HTML report',
    )
    .addOption(list('--f <list>', 'faults tolerated, comma-separated', integers(1, 5), [1, 2]))
    .addOption(
      list('--clients <list>', 'closed-loop client counts, comma-separated', integers(1, 1000), [1, 10, 40]),
    )
    .addOption(list('--protocols <list>', 'protocols to run, comma-separated', protocols, ['cft', 'pbft']))
    .option('--duration <seconds>', 'measured seconds per run', integer(1, 3600), 10)
    .option(
      '--warmup <seconds>',
      'warm-up seconds before measuring (V8 compiles hot code over the first tens of seconds)',
      integer(0, 600),
      20,
    )
    .option(
      '--workload <w>',
      'transfer (signed transfers) or null (no-op with a payload)',
      workload,
      'transfer',
    )
    .option('--request-bytes <b>', 'payload bytes of a null operation', integer(0, 1_000_000), 0)
    .option('--unsigned-requests', 'null workload only: requests carry no signature', false)
    .option(
      '--repeat <n>',
      'run each measurement n times, in rounds, and report the median by throughput',
      integer(1, 20),
      1,
    )
    .option('--no-kill', 'skip the runs that kill the leader mid-run')
    .option('--kill-clients <c>', 'clients during a kill run', integer(1, 1000), 8)
    .option(
      '--kill-at <seconds>',
      "seconds into a kill run's window when the leader is killed",
      integer(1, 3600),
      5,
    )
    .option('--kill-duration <seconds>', 'measured seconds of a kill run', integer(2, 3600), 15)
    .option(
      '--crypto-cost <how>',
      'crypto CPU as counted calls x calibrated cost, or as timed (exact only on an idle machine)',
      attribution,
      'counted',
    )
    .option('--batch <b>', 'largest batch', integer(1, 512), 64)
    .option('--base-port <port>', 'first port of every network', integer(1024, 65000), 7400)
    .option('--out <dir>', 'output directory (default bench-results/compare-<date>)')
    .action(async (o: CompareCliOptions) => {
      try {
        await runCompareCommand(o);
      } catch (err) {
        console.error(`bftledger bench compare: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      }
    });
}
