/**
 * Checkers for crashes and restarts. No equivocation: whatever a correct replica signs (a vote per
 * (view, seq), a checkpoint per seq, a VIEW-CHANGE per new view, a NEW-VIEW per view) never differs
 * from what it signed before, in this life or an earlier one, and it is persisted before it is sent.
 * Durability: a restarted replica has lost nothing it executed before the crash.
 */

import { sha256 } from '../crypto/hash.js';
import { toHex } from '../crypto/hex.js';
import { type Codec, encode } from '../messages/codec.js';
import { bodyCodec } from '../messages/envelope.js';
import type { AnyMessage, Message } from '../messages/types.js';
import type { CheckerConfig, Report } from './checkers.js';

/** What a replica signed for one slot: its content digest and whether it was persisted. */
interface SignedSlot {
  /** Hex digest of the content (the batch or state digest, or the whole body). */
  readonly hex: string;
  /** Whether a persist output carried it (before any send of it). */
  persisted: boolean;
}

/** The slot a signed message fills and its content digest; undefined for kinds that have none. */
function slotOf(msg: AnyMessage, bodyHex: (m: AnyMessage) => string): [string, string] | undefined {
  switch (msg.kind) {
    case 'pre-prepare':
    case 'prepare':
    case 'commit':
      return [`${msg.kind} view ${msg.body.view} seq ${msg.body.seq}`, toHex(msg.body.digest)];
    case 'checkpoint':
      return [`checkpoint seq ${msg.body.seq}`, toHex(msg.body.stateDigest)];
    case 'view-change':
      return [`view-change to view ${msg.body.newView}`, bodyHex(msg)];
    case 'new-view':
      return [`new-view view ${msg.body.view}`, bodyHex(msg)];
    default:
      return undefined;
  }
}

/** No correct replica signs two different messages for one slot, across restarts; persist before send. */
export class EquivocationChecker {
  /** Per replica: slot -> what it signed there (kept across crashes: the checker is the memory). */
  private readonly signed = new Map<number, Map<string, SignedSlot>>();
  /** Equivocations reported (one report each, though the message is persisted and then sent). */
  private readonly reported = new Set<string>();
  /** Body digests of VIEW-CHANGE and NEW-VIEW envelopes, computed once per envelope. */
  private readonly bodyDigests = new WeakMap<Uint8Array, string>();

  constructor(
    /** The cluster and who is correct. */
    private readonly config: CheckerConfig,
    /** Where violations go. */
    private readonly report: Report,
  ) {}

  /** A persist output of `replica` carried a message it signed. */
  persisted(replica: number, msg: Message): void {
    this.record(replica, msg, true);
  }

  /** `replica` sent a message; only those it signed itself are checked. */
  sent(replica: number, msg: Message): void {
    if (msg.sender === replica) this.record(replica, msg, false);
  }

  /** Compares one signed message with what the replica signed for the same slot before. */
  private record(replica: number, msg: Message, persisted: boolean): void {
    if (!this.config.isCorrect(replica)) return;
    const slot = slotOf(msg as AnyMessage, (m) => this.bodyHex(m));
    if (slot === undefined) return;
    const [key, hex] = slot;
    let mine = this.signed.get(replica);
    if (mine === undefined) {
      mine = new Map();
      this.signed.set(replica, mine);
    }
    const earlier = mine.get(key);
    if (earlier === undefined) {
      mine.set(key, { hex, persisted });
    } else if (earlier.hex !== hex) {
      const text = `replica ${replica}: signed ${key} with ${hex.slice(0, 16)}, earlier ${earlier.hex.slice(0, 16)}`;
      if (!this.reported.has(text)) this.report('equivocation', text);
      this.reported.add(text);
      return;
    } else if (persisted) {
      earlier.persisted = true;
    }
    if (!persisted && !(earlier?.persisted ?? false)) {
      this.report('persist-before-send', `replica ${replica}: sent ${key} before persisting it`);
    }
  }

  /** SHA-256 (hex) of a message's encoded body, cached per envelope. */
  private bodyHex(m: AnyMessage): string {
    let hex = this.bodyDigests.get(m.bytes);
    if (hex === undefined) {
      const codec = bodyCodec(m.kind) as Codec<unknown>;
      hex = toHex(sha256(encode(codec, m.body)));
      this.bodyDigests.set(m.bytes, hex);
    }
    return hex;
  }
}

/** Nothing executed is lost: a restarted replica resumes at or above its pre-crash execution point. */
export class DurabilityChecker {
  /** Per crashed replica: the last seq it had executed when it went down. */
  private readonly executedAtCrash = new Map<number, number>();

  constructor(
    /** The cluster and who is correct. */
    private readonly config: CheckerConfig,
    /** Where violations go. */
    private readonly report: Report,
  ) {}

  /** `replica` crashed having executed up to `seq`. */
  crashed(replica: number, seq: number): void {
    this.executedAtCrash.set(replica, seq);
  }

  /** `replica` restarted from its store and resumes at `seq`. */
  restarted(replica: number, seq: number): void {
    const before = this.executedAtCrash.get(replica);
    this.executedAtCrash.delete(replica);
    if (!this.config.isCorrect(replica) || before === undefined || seq >= before) return;
    this.report('durability', `replica ${replica} seq ${seq}: restarted below seq ${before} it had executed`);
  }
}
