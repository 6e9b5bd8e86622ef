/**
 * `bftledger sim`: runs seeded simulation campaigns of a PBFT cluster (or, with `--protocol cft`,
 * of the crash-fault baseline on the same ledger, network and faults) and reports each failing
 * seed with the exact command that replays it alone. Exit code 0 when clean, 1 on any violation,
 * 2 on bad usage.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type CampaignResult,
  resolveOptions,
  runCampaign,
  SIM_CRYPTO_SCHEMES,
  SIM_DEFAULTS,
  SIM_PROTOCOLS,
  type SimCrypto,
  SimOptionError,
  type SimOptions,
  type SimProtocol,
  type SimResult,
} from '../sim/index.js';

/** Violations shown per failing seed on the text output. */
const SHOWN_VIOLATIONS = 3;

/** The parsed command-line options of `sim`. */
export interface SimCliOptions {
  /** The protocol simulated ('pbft' when absent). */
  protocol?: SimProtocol;
  /** How many seeds to run. */
  seeds: number;
  /** The first seed. */
  seed: number;
  /** Replicas n. */
  replicas: number;
  /** Simulated clients. */
  clients: number;
  /** Requests per seed, over all clients. */
  requests: number;
  /** Message loss probability. */
  loss: number;
  /** Message duplication probability. */
  dup: number;
  /** Reordering probability. */
  reorder: number;
  /** Smallest network delay, virtual ms. */
  minDelay: number;
  /** Largest network delay before reordering, virtual ms. */
  maxDelay: number;
  /** Client timeout, virtual ms. */
  clientTimeout: number;
  /** Virtual time limit per seed, ms. */
  maxTime: number;
  /** Signature scheme. */
  crypto: SimCrypto;
  /** Checkpoint interval K. */
  checkpointInterval: number;
  /** Random crashes and restarts during the fault phase. */
  crash: boolean;
  /** Byzantine replicas per seed (at most f). */
  byzantine: number;
  /** Behaviours they draw from, comma-separated ('' = all). */
  behaviours: string;
  /** Random partitions during the fault phase. */
  partition: boolean;
  /** Length of the fault phase, virtual ms. */
  faultPhase: number;
  /** Bound on completing a pending request after the fault phase, virtual ms. */
  livenessBound: number;
  /** Print JSON instead of text. */
  json: boolean;
}

/** A parser for an integer option in [min, max]. */
function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    }
    return v;
  };
}

/** A parser for a number in [0, max). */
function fraction(max: number): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || v < 0 || v >= max) {
      throw new InvalidArgumentError(`expected a number in [0, ${max})`);
    }
    return v;
  };
}

/** A parser for a duration in ms (>= min). */
function millis(min: number): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || v < min) {
      throw new InvalidArgumentError(`expected a number of milliseconds >= ${min}`);
    }
    return v;
  };
}

/** Command-line defaults, in the order the replay command lists options. */
const CLI_DEFAULTS = {
  protocol: 'pbft',
  replicas: SIM_DEFAULTS.replicas,
  clients: SIM_DEFAULTS.clients,
  requests: SIM_DEFAULTS.requests,
  loss: SIM_DEFAULTS.loss,
  dup: SIM_DEFAULTS.dup,
  reorder: SIM_DEFAULTS.reorder,
  minDelay: SIM_DEFAULTS.minDelayMs,
  maxDelay: SIM_DEFAULTS.maxDelayMs,
  clientTimeout: SIM_DEFAULTS.clientTimeoutMs,
  maxTime: SIM_DEFAULTS.maxTimeMs,
  crypto: SIM_DEFAULTS.crypto,
  checkpointInterval: SIM_DEFAULTS.checkpointInterval,
  crash: SIM_DEFAULTS.crash,
  partition: SIM_DEFAULTS.partition,
  faultPhase: SIM_DEFAULTS.faultPhaseMs,
  livenessBound: SIM_DEFAULTS.livenessBoundMs,
  byzantine: 0,
  behaviours: '',
} as const;

/** The flag spelling of a camelCase option name. */
function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The command that replays one seed with every non-default option. */
export function replayCommand(o: SimCliOptions, seed: number): string {
  const parts = ['bftledger sim --seeds 1', `--seed ${seed}`];
  for (const [name, fallback] of Object.entries(CLI_DEFAULTS)) {
    const value = o[name as keyof typeof CLI_DEFAULTS];
    if (value === fallback || value === undefined) continue;
    parts.push(typeof value === 'boolean' ? flagOf(name) : `${flagOf(name)} ${value}`);
  }
  return parts.join(' ');
}

