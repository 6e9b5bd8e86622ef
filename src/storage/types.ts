/**
 * What a replica keeps on disk, and the store interface the runtime and the simulator share. The
 * core says what to persist through `persist` outputs (see core/pbft/types.ts); a store makes them
 * durable and gives them back after a crash, raw (the runtime re-opens every envelope through the
 * boundary before the core sees it: disk contents are re-verified, never trusted blindly).
 */
import type { PersistRecord } from '../core/pbft/types.js';

/** The last stable checkpoint as stored. */
export interface StoredCheckpoint {
  /** Its sequence number. */
  readonly seq: number;
  /** The ledger digest at `seq`. */
  readonly stateDigest: Uint8Array;
  /** The quorum of CHECKPOINT envelopes that certify it, verbatim. */
  readonly proof: readonly Uint8Array[];
  /** The ledger snapshot at `seq`. */
  readonly snapshot: Uint8Array;
}

/** A prepared certificate as stored: the pre-prepare and its matching prepares, verbatim. */
export interface StoredCertificate {
  /** The pre-prepare envelope. */
  readonly prePrepare: Uint8Array;
  /** The 2f matching PREPARE envelopes. */
  readonly prepares: readonly Uint8Array[];
}

/** Everything a replica needs to restart from disk alone. */
export interface DurableState {
  /** The last stable checkpoint, or undefined before the first one. */
  readonly stable: StoredCheckpoint | undefined;
  /** Batches executed after the stable checkpoint: the pre-prepare envelopes, in seq order, gapless. */
  readonly executed: readonly { readonly seq: number; readonly prePrepare: Uint8Array }[];
  /**
   * Prepared certificates above the stable checkpoint, the highest view per seq, in seq order: a
   * VIEW-CHANGE carries them, so a restarted replica must not forget what prepared.
   */
  readonly prepared: readonly StoredCertificate[];
  /**
   * Envelopes this replica signed that still matter: pre-prepares, prepares, commits and
   * checkpoints above the stable checkpoint, and its latest VIEW-CHANGE and NEW-VIEW. They keep a
   * restarted replica from signing anything that conflicts with what it signed before the crash.
   */
  readonly signed: readonly Uint8Array[];
  /** Records found corrupt (bad checksum or torn) and dropped while loading. */
  readonly corrupt: number;
}

/** A replica's durable store. */
export interface ReplicaStore {
  /** Makes the records durable, in order, as one atomic group (one sync for the whole group). */
  append(records: readonly PersistRecord[]): Promise<void>;
  /** Reads back what survived: the state of the longest valid prefix of appended groups. */
  load(): Promise<DurableState>;
  /** Releases the store. */
  close(): Promise<void>;
}
