/**
 * `bftledger up [--dir DIR] [--replicas N] [--protocol pbft|cft]`: initialises DIR if it holds no
 * cluster yet (4 PBFT replicas, or 3 crash-fault ones, by default), then runs the whole local
 * network as separate processes, one `bftledger replica` per replica (logs in DIR/logs/), with a
 * live status line. A --protocol that differs from an existing DIR's is refused, as is --byzantine
 * on a crash-fault network. Ctrl-C (or SIGTERM) stops every replica cleanly.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { clusterPath, initCluster, loadCluster, type Protocol, unsignedRequestsOf } from '../config/index.js';
import { clusterStatus, spawnReplica } from '../node/processes.js';
import { protocolOption } from './init.js';
import { integer } from './parse.js';
import { CFT_BYZANTINE_REFUSAL } from './replica.js';

/** The replicas `up` starts when initialising, per protocol: the fewest that tolerate one fault. */
const DEFAULT_REPLICAS: Readonly<Record<Protocol, number>> = { pbft: 4, cft: 3 };

/** Options of `up`. */
interface UpCliOptions {
  /** Network directory. */
  dir: string;
  /** Replicas (only used when initialising; by default the protocol's fewest for one fault). */
  replicas?: number;
  /** Protocol when initialising; when given for an existing DIR, it must be DIR's. */
  protocol?: Protocol;
  /** Clients (only used when initialising). */
  clients: number;
  /** First port (only used when initialising). */
  basePort: number;
  /** Seconds between status lines when stdout is not a terminal (0: never). */
  statusEvery: number;
  /** `ID:BEHAVIOURS` entries: replicas to start misbehaving (testing only). */
  byzantine: string[];
}

/** Parses the `--byzantine ID:BEHAVIOURS` entries into extra arguments per replica id. */
function byzantineArgs(entries: readonly string[], n: number): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const entry of entries) {
    const m = /^(\d+):(.+)$/.exec(entry);
    const id = Number(m?.[1]);
    if (!m || id >= n) throw new Error(`--byzantine ${entry}: expected ID:BEHAVIOURS with 0 <= ID < ${n}`);
    out.set(id, ['--byzantine', m[2]!]);
  }
  return out;
}

/** One line summarising the network. */
function statusLine(all: object[]): string {
  const parts = all.map((s) => {
    const r = s as {
      id: number;
      view?: number;
      term?: number;
      role?: string;
      lastExecuted?: number;
      error?: string;
      stateDigest?: string;
    };
    if (r.error !== undefined) return `r${r.id}:down`;
    // Crash-fault replicas report a term (and L for the leader) where PBFT replicas report a view.
    const epoch = r.term === undefined ? `v${r.view}` : `t${r.term}${r.role === 'leader' ? 'L' : ''}`;
    return `r${r.id}:${epoch}/seq${r.lastExecuted}/${r.stateDigest?.slice(0, 8)}`;
  });
  return `${new Date().toISOString().slice(11, 19)} ${parts.join('  ')}`;
}

async function runUp(o: UpCliOptions): Promise<void> {
  const dir = resolve(o.dir);
  if (!existsSync(clusterPath(dir))) {
    const protocol = o.protocol ?? 'pbft';
    const replicas = o.replicas ?? DEFAULT_REPLICAS[protocol];
    if (replicas < DEFAULT_REPLICAS[protocol])
      throw new Error(`--replicas ${replicas}: ${protocol} needs at least ${DEFAULT_REPLICAS[protocol]}`);
    initCluster({ dir, replicas, clients: o.clients, basePort: o.basePort, protocol });
    console.log(
      `initialised a ${replicas}-replica ${protocol} network in ${dir} (development keys in ${join(dir, 'keys')})`,
    );
  }
  const cluster = loadCluster(dir);
  if (unsignedRequestsOf(cluster))
    throw new Error(
      `${clusterPath(dir)} sets parameters.unsignedRequests (client signatures unchecked): ` +
        'a benchmark-only network, refused for normal use',
    );
  if (o.protocol !== undefined && o.protocol !== cluster.protocol)
    throw new Error(
      `${clusterPath(dir)} runs ${cluster.protocol}, not ${o.protocol}: ` +
        `leave out --protocol, or use another --dir for a ${o.protocol} network`,
    );
  if (cluster.protocol === 'cft' && o.byzantine.length > 0) throw new Error(CFT_BYZANTINE_REFUSAL);
  const extra = byzantineArgs(o.byzantine, cluster.replicas.length);
  for (const [id, args] of extra) console.log(`replica ${id} runs BYZANTINE behaviours: ${args[1]}`);
  const n = cluster.replicas.length;
  const children = cluster.replicas.map((r) => spawnReplica(dir, r.id, n, extra.get(r.id) ?? []));
  console.log(`started ${children.length} replicas; logs in ${join(dir, 'logs')}; Ctrl-C stops them`);
  console.log(`try: bftledger client --dir ${o.dir} transfer --to client-1 --amount 10`);
  const tty = process.stdout.isTTY === true;
  let stopping = false;
  const timer = setInterval(
    () => {
      void clusterStatus(dir).then((all) => {
        if (stopping) return;
        if (tty) process.stdout.write(`\r${statusLine(all)}\u001b[K`);
        else console.log(statusLine(all));
      });
    },
    tty ? 500 : Math.max(1, o.statusEvery) * 1000,
  );
  if (!tty && o.statusEvery === 0) clearInterval(timer);
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    if (tty) process.stdout.write('\n');
    console.log('stopping replicas...');
    for (const c of children) c.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await Promise.all(children.map((c) => new Promise((done) => c.once('exit', done))));
  clearInterval(timer);
  console.log('all replicas stopped');
}

/** Registers `up`. */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run a whole local network, one process per replica (initialises --dir if needed)')
    .option('--dir <dir>', 'network directory', 'network')
    .option('--replicas <n>', 'replicas when initialising (default: pbft 4, cft 3)', integer(3, 100))
    .addOption(
      new Option(
        '--protocol <p>',
        'protocol when initialising (default pbft); must match an existing --dir',
      ).argParser(protocolOption),
    )
    .option('--clients <c>', 'clients when initialising', integer(1, 1000), 4)
    .option('--base-port <port>', 'first TCP port when initialising', integer(1024, 65000), 7000)
    .option(
      '--status-every <seconds>',
      'status line period without a terminal (0: none)',
      integer(0, 3600),
      5,
    )
    .option(
      '--byzantine <id:behaviours>',
      'TESTING ONLY: start replica ID misbehaving, e.g. 0:equivocate (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action(async (o: UpCliOptions) => {
      try {
        await runUp(o);
      } catch (err) {
        console.error(`bftledger up: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      }
    });
}
