/**
 * Twins campaigns: runs scenarios of a Twins enumeration by index (see twins-schedule.ts) and
 * collects the failing ones, each replayable alone from its index. Also the canary search: the
 * first scenario in which correct replicas fork (an agreement or checkpoint-digest violation).
 */
import { runTwinsScenario, type TwinsRunOptions, type TwinsRunResult } from './twins-run.js';
import {
  checkTwinsSpec,
  formatSchedule,
  scenarioCount,
  scheduleOf,
  type TwinsSpec,
} from './twins-schedule.js';

export { runTwinsScenario, TWINS_DEFAULTS, type TwinsRunOptions, type TwinsRunResult } from './twins-run.js';
export * from './twins-schedule.js';

/** Run options shared by every scenario of a campaign (the schedule comes from the index). */
export type TwinsCampaignOptions = Omit<TwinsRunOptions, 'spec' | 'schedule'>;

/** A scenario that produced violations. */
export interface FailingScenario {
  /** Its index in the enumeration. */
  readonly index: number;
  /** Its schedule as text. */
  readonly schedule: string;
  /** Its violations, in order. */
  readonly violations: readonly string[];
}

/** Aggregates over a Twins campaign. */
export interface TwinsCampaignResult {
  /** Scenarios run. */
  readonly scenarios: number;
  /** Violations over all scenarios. */
  readonly violations: number;
  /** Scenarios with at least one violation, in run order. */
  readonly failing: readonly FailingScenario[];
  /** Requests clients accepted, over all scenarios. */
  readonly committedRequests: number;
  /** Scenarios in which the correct replicas installed a view above 0. */
  readonly withNewView: number;
  /** Steps of twin instances that threw, over all scenarios (not violations; worth a look). */
  readonly twinExceptions: number;
}

/** Called after each scenario (progress, streaming output). */
export type OnScenario = (index: number, run: TwinsRunResult) => void;

/** Runs one scenario of the enumeration by index. */
export function runTwinsIndex(
  spec: TwinsSpec,
  index: number,
  options: TwinsCampaignOptions = {},
): TwinsRunResult {
  return runTwinsScenario({ ...options, spec, schedule: scheduleOf(spec, index) });
}

/** Runs the scenarios `indices` in order; deterministic like each run. */
export function runTwinsCampaign(
  spec: TwinsSpec,
  indices: readonly number[],
  options: TwinsCampaignOptions = {},
  onScenario?: OnScenario,
): TwinsCampaignResult {
  checkTwinsSpec(spec);
  const failing: FailingScenario[] = [];
  let violations = 0;
  let committed = 0;
  let moved = 0;
  let twinExceptions = 0;
  for (const index of indices) {
    const run = runTwinsIndex(spec, index, options);
    const r = run.result;
    if (r.violations.length > 0)
      failing.push({
        index,
        schedule: formatSchedule(spec, scheduleOf(spec, index)),
        violations: r.violations,
      });
    violations += r.violations.length;
    committed += r.committedRequests;
    if (r.replicas.some((s) => s.correct && s.view > 0)) moved++;
    twinExceptions += run.twinExceptions.length;
    onScenario?.(index, run);
  }
  return {
    scenarios: indices.length,
    violations,
    failing,
    committedRequests: committed,
    withNewView: moved,
    twinExceptions,
  };
}

/** Whether a violation is a fork between correct replicas (agreement or checkpoint digests). */
export function isForkViolation(violation: string): boolean {
  return violation.startsWith('agreement: ') || violation.startsWith('checkpoint: ');
}

/**
 * The first scenario, in index order from `from`, whose correct replicas fork; undefined when none
 * of the next `limit` scenarios does.
 */
export function findFork(
  spec: TwinsSpec,
  options: TwinsCampaignOptions = {},
  from = 0,
  limit = Number.POSITIVE_INFINITY,
): FailingScenario | undefined {
  checkTwinsSpec(spec);
  const end = Math.min(from + limit, scenarioCount(spec));
  for (let index = from; index < end; index++) {
    const violations = runTwinsIndex(spec, index, options).result.violations;
    if (violations.some(isForkViolation))
      return { index, schedule: formatSchedule(spec, scheduleOf(spec, index)), violations };
  }
  return undefined;
}
