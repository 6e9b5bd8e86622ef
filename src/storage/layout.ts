/**
 * The store's data model, shared by every store: the keys (ordered so that everything below a
 * stable checkpoint sorts together), the entries they hold, and how a set of entries becomes the
 * `DurableState` a replica restarts from. The in-memory store holds entries as they are; the
 * on-disk store holds them encoded and checksummed (see value-codec.ts).
 */
import type { DurableState, StoredCertificate, StoredCheckpoint } from './types.js';

/** An executed batch: the pre-prepare the commit certificate is for. */
export interface ExecutedEntry {
  /** Discriminant. */
  readonly type: 'executed';
  /** Its sequence number (also in the key). */
  readonly seq: number;
  /** The pre-prepare envelope. */
  readonly prePrepare: Uint8Array;
}

/** A prepared certificate, the highest view seen for its seq. */
export interface PreparedEntry {
  /** Discriminant. */
  readonly type: 'prepared';
  /** Its sequence number (also in the key). */
  readonly seq: number;
  /** The view it prepared in: a certificate from a higher view replaces it. */
  readonly view: number;
  /** The pre-prepare envelope. */
  readonly prePrepare: Uint8Array;
  /** The matching prepare envelopes. */
  readonly prepares: readonly Uint8Array[];
}

/** An envelope this replica signed. */
export interface SignedEntry {
  /** Discriminant. */
  readonly type: 'signed';
  /** Append position among signed entries: load returns them in this order. */
  readonly order: number;
  /** View of a vote (0 for a checkpoint), new view of a VIEW-CHANGE, view of a NEW-VIEW. */
  readonly rank: number;
  /** The envelope, verbatim. */
  readonly envelope: Uint8Array;
}

/** The stable checkpoint. */
export interface StableEntry {
  /** Discriminant. */
  readonly type: 'stable';
  /** The checkpoint with its proof and snapshot. */
  readonly checkpoint: StoredCheckpoint;
}

/** What one key holds. */
export type Entry = ExecutedEntry | PreparedEntry | SignedEntry | StableEntry;

/** One change to the key space; a store applies a group of them atomically, in order. */
export type StoreOp =
  | { readonly type: 'put'; readonly key: string; readonly entry: Entry }
  | { readonly type: 'del'; readonly key: string };

/** Key of the stable checkpoint. */
export const STABLE_KEY = 'cp';
/** Key of the latest VIEW-CHANGE this replica signed. */
export const VIEW_CHANGE_KEY = 'vc';
/** Key of the latest NEW-VIEW this replica signed. */
export const NEW_VIEW_KEY = 'nv';

/** A number as 16 hex digits, so that keys sort in numeric order. */
function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** Key of the batch executed at `seq`. */
export function executedKey(seq: number): string {
  return `x/${hex16(seq)}`;
}

/** Key of the prepared certificate at `seq`. */
export function preparedKey(seq: number): string {
  return `p/${hex16(seq)}`;
}

/** Key of a signed vote: one per (seq, kind, view, sender); checkpoints use view 0. */
export function voteKey(kind: string, view: number, seq: number, sender: number): string {
  return `s/${hex16(seq)}/${kind}/${hex16(view)}/${sender.toString(16).padStart(8, '0')}`;
}

/** Which slot a key names, and the seq where it has one. */
export type KeyInfo =
  | { readonly slot: 'executed' | 'prepared' | 'vote'; readonly seq: number }
  | { readonly slot: 'stable' | 'view-change' | 'new-view' };

const SEQ_KEY = /^([xps])\/([0-9a-f]{16})(\/[a-z-]+\/[0-9a-f]{16}\/[0-9a-f]{8})?$/;
const SLOT_OF_PREFIX = { x: 'executed', p: 'prepared', s: 'vote' } as const;

/** Parses a key of this layout; undefined for a key this layout never writes. */
export function parseKey(key: string): KeyInfo | undefined {
  if (key === STABLE_KEY) return { slot: 'stable' };
  if (key === VIEW_CHANGE_KEY) return { slot: 'view-change' };
  if (key === NEW_VIEW_KEY) return { slot: 'new-view' };
  const m = SEQ_KEY.exec(key);
  if (!m) return undefined;
  const prefix = m[1] as keyof typeof SLOT_OF_PREFIX;
  // Votes carry a suffix; executed and prepared keys do not.
  if ((prefix === 's') !== (m[3] !== undefined)) return undefined;
  const seq = Number.parseInt(m[2]!, 16);
  if (!Number.isSafeInteger(seq)) return undefined;
  return { slot: SLOT_OF_PREFIX[prefix], seq };
}

/** What loading found unusable. */
export interface Damage {
  /** Records dropped because they failed their checksum or did not decode. */
  readonly corrupt: number;
  /** Whether the stable checkpoint itself was among them (the executed batches above it go too). */
  readonly stableLost: boolean;
}

/** No damage: what an in-memory store always reports. */
export const NO_DAMAGE: Damage = { corrupt: 0, stableLost: false };

/** Builds the state a replica restarts from out of the entries that survived. */
export function assemble(entries: Iterable<Entry>, damage: Damage): DurableState {
  let stable: StoredCheckpoint | undefined;
  const executed = new Map<number, Uint8Array>();
  const prepared: PreparedEntry[] = [];
  const signed: SignedEntry[] = [];
  for (const e of entries) {
    if (e.type === 'stable') stable = e.checkpoint;
    else if (e.type === 'executed') executed.set(e.seq, e.prePrepare);
    else if (e.type === 'prepared') prepared.push(e);
    else signed.push(e);
  }
  const chain: { seq: number; prePrepare: Uint8Array }[] = [];
  // Executed batches are relative to the checkpoint below them: without it they cannot be replayed.
  if (!damage.stableLost) {
    for (let seq = (stable?.seq ?? 0) + 1; ; seq++) {
      const prePrepare = executed.get(seq);
      if (prePrepare === undefined) break;
      chain.push({ seq, prePrepare });
    }
  }
  prepared.sort((a, b) => a.seq - b.seq);
  signed.sort((a, b) => a.order - b.order);
  return {
    stable,
    executed: chain,
    prepared: prepared.map((p): StoredCertificate => ({ prePrepare: p.prePrepare, prepares: p.prepares })),
    signed: signed.map((s) => s.envelope),
    corrupt: damage.corrupt,
  };
}
