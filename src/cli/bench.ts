/**
 * `bftledger bench`: closed-loop load of signed transfers (or null operations). Without a running
 * network in --dir it starts its own (replica processes on loopback), forks client processes, warms
 * up, measures, prints throughput, latency percentiles, CPU per request and traffic per request, and
 * writes a JSON result file with the command, versions and machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Protocol } from '../config/types.js';
import { registerBenchCompare } from './bench-compare.js';
import { protocolOption } from './init.js';
import { integer } from './parse.js';

/** Options of `bench`. */
export interface BenchCliOptions {
  /** An existing network directory (used as is when its replicas answer). */
  dir?: string;
  /** Replicas when starting a network (default: 4 for pbft, 3 for cft). */
  replicas?: number;
  /** Protocol when starting a network. */
  protocol: Protocol;
  /** Closed-loop clients. */
  clients: number;
  /** Client processes. */
  clientProcesses?: number;
  /** Clients per shared connection when starting a network. */
  clientsPerConnection: number;
  /** Measured seconds. */
  duration: number;
  /** Warm-up seconds. */
  warmup: number;
  /** Largest batch when starting a network. */
  batch: number;
  /** First port when starting a network. */
  basePort: number;
  /** Workload: transfer or null. */
  workload: 'transfer' | 'null';
  /** Payload bytes of a null operation. */
  requestBytes: number;
  /** Null workload only: unsigned requests on a network started for it. */
  unsignedRequests: boolean;
  /** Result file. */
  out?: string;
}

/** A parser for --workload. */
function workloadOption(value: string): 'transfer' | 'null' {
  if (value === 'transfer' || value === 'null') return value;
  throw new InvalidArgumentError('expected transfer or null');
}

async function runBenchCommand(o: BenchCliOptions): Promise<void> {
  const { runBench } = await import('../bench/run.js');
  const { workloadProblem } = await import('../bench/workload.js');
  const spec = { workload: o.workload, requestBytes: o.requestBytes, unsignedRequests: o.unsignedRequests };
  const problem = workloadProblem(spec);
  if (problem) {
    console.error(`bftledger bench: ${problem}`);
    process.exitCode = 2;
    return;
  }
  if (o.unsignedRequests)
    console.error('WARNING: UNSIGNED requests: client signatures are neither made nor checked');
  const date = new Date().toISOString();
  const load = loadavg();
  // Measured before any replica starts: what one signature and one verification cost here now.
  const { calibrateCrypto } = await import('../crypto/calibrate.js');
  const { cryptoCeiling } = await import('../bench/ceiling.js');
  const calibration = calibrateCrypto();
  const result = await runBench({
    ...spec,
    dir: o.dir,
    replicas: o.replicas ?? (o.protocol === 'cft' ? 3 : 4),
    protocol: o.protocol,
    clients: o.clients,
    clientProcesses: o.clientProcesses,
    clientsPerConnection: o.clientsPerConnection,
    durationS: o.duration,
    warmupS: o.warmup,
    maxBatch: o.batch,
    basePort: o.basePort,
    log: (line) => console.error(line),
  });
  const report = {
    command: `bftledger ${process.argv.slice(2).join(' ')}`,
    date,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: process.platform,
      loadAverageAtStart: load.map((x) => Math.round(x * 100) / 100),
    },
    result,
    ceiling: cryptoCeiling(
      calibration,
      result.network.protocol === 'cft' ? 1 : result.network.replicas,
      cpus().length,
    ),
  };
  const out = o.out ?? join('bench-results', `bench-${date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const l = result.latencyMs;
  const w = result.workload;
  const what =
    w.workload === 'null'
      ? `null/${w.requestBytes}B ${w.unsignedRequests ? 'UNSIGNED requests' : 'signed'}`
      : 'transfer signed';
  console.log(
    `replicas=${result.network.replicas} clients=${o.clients} connections=${result.network.clientConnections} workload=${what} throughput=${result.throughput} tx/s ` +
      `p50=${l.p50}ms p90=${l.p90}ms p99=${l.p99}ms failed=${result.failed} cpu=${result.cpu.msPerTx}ms/tx ` +
      `(replicas ${result.cpu.replicaMsPerTx}) frames=${result.net.framesPerTx}/tx writes=${result.net.writesPerTx}/tx ` +
      `bytes=${result.net.bytesPerTx}/tx (${out})`,
  );
  const { ramp } = await import('../bench/load.js');
  const r = ramp(result.perSecond, result.warmupSeconds);
  console.log(`tx/s per 5 s from the start (| ends the ${result.warmupSeconds} s warm-up): ${r.line}`);
  if (r.rising)
    console.error(
      'warning: throughput was still rising when the warm-up ended; a longer --warmup measures the steady state',
    );
  const c = report.ceiling;
  if (w.unsignedRequests !== true)
    console.log(
      `crypto ceiling=${c.txPerSecond} tx/s (${c.cores} cores, sign ${c.signUs}us, verify ${c.verifyUs}us x ${c.verifiers}; ` +
        `measured ${Math.round((result.throughput / c.txPerSecond) * 1000) / 10}% of it)`,
    );
}

/** Registers `bench` and its `compare` subcommand (the program must enable positional options). */
export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    // `bench compare` has options of the same names: each command reads only those before the next.
    .enablePositionalOptions()
    .description(
      'closed-loop benchmark of signed transfers or null operations (starts its own network unless --dir is running)',
    )
    .option('--dir <dir>', 'a running network directory (or where to create one)')
    .option('--replicas <n>', 'replicas when starting a network (default: pbft 4, cft 3)', integer(3, 64))
    .addOption(
      new Option('--protocol <p>', 'protocol when starting a network: pbft or cft')
        .argParser(protocolOption)
        .default('pbft'),
    )
    .option('--clients <c>', 'closed-loop clients, one outstanding request each', integer(1, 1000), 8)
    .option(
      '--client-processes <p>',
      'processes the clients are spread over (default: one per 10 clients, at most 4)',
      integer(1, 64),
    )
    .option(
      '--clients-per-connection <k>',
      'when starting a network: clients in blocks of K share one connection per replica (default 1: each its own)',
      integer(1, 1000),
      1,
    )
    .option('--duration <seconds>', 'measured seconds', integer(1, 3600), 10)
    .option(
      '--warmup <seconds>',
      'warm-up seconds before measuring (replicas start slow: V8 compiles their hot code over the first tens of seconds)',
      integer(0, 600),
      20,
    )
    .option('--batch <b>', 'largest batch when starting a network', integer(1, 512), 64)
    .option('--base-port <port>', 'first port when starting a network', integer(1024, 65000), 7400)
    .option(
      '--workload <w>',
      'transfer (signed transfers) or null (no-op with an opaque payload)',
      workloadOption,
      'transfer',
    )
    .option('--request-bytes <b>', 'payload bytes of a null operation', integer(0, 1_000_000), 0)
    .option(
      '--unsigned-requests',
      'null workload only: requests carry no signature (the started network allows it)',
      false,
    )
    .option('--out <file>', 'result file (default bench-results/bench-<date>.json)')
    .action(async (o: BenchCliOptions) => {
      try {
        await runBenchCommand(o);
      } catch (err) {
        console.error(`bftledger bench: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      }
    });
  registerBenchCompare(bench);
}
