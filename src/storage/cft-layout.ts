/**
 * How a crash-fault replica's durable state sits in its store: three kinds of keys (the hard state,
 * the snapshot, one key per log entry, ordered by index), their checksummed values (the framing of
 * value-codec.ts, canonical codecs inside), the index of the entry keys that turns each persist
 * record into puts and deletes, and how the values that survived become a `CftDurableState`. The
 * semantics are those of `CftMemoryStore` (the reference the crash-point tests compare with).
 * Requests stay raw bytes here: recovery re-opens them through the boundary (cft-recover.ts).
 */
import type { CftPersistRecord, CftSnapshot } from '../core/cft/types.js';
import { bytes, type Codec, decode, encode, fixed, list, struct, u32, u53 } from '../messages/codec.js';
import { LIMITS } from '../messages/schema.js';
import type { BatchOp } from './level-engine.js';
import { frame, unframe } from './value-codec.js';

/** A log entry as stored: its position, term, and client REQUEST envelopes verbatim. */
export interface CftStoredEntry {
  /** Its index, from 1 (also in the key). */
  readonly index: number;
  /** The term of the leader that created it. */
  readonly term: number;
  /** The client REQUEST envelopes, verbatim (none: a leader's no-op). */
  readonly requests: readonly Uint8Array[];
}

/** What a crash-fault replica's store gives back after a crash, requests not yet re-opened. */
export interface CftDurableState {
  /** The last hard state's term (0 on a fresh or damaged disk). */
  readonly term: number;
  /** The vote cast in `term`, if any. */
  readonly votedFor: number | undefined;
  /** The commit index persisted. */
  readonly commit: number;
  /** The last snapshot persisted, if any (and readable). */
  readonly snapshot: CftSnapshot | undefined;
  /** The log after the snapshot, gapless, in index order (up to the first missing or damaged entry). */
  readonly entries: readonly CftStoredEntry[];
  /** Values found corrupt (bad checksum, torn, not decodable) and dropped. */
  readonly corrupt: number;
}

/** Key of the hard state (term, vote, commit). */
export const HARD_STATE_KEY = 'h';
/** Key of the snapshot. */
export const SNAPSHOT_KEY = 'snap';

/** Key of the log entry at `index`: 16 hex digits, so keys sort in index order. */
export function entryKey(index: number): string {
  return `e/${index.toString(16).padStart(16, '0')}`;
}

/** What one key holds, decoded. */
export type CftValue =
  | {
      readonly type: 'hard-state';
      readonly term: number;
      readonly votedFor: number | undefined;
      readonly commit: number;
    }
  | { readonly type: 'snapshot'; readonly snapshot: CftSnapshot }
  | { readonly type: 'entry'; readonly entry: CftStoredEntry };

/** `votedFor` on disk when there is no vote (a u32 no replica id reaches). */
const NO_VOTE = 0xffffffff;
/** Largest snapshot a value may carry (the length prefix is a u32). */
const MAX_SNAPSHOT_BYTES = 2 ** 32 - 1;

/** Payload of the hard state key. */
const HARD_STATE = struct({ term: u53, votedFor: u32, commit: u53 });
/** Payload of the snapshot key. */
const SNAPSHOT = struct({
  index: u53,
  term: u53,
  stateDigest: fixed(32),
  snapshot: bytes(MAX_SNAPSHOT_BYTES),
});
/** Payload of an entry key. */
const ENTRY = struct({ term: u53, requests: list(bytes(LIMITS.maxRequestBytes), LIMITS.maxBatch) });

const ENTRY_KEY = /^e\/([0-9a-f]{16})$/;

/** The index an entry key names, or undefined for any other key. */
export function entryIndexOf(key: string): number | undefined {
  const m = ENTRY_KEY.exec(key);
  if (!m) return undefined;
  const index = Number.parseInt(m[1]!, 16);
  return Number.isSafeInteger(index) && index >= 1 ? index : undefined;
}

