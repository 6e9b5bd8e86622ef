/**
 * The on-disk store, on LevelDB (classic-level). LevelDB writes each batch to its log as one
 * checksummed record, so a group is applied entirely or not at all after a crash; `sync: true`
 * makes the batch durable before `append` resolves (one fsync per group: group commit). Pruning
 * deletes the known keys below a stable checkpoint inside the same batch. Values carry their own
 * checksum (value-codec.ts), so damage below the engine is detected on load and the record dropped.
 */
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import type { PersistRecord } from '../core/pbft/types.js';
import { StorageError, type StorageErrorCode } from './errors.js';
import { assemble, type Entry, parseKey, STABLE_KEY } from './layout.js';
import { RetentionIndex } from './retention.js';
import type { DurableState, ReplicaStore } from './types.js';
import { decodeValue, encodeValue } from './value-codec.js';

/** The database handle as this store uses it: string keys, byte values. */
type Db = ClassicLevel<string, Uint8Array>;

/** One write of a batch. */
type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

/** What a full scan of the database found. */
interface Scan {
  /** Entries that passed their checksum and decoded. */
  readonly readable: Map<string, Entry>;
  /** Keys whose value is unusable (or that this layout never writes). */
  readonly lost: string[];
}

/** A replica store in a LevelDB directory. */
export class LevelStore implements ReplicaStore {
  /** The end of the chain of queued writes: batches reach the engine in the order `append` was called. */
  private tail: Promise<void> = Promise.resolve();
  /** Set once a write failed: the index may be ahead of the disk, so every later append fails. */
  private failure: StorageError | undefined;
  /** Set by `close`: appends after it fail. */
  private closed = false;

  private constructor(
    /** The open database. */
    private readonly db: Db,
    /** The directory, for messages. */
    private readonly dir: string,
    /** Which keys exist on disk, rebuilt on open: what the next record replaces or prunes. */
    private readonly index: RetentionIndex,
  ) {}

  /** Opens (creating if needed) the store in `dir`; fails with code 'locked' when another store holds it. */
  static async open(dir: string): Promise<LevelStore> {
    const db: Db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    try {
      await mkdir(dir, { recursive: true });
      await db.open();
    } catch (e) {
      throw storageError(e, `cannot open the store in ${dir}`);
    }
    try {
      const { readable, lost } = await scan(db, dir);
      return new LevelStore(db, dir, RetentionIndex.rebuild(readable, lost));
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
  }

  /** Writes the records as one synced batch; resolves once it is durable. */
  append(records: readonly PersistRecord[]): Promise<void> {
    const usable = this.unusable();
    if (usable) return Promise.reject(usable);
    let ops: BatchOp[];
    try {
      ops = this.plan(records);
    } catch (e) {
      // A record outside the schema is the caller's bug; the index no longer matches the disk.
      this.failure = new StorageError('io', `store in ${this.dir} is unusable after a failed append`, {
        cause: e,
      });
      return Promise.reject(e);
    }
    const write = this.tail.then(() => this.write(ops));
    this.tail = write.catch(() => undefined);
    return write;
  }

  /** Reads back everything that survived, after the writes already queued. */
  async load(): Promise<DurableState> {
    await this.tail;
    const { readable, lost } = await scan(this.db, this.dir);
    return assemble(readable.values(), { corrupt: lost.length, stableLost: lost.includes(STABLE_KEY) });
  }

  /** Waits for queued writes, then closes the database (writing nothing more). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    try {
      await this.db.close();
    } catch (e) {
      throw storageError(e, `cannot close the store in ${this.dir}`);
    }
  }

  /** Why appends are refused, if they are. */
  private unusable(): StorageError | undefined {
    if (this.closed) return new StorageError('io', `store in ${this.dir} is closed`);
    return this.failure;
  }

  /** Encodes the batch for `records`, updating the index. */
  private plan(records: readonly PersistRecord[]): BatchOp[] {
    const ops: BatchOp[] = [];
    for (const record of records)
      for (const op of this.index.plan(record))
        ops.push(op.type === 'put' ? { type: 'put', key: op.key, value: encodeValue(op.key, op.entry) } : op);
    return ops;
  }

  /** Writes one batch durably; a failure makes the store unusable. */
  private async write(ops: BatchOp[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (ops.length === 0) return;
    try {
      await this.db.batch(ops, { sync: true });
    } catch (e) {
      this.failure = storageError(e, `append to the store in ${this.dir} failed`);
      throw this.failure;
    }
  }
}

/** Reads every key; sorts values into readable entries and lost keys. */
async function scan(db: Db, dir: string): Promise<Scan> {
  const readable = new Map<string, Entry>();
  const lost: string[] = [];
  try {
    for await (const [key, raw] of db.iterator()) {
      const info = parseKey(key);
      const value = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      const entry = info && decodeValue(key, info, value);
      if (entry) readable.set(key, entry);
      else lost.push(key);
    }
  } catch (e) {
    throw storageError(e, `cannot read the store in ${dir}`);
  }
  return { readable, lost };
}

/** The engine's error codes along the cause chain (classic-level wraps the one that matters). */
function levelCodes(e: unknown): string[] {
  const codes: string[] = [];
  for (let cur = e, depth = 0; typeof cur === 'object' && cur !== null && depth < 8; depth++) {
    const { code, cause } = cur as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') codes.push(code);
    cur = cause;
  }
  return codes;
}

/** Wraps an engine failure in a typed error, keeping it as the cause. */
function storageError(e: unknown, context: string): StorageError {
  if (e instanceof StorageError) return e;
  const codes = levelCodes(e);
  let code: StorageErrorCode = 'io';
  let detail = e instanceof Error ? e.message : String(e);
  if (codes.includes('LEVEL_LOCKED')) {
    code = 'locked';
    detail = 'the directory is held by another open store';
  } else if (codes.includes('LEVEL_CORRUPTION')) code = 'corrupt';
  return new StorageError(code, `${context}: ${detail}`, { cause: e });
}
