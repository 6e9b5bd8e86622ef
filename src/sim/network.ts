/**
 * The simulated network: every message is a byte string (an envelope exactly as a peer would send
 * it) scheduled for delivery after a seeded delay. Faults are drawn from the network's own PRNG
 * stream: loss, duplication, and reordering (an extra delay of up to 10x the largest normal delay).
 */
import type { Prng } from '../core/prng.js';

/** A replica or a client, addressed by role and id (the two id spaces are separate). */
export interface Endpoint {
  /** Which id space `id` belongs to. */
  readonly role: 'replica' | 'client';
  /** The replica or client id. */
  readonly id: number;
}

/** Bytes in flight from one endpoint to another. */
export interface Delivery {
  /** Event tag in the simulator's queue. */
  readonly type: 'deliver';
  /** Who sent the bytes (the transport's authenticated peer; not the envelope's signer). */
  readonly from: Endpoint;
  /** Who receives them. */
  readonly to: Endpoint;
  /** The envelope bytes. */
  readonly bytes: Uint8Array;
}

/** Fault and delay parameters of the network. */
export interface NetworkParams {
  /** Probability a message is lost. */
  readonly loss: number;
  /** Probability a message is delivered twice. */
  readonly dup: number;
  /** Probability a message gets an extra delay of up to 10x maxDelayMs. */
  readonly reorder: number;
  /** Smallest one-way delay, virtual ms. */
  readonly minDelayMs: number;
  /** Largest one-way delay before reordering, virtual ms. */
  readonly maxDelayMs: number;
}

/** What the network did, for the run's result. */
export interface NetworkStats {
  /** Messages handed to the network (a broadcast counts once per receiver). */
  sent: number;
  /** Copies scheduled for delivery (duplicates included). */
  scheduled: number;
  /** Messages lost at random. */
  lost: number;
  /** Messages dropped because their link was cut. */
  blocked: number;
  /** Extra copies made by duplication. */
  duplicated: number;
  /** Copies that got a reordering delay. */
  reordered: number;
}

/** Schedules a delivery at a virtual time. */
export type Scheduler = (at: number, delivery: Delivery) => void;

/** Decides whether a link is cut (partitions, crashed endpoints); true drops the message. */
export type LinkFilter = (from: Endpoint, to: Endpoint) => boolean;

/** A lossy, duplicating, reordering network on virtual time. */
export class SimNetwork {
  /** Counters of what happened to messages. */
  readonly stats: NetworkStats = {
    sent: 0,
    scheduled: 0,
    lost: 0,
    blocked: 0,
    duplicated: 0,
    reordered: 0,
  };
  /** Links currently cut; undefined when every link is up. */
  cut: LinkFilter | undefined;

  constructor(
    /** Delay and fault parameters. */
    private readonly params: NetworkParams,
    /** The network's own PRNG stream. */
    private readonly rng: Prng,
    /** Puts a delivery in the simulator's event queue. */
    private readonly schedule: Scheduler,
  ) {}

  /** Sends `bytes` from one endpoint to another at virtual time `now`. */
  send(now: number, from: Endpoint, to: Endpoint, bytes: Uint8Array): void {
    this.stats.sent++;
    // Draw every random decision for every message, whatever the outcome, so one probability
    // change does not shift the stream of unrelated decisions.
    const lost = this.rng.chance(this.params.loss);
    const dup = this.rng.chance(this.params.dup);
    if (this.cut?.(from, to) === true) {
      this.stats.blocked++;
      return;
    }
    if (lost) {
      this.stats.lost++;
      return;
    }
    const delivery: Delivery = { type: 'deliver', from, to, bytes };
    this.schedule(now + this.delay(), delivery);
    this.stats.scheduled++;
    if (dup) {
      this.schedule(now + this.delay(), delivery);
      this.stats.scheduled++;
      this.stats.duplicated++;
    }
  }

  /** One copy's delay: uniform in [min, max], plus the reordering delay with probability `reorder`. */
  private delay(): number {
    const { minDelayMs, maxDelayMs, reorder } = this.params;
    const base = this.rng.uniform(minDelayMs, maxDelayMs);
    const reordered = this.rng.chance(reorder);
    const extra = this.rng.next() * 10 * maxDelayMs;
    if (!reordered) return base;
    this.stats.reordered++;
    return base + extra;
  }
}
