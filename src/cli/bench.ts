/**
 * `bftledger bench`: closed-loop load of signed transfers. Without a running network in --dir it
 * starts its own (replica processes on loopback), warms up, measures, prints throughput and latency
 * percentiles, and writes a JSON result file with the command, versions and machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { type Command, Option } from 'commander';
import type { Protocol } from '../config/types.js';
import { protocolOption } from './init.js';
import { integer } from './parse.js';

/** Options of `bench`. */
interface BenchCliOptions {
  /** An existing network directory (used as is when its replicas answer). */
  dir?: string;
  /** Replicas when starting a network (default: 4 for pbft, 3 for cft). */
  replicas?: number;
  /** Protocol when starting a network. */
  protocol: Protocol;
  /** Closed-loop clients. */
  clients: number;
  /** Measured seconds. */
  duration: number;
  /** Warm-up seconds. */
  warmup: number;
  /** Largest batch when starting a network. */
  batch: number;
  /** First port when starting a network. */
  basePort: number;
  /** Result file. */
  out?: string;
}

async function runBench(o: BenchCliOptions): Promise<void> {
  const { LocalNetwork, allConnected } = await import('../bench/local-network.js');
  const { runLoad } = await import('../bench/load.js');
  const { LedgerClient } = await import('../client/ledger-client.js');
  const { loadCluster, loadKey, loadSigner, clusterPath } = await import('../config/index.js');
  const { existsSync } = await import('node:fs');
  let own: Awaited<ReturnType<typeof LocalNetwork.start>> | undefined;
  let dir: string | undefined = o.dir;
  if (!dir || !existsSync(clusterPath(dir)) || !(await allConnected(loadCluster(dir)))) {
    const replicas = o.replicas ?? (o.protocol === 'cft' ? 3 : 4);
    console.error(`starting ${replicas} ${o.protocol} replicas (batch ${o.batch})...`);
    own = await LocalNetwork.start({
      dir,
      replicas,
      protocol: o.protocol,
      clients: Math.max(2, o.clients),
      basePort: o.basePort,
      parameters: { maxBatch: o.batch },
    });
    dir = own.dir;
  }
  const netDir = dir;
  const cluster = loadCluster(netDir);
  if (cluster.clients.length < o.clients)
    throw new Error(`${netDir} has ${cluster.clients.length} clients; --clients ${o.clients}`);
  const ids = Array.from({ length: o.clients }, (_, i) => i);
  // Clients connect one after another: a burst of simultaneous handshakes is not what we measure.
  const clients: Awaited<ReturnType<typeof LedgerClient.connect>>[] = [];
  for (const id of ids) {
    const signer = loadSigner(netDir, 'client', id, cluster);
    const { secretKey } = loadKey(netDir, 'client', id, cluster);
    clients.push(await LedgerClient.connect({ cluster, id, signer, secretKey }));
  }
  try {
    const accounts = cluster.clients.map((c) => c.name);
    const tty = process.stderr.isTTY === true;
    const result = await runLoad(clients, accounts, o.warmup * 1000, o.duration * 1000, (done, ms) => {
      if (tty && ms > 0)
        process.stderr.write(`\rmeasuring: ${done} done, ${Math.round(done / (ms / 1000))}/s\u001b[K`);
    });
    if (tty) process.stderr.write('\r\u001b[K');
    const report = {
      command: `bftledger ${process.argv.slice(2).join(' ')}`,
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: process.platform,
      },
      network: {
        replicas: cluster.replicas.length,
        f: cluster.f,
        protocol: cluster.protocol,
        maxBatch: cluster.parameters.maxBatch,
      },
      result,
    };
    const out = o.out ?? join('bench-results', `bench-${report.date.replace(/[:.]/g, '-')}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    const l = result.latencyMs;
    console.log(
      `replicas=${cluster.replicas.length} clients=${o.clients} throughput=${result.throughput} tx/s ` +
        `p50=${l.p50}ms p90=${l.p90}ms p99=${l.p99}ms failed=${result.failed} (${out})`,
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await own?.stop();
  }
}

/** Registers `bench`. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('closed-loop benchmark of signed transfers (starts its own network unless --dir is running)')
    .option('--dir <dir>', 'a running network directory (or where to create one)')
    .option('--replicas <n>', 'replicas when starting a network (default: pbft 4, cft 3)', integer(3, 64))
    .addOption(
      new Option('--protocol <p>', 'protocol when starting a network: pbft or cft')
        .argParser(protocolOption)
        .default('pbft'),
    )
    .option('--clients <c>', 'closed-loop clients, one outstanding request each', integer(1, 1000), 8)
    .option('--duration <seconds>', 'measured seconds', integer(1, 3600), 10)
    .option('--warmup <seconds>', 'warm-up seconds before measuring', integer(0, 600), 2)
    .option('--batch <b>', 'largest batch when starting a network', integer(1, 512), 64)
    .option('--base-port <port>', 'first port when starting a network', integer(1024, 65000), 7400)
    .option('--out <file>', 'result file (default bench-results/bench-<date>.json)')
    .action(async (o: BenchCliOptions) => {
      try {
        await runBench(o);
      } catch (err) {
        console.error(`bftledger bench: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      }
    });
}
