/**
 * Options, defaults and the result of one Twins scenario (the driver is twins-run.ts). The defaults
 * use short view-change timeouts and a small checkpoint interval K, so that three scheduled views
 * are cheap to simulate yet reach view changes, checkpoints and stable points.
 */
import type { PbftConfig } from '../core/pbft/types.js';
import { type ResolvedSimOptions, resolveOptions } from './options.js';
import type { SimResult } from './result.js';
import type { TwinsSchedule, TwinsSpec } from './twins-schedule.js';

/** Defaults of a Twins scenario: short timeouts and a small K so three views are cheap and rich. */
export const TWINS_DEFAULTS = {
  seed: 1,
  clients: 4,
  requests: 24,
  thinkMs: 100,
  livenessBoundMs: 30_000,
  drainMs: 300,
  requestTimeoutTicks: 20,
  checkpointInterval: 4,
} as const;

/** Everything that determines one Twins run. */
export interface TwinsRunOptions {
  /** The enumeration's shape. */
  readonly spec: TwinsSpec;
  /** The scenario: a partition per view. */
  readonly schedule: TwinsSchedule;
  /** Seed of keys, network delays and client workloads. */
  readonly seed?: number;
  /** Simulated clients (each on every side of every partition). */
  readonly clients?: number;
  /** Requests over all clients. */
  readonly requests?: number;
  /** Largest pause between a client's requests while the schedule runs, virtual ms. */
  readonly thinkMs?: number;
  /** After healing, every workload must complete within this many virtual ms. */
  readonly livenessBoundMs?: number;
  /** Protocol parameters over the Twins defaults. */
  readonly configOverrides?: Partial<PbftConfig>;
  /** Stop at the end of the first event that produced a violation (default true). */
  readonly stopOnViolation?: boolean;
}

/** The outcome of one Twins scenario. */
export interface TwinsRunResult {
  /** The simulator's result (its `replicas` are per node: node i < n is replica i). */
  readonly result: SimResult;
  /** Steps of a twin instance that threw (not held to the rules; listed for inspection). */
  readonly twinExceptions: readonly string[];
  /** Virtual ms at which each slot ended (by the replicas moving on, or its time limit). */
  readonly slotEnds: readonly number[];
}

/** The simulator options of a Twins run: the twinned ids are the checkers' faulty set. */
export function resolveTwinsOptions(t: TwinsRunOptions): ResolvedSimOptions {
  const d = TWINS_DEFAULTS;
  return resolveOptions({
    seed: t.seed ?? d.seed,
    replicas: t.spec.replicas,
    clients: t.clients ?? d.clients,
    requests: t.requests ?? d.requests,
    livenessBoundMs: t.livenessBoundMs ?? d.livenessBoundMs,
    drainMs: d.drainMs,
    faulty: Array.from({ length: t.spec.twins }, (_, id) => id),
    stopOnViolation: t.stopOnViolation ?? true,
    configOverrides: {
      requestTimeoutTicks: d.requestTimeoutTicks,
      checkpointInterval: d.checkpointInterval,
      ...t.configOverrides,
    },
  });
}