/** The library options of a campaign, from the command line. */
function toSimOptions(o: SimCliOptions): Omit<SimOptions, 'seed'> {
  const cft = o.protocol === 'cft';
  return {
    protocol: o.protocol ?? 'pbft',
    replicas: o.replicas,
    clients: o.clients,
    requests: o.requests,
    loss: o.loss,
    dup: o.dup,
    reorder: o.reorder,
    minDelayMs: o.minDelay,
    maxDelayMs: o.maxDelay,
    clientTimeoutMs: o.clientTimeout,
    maxTimeMs: o.maxTime,
    crypto: o.crypto,
    ...(cft
      ? { cftOverrides: { snapshotInterval: o.checkpointInterval } }
      : { configOverrides: { checkpointInterval: o.checkpointInterval } }),
    crash: o.crash,
    partition: o.partition,
    faultPhaseMs: o.faultPhase,
    livenessBoundMs: o.livenessBound,
    ...(cft ? {} : { byzantine: o.byzantine }),
    ...(o.behaviours === '' ? {} : { behaviours: o.behaviours.split(',').map((b) => b.trim()) }),
  };
}

/** Shows progress on stderr, only when it is a terminal; at most ten redraws a second. */
function progressReporter(total: number): { update(done: number, failing: number): void; clear(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    update(done, failing) {
      const now = Date.now();
      if (!tty || (now - last < 100 && done < total)) return;
      last = now;
      const pct = Math.floor((100 * done) / total);
      process.stderr.write(`\rsim: seed ${done}/${total} (${pct}%) failing=${failing}\u001b[K`);
    },
    clear() {
      if (tty) process.stderr.write('\r\u001b[K');
    },
  };
}

/** One text line for a failing seed. */
function failureLine(o: SimCliOptions, r: SimResult): string {
  const shown = r.violations.slice(0, SHOWN_VIOLATIONS).join(' | ');
  const more =
    r.violations.length > SHOWN_VIOLATIONS ? ` (+${r.violations.length - SHOWN_VIOLATIONS} more)` : '';
  return `FAIL seed=${r.seed} violations=${r.violations.length}: ${shown}${more}\n  replay: ${replayCommand(o, r.seed)}`;
}

/** The final summary line; fault figures follow when faults were injected. */
function summaryLine(o: SimCliOptions, c: CampaignResult, wallMs: number): string {
  const rate = wallMs > 0 ? Math.round((c.committedRequests * 1000) / wallMs) : 0;
  const line =
    `seeds=${c.runs} replicas=${o.replicas} committed=${c.committedRequests} violations=${c.violations} ` +
    `failing-seeds=${c.failing.length} wall=${(wallMs / 1000).toFixed(1)}s sim-rate=${rate} req/s`;
  if (!o.crash && !o.partition) return line;
  const cft = o.protocol === 'cft';
  const changes = cft ? `elections=${c.viewChanges}` : `view-changes=${c.viewChanges}`;
  const transfers = cft ? `snapshot-installs=${c.stateTransfers}` : `state-transfers=${c.stateTransfers}`;
  return (
    `${line} crashes=${c.crashes} restarts=${c.restarts} partitions=${c.partitions} ` +
    `${changes} ${transfers} liveness-passed=${c.livenessPassed}/${c.runs} ` +
    `converged=${c.converged}/${c.runs}`
  );
}

/** Runs the campaign the options describe and prints the report; returns the exit code. */
function runSim(o: SimCliOptions, cmd: Command): number {
  if (o.seed + o.seeds - 1 > 0xffffffff)
    cmd.error('error: --seed plus --seeds must stay below 2^32', { exitCode: 2 });
  const options = toSimOptions(o);
  try {
    resolveOptions({ ...options, seed: o.seed });
  } catch (err) {
    if (err instanceof SimOptionError)
      cmd.error(`error: ${err.message}`, { exitCode: 2, code: 'sim.bad-option' });
    throw err;
  }
  const seeds = Array.from({ length: o.seeds }, (_, i) => o.seed + i);
  const progress = progressReporter(seeds.length);
  const failing: SimResult[] = [];
  const started = performance.now();
  const campaign = runCampaign(options, seeds, (result, index) => {
    if (result.violations.length > 0) {
      failing.push(result);
      if (!o.json) {
        progress.clear();
        console.log(failureLine(o, result));
      }
    }
    progress.update(index + 1, failing.length);
  });
  const wallMs = performance.now() - started;
  progress.clear();
  if (o.json) console.log(JSON.stringify(jsonReport(o, campaign, failing, wallMs)));
  else console.log(summaryLine(o, campaign, wallMs));
  return campaign.violations > 0 ? 1 : 0;
}

