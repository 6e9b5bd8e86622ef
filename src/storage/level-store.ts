/**
 * The PBFT replica's on-disk store, on LevelDB (see level-engine.ts: one synced batch per group,
 * applied entirely or not at all after a crash). Pruning deletes the known keys below a stable
 * checkpoint inside the same batch. Values carry their own checksum (value-codec.ts), so damage
 * below the engine is detected on load and the record dropped.
 */
import type { PersistRecord } from '../core/pbft/types.js';
import { assemble, type Entry, parseKey, STABLE_KEY } from './layout.js';
import { type BatchOp, LevelEngine, type Scan } from './level-engine.js';
import { RetentionIndex } from './retention.js';
import type { DurableState, ReplicaStore } from './types.js';
import { decodeValue, encodeValue } from './value-codec.js';

/** A replica store in a LevelDB directory. */
export class LevelStore implements ReplicaStore {
  private constructor(
    /** The open database. */
    private readonly engine: LevelEngine,
    /** Which keys exist on disk, rebuilt on open: what the next record replaces or prunes. */
    private readonly index: RetentionIndex,
  ) {}

  /** Opens (creating if needed) the store in `dir`; fails with code 'locked' when another store holds it. */
  static async open(dir: string): Promise<LevelStore> {
    const engine = await LevelEngine.open(dir);
    try {
      const { readable, lost } = await scan(engine);
      return new LevelStore(engine, RetentionIndex.rebuild(readable, lost));
    } catch (e) {
      await engine.close().catch(() => undefined);
      throw e;
    }
  }

  /** Writes the records as one synced batch; resolves once it is durable. */
  append(records: readonly PersistRecord[]): Promise<void> {
    const usable = this.engine.unusable();
    if (usable) return Promise.reject(usable);
    let ops: BatchOp[];
    try {
      ops = this.plan(records);
    } catch (e) {
      // A record outside the schema is the caller's bug; the index no longer matches the disk.
      this.engine.poison(e);
      return Promise.reject(e);
    }
    return this.engine.write(ops);
  }

  /** Reads back everything that survived, after the writes already queued. */
  async load(): Promise<DurableState> {
    const { readable, lost } = await scan(this.engine);
    return assemble(readable.values(), { corrupt: lost.length, stableLost: lost.includes(STABLE_KEY) });
  }

  /** Waits for queued writes, then closes the database (writing nothing more). */
  close(): Promise<void> {
    return this.engine.close();
  }

  /** Encodes the batch for `records`, updating the index. */
  private plan(records: readonly PersistRecord[]): BatchOp[] {
    const ops: BatchOp[] = [];
    for (const record of records)
      for (const op of this.index.plan(record))
        ops.push(op.type === 'put' ? { type: 'put', key: op.key, value: encodeValue(op.key, op.entry) } : op);
    return ops;
  }
}

/** Reads every key of this layout; sorts values into readable entries and lost keys. */
function scan(engine: LevelEngine): Promise<Scan<Entry>> {
  return engine.scan((key, value) => {
    const info = parseKey(key);
    return info && decodeValue(key, info, value);
  });
}
