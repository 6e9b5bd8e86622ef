/**
 * `bftledger twins`: runs a Twins enumeration of the PBFT cluster (each twinned id runs two honest
 * instances sharing its key, and the adversary picks a partition per view), or a seeded sample of
 * it, and reports each failing scenario with the command that replays it alone. Exit code 0 when
 * clean, 1 on any violation, 2 on bad usage.
 */
import type { Command } from 'commander';
import {
  checkTwinsSpec,
  type FailingScenario,
  formatSchedule,
  runTwinsCampaign,
  sampleIndices,
  scenarioCount,
  scheduleOf,
  TWINS_DEFAULTS,
  type TwinsSpec,
} from '../sim/index.js';
import { integer } from './parse.js';

/** Violations shown per failing scenario. */
const SHOWN_VIOLATIONS = 3;

/** The parsed command-line options of `twins`. */
export interface TwinsCliOptions {
  /** Replica ids n. */
  replicas: number;
  /** Twinned ids (0 .. twins - 1). */
  twins: number;
  /** Views the adversary schedules. */
  views: number;
  /** Run a seeded sample of this many scenarios instead of the enumeration. */
  sample?: number;
  /** Seed of the sample and of every scenario's network and workload. */
  seed: number;
  /** First scenario index of a range. */
  from?: number;
  /** Scenarios in the range (default: to the end). */
  count?: number;
  /** Requests per scenario over all clients. */
  requests: number;
}

/** The command that replays one scenario alone. */
export function twinsReplayCommand(o: TwinsCliOptions, index: number): string {
  const parts = ['bftledger twins'];
  if (o.replicas !== 4) parts.push(`--replicas ${o.replicas}`);
  if (o.twins !== 1) parts.push(`--twins ${o.twins}`);
  parts.push(`--views ${o.views}`);
  if (o.seed !== TWINS_DEFAULTS.seed) parts.push(`--seed ${o.seed}`);
  if (o.requests !== TWINS_DEFAULTS.requests) parts.push(`--requests ${o.requests}`);
  parts.push(`--from ${index} --count 1`);
  return parts.join(' ');
}

/** The scenario indices the options select. */
function selectIndices(o: TwinsCliOptions, spec: TwinsSpec, cmd: Command): number[] {
  const total = scenarioCount(spec);
  if (o.sample !== undefined) {
    if (o.from !== undefined || o.count !== undefined)
      cmd.error('error: --sample cannot be combined with --from/--count', { exitCode: 2 });
    return sampleIndices(spec, o.sample, o.seed);
  }
  const from = o.from ?? 0;
  if (from >= total) cmd.error(`error: --from must be below ${total}`, { exitCode: 2 });
  const count = Math.min(o.count ?? total - from, total - from);
  return Array.from({ length: count }, (_, i) => from + i);
}

/** One text block for a failing scenario. */
function failureLine(o: TwinsCliOptions, f: FailingScenario): string {
  const shown = f.violations.slice(0, SHOWN_VIOLATIONS).join(' | ');
  const extra = f.violations.length - SHOWN_VIOLATIONS;
  const more = extra > 0 ? ` (+${extra} more)` : '';
  return (
    `FAIL scenario=${f.index} violations=${f.violations.length}: ${shown}${more}\n` +
    `  schedule: ${f.schedule}\n  replay: ${twinsReplayCommand(o, f.index)}`
  );
}

/** Shows progress on stderr when it is a terminal. */
function progress(done: number, total: number, failing: number): void {
  if (process.stderr.isTTY !== true || (done % 16 !== 0 && done !== total)) return;
  process.stderr.write(`\rtwins: scenario ${done}/${total} failing=${failing}\u001b[K`);
  if (done === total) process.stderr.write('\r\u001b[K');
}

/** Runs the selected scenarios and prints the report; returns the exit code. */
function runTwins(o: TwinsCliOptions, cmd: Command): number {
  const spec: TwinsSpec = { replicas: o.replicas, twins: o.twins, views: o.views };
  try {
    checkTwinsSpec(spec);
  } catch (err) {
    cmd.error(`error: ${err instanceof Error ? err.message : String(err)}`, { exitCode: 2 });
  }
  const indices = selectIndices(o, spec, cmd);
  const started = performance.now();
  let done = 0;
  let failing = 0;
  const campaign = runTwinsCampaign(spec, indices, { seed: o.seed, requests: o.requests }, (index, run) => {
    done++;
    const violations = run.result.violations;
    if (violations.length > 0) {
      failing++;
      if (process.stderr.isTTY === true) process.stderr.write('\r\u001b[K');
      const schedule = formatSchedule(spec, scheduleOf(spec, index));
      console.log(failureLine(o, { index, schedule, violations }));
    }
    progress(done, indices.length, failing);
  });
  const wall = (performance.now() - started) / 1000;
  console.log(
    `scenarios=${campaign.scenarios} of=${scenarioCount(spec)} replicas=${o.replicas} twins=${o.twins} ` +
      `views=${o.views} seed=${o.seed} violations=${campaign.violations} failing=${campaign.failing.length} ` +
      `committed=${campaign.committedRequests} new-view=${campaign.withNewView} ` +
      `twin-exceptions=${campaign.twinExceptions} wall=${wall.toFixed(1)}s`,
  );
  return campaign.violations > 0 ? 1 : 0;
}

/** Adds the `twins` command to the program. */
export function registerTwins(program: Command): void {
  program
    .command('twins')
    .description(
      'run a Twins enumeration: twinned replicas (two honest instances, one key) and a partition per view',
    )
    .option('--replicas <n>', 'replica ids n (>= 4)', integer(4, 16), 4)
    .option('--twins <k>', 'twinned ids: 0 .. k-1 run two instances each', integer(0, 16), 1)
    .option('--views <v>', 'views the adversary schedules before the network heals', integer(1, 16), 3)
    .option('--sample <n>', 'run a seeded sample of n scenarios instead of the enumeration', integer(1))
    .option(
      '--seed <s>',
      'seed of the sample and of every scenario',
      integer(0, 0xffffffff),
      TWINS_DEFAULTS.seed,
    )
    .option('--from <i>', 'first scenario index', integer(0))
    .option('--count <c>', 'scenarios from --from (default: to the end)', integer(1))
    .option(
      '--requests <r>',
      'requests per scenario over all clients',
      integer(0, 100_000),
      TWINS_DEFAULTS.requests,
    )
    .action((opts: TwinsCliOptions, cmd: Command) => {
      process.exitCode = runTwins(opts, cmd);
    });
}
