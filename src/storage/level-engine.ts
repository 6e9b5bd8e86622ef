/**
 * The LevelDB (classic-level) engine under every on-disk store: opening a directory, batches
 * written strictly in call order with `sync: true` (one fsync per batch: group commit; LevelDB logs
 * each batch as one checksummed record, so it is applied entirely or not at all after a crash), a
 * latch that refuses every write after one failed, reading every key back, and typed errors. What
 * the keys mean is the business of the store on top (PBFT's `LevelStore`, the crash-fault
 * `CftLevelStore`).
 */
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { StorageError, type StorageErrorCode } from './errors.js';

/** The database handle: string keys, byte values. */
type Db = ClassicLevel<string, Uint8Array>;

/** One write of a batch. */
export type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

/** What a full scan found, given a decoder of values. */
export interface Scan<T> {
  /** Entries whose value decoded. */
  readonly readable: Map<string, T>;
  /** Keys whose value is unusable (or that the layout never writes). */
  readonly lost: string[];
}

/** An open LevelDB directory. */
export class LevelEngine {
  /** The end of the chain of queued writes: batches reach the engine in the order `write` was called. */
  private tail: Promise<void> = Promise.resolve();
  /** Set once a write failed: the store's view may be ahead of the disk, so every later write fails. */
  private failure: StorageError | undefined;
  /** Set by `close`: writes after it fail. */
  private closed = false;

  private constructor(
    /** The open database. */
    private readonly db: Db,
    /** The directory, for messages. */
    readonly dir: string,
  ) {}

  /** Opens (creating if needed) the database in `dir`; StorageError 'locked' when another store holds it. */
  static async open(dir: string): Promise<LevelEngine> {
    const db: Db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    try {
      await mkdir(dir, { recursive: true });
      await db.open();
    } catch (e) {
      throw storageError(e, `cannot open the store in ${dir}`);
    }
    return new LevelEngine(db, dir);
  }

  /** Why writes are refused, if they are. */
  unusable(): StorageError | undefined {
    if (this.closed) return new StorageError('io', `store in ${this.dir} is closed`);
    return this.failure;
  }

  /** Latches a failure found by the store itself (e.g. a record it cannot plan): every later write fails. */
  poison(cause: unknown): void {
    this.failure ??= new StorageError('io', `store in ${this.dir} is unusable after a failed append`, {
      cause,
    });
  }

  /** Queues one batch; resolves once it is durable. A failure makes the engine unusable. */
  write(ops: readonly BatchOp[]): Promise<void> {
    const write = this.tail.then(async () => {
      if (this.failure) throw this.failure;
      if (ops.length === 0) return;
      try {
        await this.db.batch([...ops], { sync: true });
      } catch (e) {
        this.failure = storageError(e, `append to the store in ${this.dir} failed`);
        throw this.failure;
      }
    });
    this.tail = write.catch(() => undefined);
    return write;
  }

  /** Reads every key after the queued writes; `decode` turns a value into an entry or refuses it. */
  async scan<T>(decode: (key: string, value: Uint8Array) => T | undefined): Promise<Scan<T>> {
    await this.tail;
    const readable = new Map<string, T>();
    const lost: string[] = [];
    try {
      for await (const [key, raw] of this.db.iterator()) {
        const value = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
        const entry = decode(key, value);
        if (entry !== undefined) readable.set(key, entry);
        else lost.push(key);
      }
    } catch (e) {
      throw storageError(e, `cannot read the store in ${this.dir}`);
    }
    return { readable, lost };
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