/** The --json report: the summary, the options and every failing seed with its replay command. */
function jsonReport(
  o: SimCliOptions,
  c: CampaignResult,
  failing: readonly SimResult[],
  wallMs: number,
): object {
  const { json: _json, ...options } = o;
  return {
    options,
    seeds: c.runs,
    committed: c.committedRequests,
    executedBatches: c.executedBatches,
    violations: c.violations,
    failingSeeds: failing.map((r) => ({
      seed: r.seed,
      violations: r.violations,
      replay: replayCommand(o, r.seed),
    })),
    events: c.events,
    messages: c.messages,
    stateTransfers: c.stateTransfers,
    viewChanges: c.viewChanges,
    runsWithNewView: c.runsWithNewView,
    crashes: c.crashes,
    restarts: c.restarts,
    partitions: c.partitions,
    livenessPassed: c.livenessPassed,
    converged: c.converged,
    rejected: c.rejected,
    virtualMs: Math.round(c.virtualMs),
    wallMs: Math.round(wallMs),
    simRate: wallMs > 0 ? Math.round((c.committedRequests * 1000) / wallMs) : 0,
  };
}

/** Refuses option combinations that make no sense (exit code 2). */
function usageErrors(o: SimCliOptions, cmd: Command): void {
  const fail = (text: string) => cmd.error(`error: ${text}`, { exitCode: 2, code: 'sim.bad-option' });
  if (o.protocol === 'cft' && (o.byzantine > 0 || o.behaviours !== '')) {
    fail(
      '--byzantine and --behaviours need --protocol pbft: the crash-fault protocol tolerates crashes, not Byzantine replicas',
    );
  }
  if (o.protocol !== 'cft' && o.replicas < 4) fail('--replicas must be at least 4 for pbft (n >= 3f + 1)');
}

/** Adds the `sim` command to the program. */
export function registerSim(program: Command): void {
  const d = CLI_DEFAULTS;
  program
    .command('sim')
    .description(
      'run seeded deterministic simulations of a PBFT (or crash-fault) cluster and check safety and liveness',
    )
    .addOption(
      new Option('--protocol <name>', 'pbft, or cft: the crash-fault (Raft-like) baseline')
        .choices(SIM_PROTOCOLS)
        .default(d.protocol),
    )
    .option('--seeds <n>', 'number of seeds to run', integer(1, 1_000_000), 20)
    .option('--seed <s>', 'first seed; seeds S..S+N-1 run', integer(0, 0xffffffff), 1)
    .option(
      '--replicas <n>',
      'replicas n: pbft n >= 4, f = floor((n - 1) / 3); cft n >= 3, f = floor((n - 1) / 2)',
      integer(3, 256),
      d.replicas,
    )
    .option('--clients <c>', 'simulated clients', integer(1, 10_000), d.clients)
    .option(
      '--requests <r>',
      'requests per seed in total, split evenly among clients',
      integer(0, 100_000_000),
      d.requests,
    )
    .option('--loss <p>', 'probability a message is lost, in [0, 0.5)', fraction(0.5), d.loss)
    .option('--dup <p>', 'probability a message is duplicated, in [0, 1)', fraction(1), d.dup)
    .option(
      '--reorder <p>',
      'probability a message is delayed up to 10x max-delay, in [0, 1)',
      fraction(1),
      d.reorder,
    )
    .option('--min-delay <ms>', 'smallest network delay (virtual ms)', millis(0), d.minDelay)
    .option('--max-delay <ms>', 'largest network delay before reordering (virtual ms)', millis(0), d.maxDelay)
    .option(
      '--client-timeout <ms>',
      'client wait before sending to all replicas (virtual ms)',
      millis(1),
      d.clientTimeout,
    )
    .option(
      '--max-time <ms>',
      'virtual time limit per seed; open requests then fail liveness',
      millis(1),
      d.maxTime,
    )
    .addOption(
      new Option('--crypto <scheme>', 'signature scheme').choices(SIM_CRYPTO_SCHEMES).default(d.crypto),
    )
    .option(
      '--checkpoint-interval <k>',
      'checkpoint every K sequence numbers (L = 4K)',
      integer(1, 1 << 20),
      d.checkpointInterval,
    )
    .option('--crash', 'crash and restart up to f replicas at random during the fault phase', false)
    .option('--partition', 'partition the network at random during the fault phase', false)
    .option(
      '--fault-phase <ms>',
      'length of the fault phase (virtual ms); then all heals and restarts',
      millis(1),
      d.faultPhase,
    )
    .option(
      '--liveness-bound <ms>',
      'after the fault phase, each pending request must complete within this (virtual ms)',
      millis(1),
      d.livenessBound,
    )
    .option(
      '--byzantine <k>',
      'replicas (at most f) running Byzantine behaviours, chosen per seed; see bftledger byzantine list',
      integer(0, 85),
      0,
    )
    .option(
      '--behaviours <list>',
      'comma-separated behaviours the Byzantine replicas draw from (default: all)',
      '',
    )
    .option('--json', 'print one JSON report instead of text', false)
    .action((opts: SimCliOptions, cmd: Command) => {
      usageErrors(opts, cmd);
      if (opts.maxDelay < opts.minDelay) {
        cmd.error('error: --max-delay must be >= --min-delay', { exitCode: 2, code: 'sim.bad-option' });
      }
      process.exitCode = runSim(opts, cmd);
    });
}
