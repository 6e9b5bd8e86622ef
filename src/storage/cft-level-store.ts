/**
 * The crash-fault replica's on-disk store, on the same LevelDB engine as PBFT's (level-engine.ts):
 * each group of persist records is one synced batch, applied entirely or not at all after a crash,
 * so a truncation and the entries that replace the suffix, or a snapshot and the compaction of the
 * log below it, are never half done. Values are checksummed (cft-layout.ts).
 */
import type { CftPersistRecord } from '../core/cft/types.js';
import {
  assembleCft,
  type CftDurableState,
  CftEntryIndex,
  type CftValue,
  decodeCftValue,
} from './cft-layout.js';
import { type BatchOp, LevelEngine, type Scan } from './level-engine.js';

/** A crash-fault replica's store in a LevelDB directory. */
export class CftLevelStore {
  private constructor(
    /** The open database. */
    private readonly engine: LevelEngine,
    /** Which entry keys exist on disk, rebuilt on open: what a truncation or compaction deletes. */
    private readonly index: CftEntryIndex,
  ) {}

  /** Opens (creating if needed) the store in `dir`; StorageError 'locked' when another store holds it. */
  static async open(dir: string): Promise<CftLevelStore> {
    const engine = await LevelEngine.open(dir);
    try {
      const { readable, lost } = await scan(engine);
      return new CftLevelStore(engine, CftEntryIndex.rebuild([...readable.keys(), ...lost]));
    } catch (e) {
      await engine.close().catch(() => undefined);
      throw e;
    }
  }

  /** Makes the records durable, in order, as one atomic group; resolves once they are. */
  append(records: readonly CftPersistRecord[]): Promise<void> {
    const usable = this.engine.unusable();
    if (usable) return Promise.reject(usable);
    let ops: BatchOp[];
    try {
      ops = records.flatMap((r) => this.index.plan(r));
    } catch (e) {
      // A record outside the schema is the caller's bug; the index no longer matches the disk.
      this.engine.poison(e);
      return Promise.reject(e);
    }
    return this.engine.write(ops);
  }

  /** Reads back what survived (after the writes already queued): the state of the last durable group. */
  async load(): Promise<CftDurableState> {
    const { readable, lost } = await scan(this.engine);
    return assembleCft(readable.values(), lost.length);
  }

  /** Waits for queued writes, then closes the database. */
  close(): Promise<void> {
    return this.engine.close();
  }
}

/** Reads every key, decoding values of this layout. */
function scan(engine: LevelEngine): Promise<Scan<CftValue>> {
  return engine.scan(decodeCftValue);
}