/** The framed value that stores `value` under `key`. */
export function encodeCftValue(key: string, value: CftValue): Uint8Array {
  switch (value.type) {
    case 'hard-state':
      return frame(key, encode(HARD_STATE, { ...value, votedFor: value.votedFor ?? NO_VOTE }));
    case 'snapshot':
      return frame(key, encode(SNAPSHOT, value.snapshot));
    case 'entry':
      return frame(key, encode(ENTRY, { term: value.entry.term, requests: [...value.entry.requests] }));
  }
}

/** Decodes a payload; undefined when it is not an exact encoding. */
function decodeWith<T>(codec: Codec<T>, payload: Uint8Array): T | undefined {
  const r = decode(codec, payload);
  return r.ok ? r.value : undefined;
}

/** The value stored under `key`, or undefined when it is unusable or the key is not of this layout. */
export function decodeCftValue(key: string, raw: Uint8Array): CftValue | undefined {
  const payload = unframe(key, raw);
  if (payload === undefined) return undefined;
  if (key === HARD_STATE_KEY) {
    const v = decodeWith(HARD_STATE, payload);
    return v && { type: 'hard-state', ...v, votedFor: v.votedFor === NO_VOTE ? undefined : v.votedFor };
  }
  if (key === SNAPSHOT_KEY) {
    const v = decodeWith(SNAPSHOT, payload);
    return v && { type: 'snapshot', snapshot: v };
  }
  const index = entryIndexOf(key);
  if (index === undefined) return undefined;
  const v = decodeWith(ENTRY, payload);
  return v && { type: 'entry', entry: { index, term: v.term, requests: v.requests } };
}

/** The entry keys a store holds, and the planner that turns persist records into batch operations. */
export class CftEntryIndex {
  /** Indices with an entry key on disk (readable or not): truncation and compaction delete them. */
  private readonly held = new Set<number>();

  /** The index of a store holding these keys. */
  static rebuild(keys: Iterable<string>): CftEntryIndex {
    const index = new CftEntryIndex();
    for (const key of keys) {
      const i = entryIndexOf(key);
      if (i !== undefined) index.held.add(i);
    }
    return index;
  }

  /** The operations that make `record` durable; updates the index as if they were applied. */
  plan(record: CftPersistRecord): BatchOp[] {
    const put = (key: string, value: CftValue): BatchOp => ({
      type: 'put',
      key,
      value: encodeCftValue(key, value),
    });
    switch (record.type) {
      case 'hard-state':
        return [put(HARD_STATE_KEY, record)];
      case 'append':
        return record.entries.map((e) => {
          this.held.add(e.index);
          const requests = e.requests.map((r) => r.bytes);
          return put(entryKey(e.index), { type: 'entry', entry: { index: e.index, term: e.term, requests } });
        });
      case 'truncate':
        return this.drop((i) => i >= record.from);
      case 'snapshot':
        return [
          put(SNAPSHOT_KEY, { type: 'snapshot', snapshot: record.snapshot }),
          ...this.drop((i) => i <= record.snapshot.index),
        ];
    }
  }

  /** Deletes the entry keys whose index matches. */
  private drop(match: (index: number) => boolean): BatchOp[] {
    const ops: BatchOp[] = [];
    for (const i of [...this.held].sort((a, b) => a - b)) {
      if (!match(i)) continue;
      this.held.delete(i);
      ops.push({ type: 'del', key: entryKey(i) });
    }
    return ops;
  }
}

/** Builds the state a replica restarts from out of the values that survived. */
export function assembleCft(values: Iterable<CftValue>, corrupt: number): CftDurableState {
  let hard: { term: number; votedFor: number | undefined; commit: number } = {
    term: 0,
    votedFor: undefined,
    commit: 0,
  };
  let snapshot: CftSnapshot | undefined;
  const byIndex = new Map<number, CftStoredEntry>();
  for (const v of values) {
    if (v.type === 'hard-state') hard = { term: v.term, votedFor: v.votedFor, commit: v.commit };
    else if (v.type === 'snapshot') snapshot = v.snapshot;
    else byIndex.set(v.entry.index, v.entry);
  }
  const entries: CftStoredEntry[] = [];
  for (let i = (snapshot?.index ?? 0) + 1; ; i++) {
    const e = byIndex.get(i);
    if (e === undefined) break;
    entries.push(e);
  }
  return { ...hard, snapshot, entries, corrupt };
}
