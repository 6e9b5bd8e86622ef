/** What a simulation driver needs of a replica host, whatever protocol core it runs. */
import type { LedgerView } from './checkers.js';

/** Running; crashed (restartable); or failed (its core threw: never stepped again). */
export type HostStatus = 'up' | 'crashed' | 'failed';

/** What one step did. */
export interface Step<Out> {
  /** The core's outputs, in order. */
  readonly outs: Out[];
  /** Whether the step's persist group changed the store (a crash point). */
  readonly wrote: boolean;
}

/** What crashes and restarts act on. */
export interface CrashableHost {
  /** Replica id. */
  readonly id: number;
  /** Running, crashed or failed. */
  status: HostStatus;
  /** The last sequence number (log index) the current life executed. */
  readonly lastExecuted: number;
  /** Stops the replica; its memory is gone. */
  crash(): void;
  /** Restarts it from its store alone; returns how many stored items it refused. */
  restart(): number;
}

/** A replica host a driver steps. */
export interface DriverHost<In, Out> extends CrashableHost {
  /** Whether it takes inputs now. */
  readonly alive: boolean;
  /** Crashes so far. */
  crashes: number;
  /** State transfers (snapshot installs) completed, over all its lives. */
  stateTransfers: number;
  /** The current life's ledger. */
  readonly ledger: LedgerView;
  /** Steps the core and makes the step's persist records durable. */
  step(input: In): Step<Out>;
  /** The core's invariants (throws on a violated one). */
  assertInvariants(): void;
}
