/**
 * The on-disk store as a checksummed append-only journal (the shape of etcd's WAL). A group is
 * written at once from the calling thread, so groups reach the file in order; its durability comes
 * from an fdatasync on libuv's pool, one at a time, each covering every group written before it
 * (group commit), so one thread hand-off serves many groups and the event loop never blocks on a
 * slow disk (LevelDB took two hand-offs and a thread of its own per group). Each
 * group is one record, `u32 length | 8 bytes of SHA-256(payload) | payload`, so a group is applied
 * entirely or not at all. On open, a bad or short record at the end of the file is a torn write
 * (never acknowledged) and is cut off; a bad record followed by more data is damage, and the store
 * refuses to open rather than forget what the replica signed after it. When the file has grown
 * well past the live data it is rewritten as one record and atomically renamed into place.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { PersistRecord } from '../core/pbft/types.js';
import { sha256 } from '../crypto/hash.js';
import { decode, encode, list, str, struct, u8, bytes as varBytes } from '../messages/codec.js';
import { StorageError } from './errors.js';
import { assemble, type Entry, parseKey, STABLE_KEY } from './layout.js';
import { RetentionIndex } from './retention.js';
import type { DurableState, ReplicaStore } from './types.js';
import { decodeValue, encodeValue } from './value-codec.js';

/** Record header: payload length, then its checksum. */
const HEADER_BYTES = 12;
/** Checksum bytes kept from the SHA-256 of the payload. */
const CHECKSUM_BYTES = 8;
/** Rewrite the journal once it holds twice the live data and at least this many bytes (by default). */
const COMPACT_SLACK_BYTES = 64 * 1024 * 1024;

/** One group's changes: puts (op 0, framed value) and deletes (op 1, empty value), in order. */
const GROUP = struct({
  ops: list(struct({ op: u8, key: str(256), value: varBytes(2 ** 32 - 1) }), 2 ** 32 - 1),
});

/** The journal's file names inside the store directory. */
const FILE = 'journal';
const TEMP = 'journal.tmp';
const LOCK = 'LOCK';

/** Encodes one record around a payload. */
function record(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(sha256(payload).subarray(0, CHECKSUM_BYTES), 4);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** What reading a journal file found. */
interface Replay {
  /** Live values by key after every intact group. */
  readonly values: Map<string, Uint8Array>;
  /** Length of the intact prefix (where a torn tail is cut). */
  readonly validBytes: number;
}

/** Replays the records of `data`; throws StorageError('corrupt') on damage before the tail. */
function replay(data: Uint8Array, path: string): Replay {
  const values = new Map<string, Uint8Array>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < data.length) {
    const end = at + HEADER_BYTES + (at + HEADER_BYTES <= data.length ? view.getUint32(at) : 0);
    if (at + HEADER_BYTES > data.length || end > data.length) break; // torn tail
    const payload = data.subarray(at + HEADER_BYTES, end);
    const sum = sha256(payload);
    let intact = true;
    for (let i = 0; i < CHECKSUM_BYTES; i++) if (data[at + 4 + i] !== sum[i]) intact = false;
    const group = intact ? decode(GROUP, payload) : undefined;
    if (!group?.ok) {
      if (end === data.length) break; // the last record, partly written: torn tail
      throw new StorageError('corrupt', `${path}: damaged record at byte ${at}, followed by more records`);
    }
    for (const { op, key, value } of group.value.ops) {
      if (op === 0) values.set(key, value.slice());
      else values.delete(key);
    }
    at = end;
  }
  return { values, validBytes: at };
}

/** Takes the directory's lock file; a lock held by a live process refuses with 'locked'. */
function lock(dir: string): void {
  const path = join(dir, LOCK);
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
    return;
  } catch (e) {
    if ((e as { code?: string }).code !== 'EEXIST') throw e;
  }
  const holder = Number(readFileSync(path, 'utf8'));
  let alive = false;
  try {
    alive = Number.isInteger(holder) && holder > 0 && process.kill(holder, 0);
  } catch (e) {
    alive = (e as { code?: string }).code === 'EPERM';
  }
  if (alive) throw new StorageError('locked', `${dir}: the directory is held by another open store`);
  writeFileSync(path, String(process.pid));
}

/** A replica store in a journal file. */
export class JournalStore implements ReplicaStore {
  /** Set once a write failed: the in-memory view may be ahead of the disk. */
  private failure: StorageError | undefined;
  /** Set by `close`. */
  private closed = false;
  /** Bytes in the journal file. */
  private fileBytes: number;
  /** Bytes the live values would take as one record. */
  private liveBytes = 0;
  /** Bytes appended since open (the sync position is measured against it). */
  private writtenBytes = 0;
  /** Of `writtenBytes`, how many a completed sync covers. */
  private syncedBytes = 0;
  /** True while an asynchronous fdatasync runs. */
  private syncing = false;
  /** Appends waiting for a sync that covers them, in order. */
  private readonly waiters: { upTo: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Called when the sync in flight ends (close waits for it). */
  private readonly idle: (() => void)[] = [];

  private constructor(
    /** The store directory. */
    private readonly dir: string,
    /** The journal's file descriptor, opened for appending. */
    private fd: number,
    /** Live framed values by key (what a rewrite keeps and `load` decodes). */
    private readonly values: Map<string, Uint8Array>,
    /** Which keys exist and what the next record replaces or prunes. */
    private readonly index: RetentionIndex,
    fileBytes: number,
    /** The file size below which it is never rewritten. */
    private readonly compactSlackBytes: number,
  ) {
    this.fileBytes = fileBytes;
    for (const [k, v] of values) this.liveBytes += k.length + v.length + 9;
  }

  /** Opens (creating if needed) the store in `dir`, cutting off a torn tail. */
  static open(dir: string, options: { readonly compactSlackBytes?: number } = {}): JournalStore {
    try {
      mkdirSync(dir, { recursive: true });
      lock(dir);
    } catch (e) {
      if (e instanceof StorageError) throw e;
      throw new StorageError('io', `cannot open the store in ${dir}: ${String(e)}`, { cause: e });
    }
    try {
      const path = join(dir, FILE);
      const fresh = !existsSync(path);
      const data = fresh ? new Uint8Array(0) : new Uint8Array(readFileSync(path));
      const { values, validBytes } = replay(data, path);
      const fd = openSync(path, 'a');
      if (fresh) syncDir(dir);
      if (validBytes < data.length) {
        ftruncateSync(fd, validBytes);
        fdatasyncSync(fd);
      }
      const { readable, lost } = decodeAll(values);
      const index = RetentionIndex.rebuild(readable, lost);
      const slack = options.compactSlackBytes ?? COMPACT_SLACK_BYTES;
      return new JournalStore(dir, fd, values, index, validBytes, slack);
    } catch (e) {
      unlinkSync(join(dir, LOCK));
      if (e instanceof StorageError) throw e;
      throw new StorageError('io', `cannot open the store in ${dir}: ${String(e)}`, { cause: e });
    }
  }

  /** Writes the records as one record and syncs it before returning: durable when this returns. */
  appendSync(records: readonly PersistRecord[]): void {
    this.write(records);
    this.sync(() => fdatasyncSync(this.fd));
  }

  /**
   * Writes the records as one record now (so records reach the file in call order) and resolves
   * once a sync covering them completed. Syncs run on libuv's pool, one at a time: groups written
   * while one is in flight share the next (group commit), and the event loop never waits on the disk.
   */
  append(records: readonly PersistRecord[]): Promise<void> {
    try {
      this.write(records);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.syncedBytes >= this.writtenBytes) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo: this.writtenBytes, resolve, reject });
      this.startSync();
    });
  }

  /** Appends one group's record without syncing; a failure makes the store unusable. */
  private write(records: readonly PersistRecord[]): void {
    if (this.closed) throw new StorageError('io', `store in ${this.dir} is closed`);
    if (this.failure) throw this.failure;
    const ops: { op: number; key: string; value: Uint8Array }[] = [];
    try {
      for (const r of records)
        for (const op of this.index.plan(r))
          ops.push(
            op.type === 'put'
              ? { op: 0, key: op.key, value: encodeValue(op.key, op.entry) }
              : { op: 1, key: op.key, value: new Uint8Array(0) },
          );
      if (ops.length === 0) return;
      const bytes = record(encode(GROUP, { ops }));
      writeSync(this.fd, bytes);
      this.fileBytes += bytes.length;
      this.writtenBytes += bytes.length;
    } catch (e) {
      throw this.fail(e);
    }
    for (const { op, key, value } of ops) this.apply(op, key, value);
  }

  /** Runs a synchronous sync of everything written, then rewrites the file if it is due. */
  private sync(run: () => void): void {
    const upTo = this.writtenBytes;
    if (this.syncedBytes >= upTo) return;
    try {
      run();
    } catch (e) {
      throw this.fail(e);
    }
    this.syncedBytes = upTo;
    this.compactIfDue();
  }

  /** Starts an asynchronous fdatasync of everything written, unless one is in flight. */
  private startSync(): void {
    if (this.syncing || this.waiters.length === 0) return;
    this.syncing = true;
    const upTo = this.writtenBytes;
    fdatasync(this.fd, (err) => {
      this.syncing = false;
      if (err) {
        const failure = this.fail(err);
        for (const w of this.waiters.splice(0)) w.reject(failure);
      } else {
        this.syncedBytes = Math.max(this.syncedBytes, upTo);
        while (this.waiters[0] !== undefined && this.waiters[0].upTo <= upTo) this.waiters.shift()?.resolve();
        if (this.waiters.length === 0) this.compactIfDue();
        this.startSync();
      }
      if (!this.syncing) for (const idle of this.idle.splice(0)) idle();
    });
  }

  /** Records the first failure (the in-memory view may now be ahead of the disk) and returns it. */
  private fail(e: unknown): StorageError {
    this.failure ??= new StorageError('io', `append to the store in ${this.dir} failed: ${String(e)}`, {
      cause: e,
    });
    return this.failure;
  }

  /** Rewrites the journal when everything is synced and it has grown past its bound. */
  private compactIfDue(): void {
    if (this.syncing || this.syncedBytes < this.writtenBytes) return;
    if (this.fileBytes > Math.max(this.compactSlackBytes, 2 * this.liveBytes)) this.compact();
  }

  /** Reads back what the journal holds (the live values decoded). */
  async load(): Promise<DurableState> {
    const { readable, lost } = decodeAll(this.values);
    return assemble(readable.values(), { corrupt: lost.length, stableLost: lost.includes(STABLE_KEY) });
  }

  /** Waits for the sync in flight, then closes the file and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.syncing) await new Promise<void>((resolve) => this.idle.push(resolve));
    closeSync(this.fd);
    unlinkSync(join(this.dir, LOCK));
  }

  /** Applies one op to the live values. */
  private apply(op: number, key: string, value: Uint8Array): void {
    const old = this.values.get(key);
    if (old) this.liveBytes -= key.length + old.length + 9;
    if (op === 1) {
      this.values.delete(key);
      return;
    }
    this.values.set(key, value);
    this.liveBytes += key.length + value.length + 9;
  }

  /** Rewrites the live values as one record in a new file, synced, then renamed over the journal. */
  private compact(): void {
    const ops = [...this.values].map(([key, value]) => ({ op: 0, key, value }));
    const bytes = record(encode(GROUP, { ops }));
    const temp = join(this.dir, TEMP);
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, bytes);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(this.dir, FILE));
    syncDir(this.dir);
    closeSync(this.fd);
    this.fd = openSync(join(this.dir, FILE), 'a');
    this.fileBytes = bytes.length;
  }
}

/** Makes a directory's entries (a new or renamed file) durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Decodes live values into readable entries and lost keys (as the LevelDB store's scan does). */
function decodeAll(values: ReadonlyMap<string, Uint8Array>): {
  readable: Map<string, Entry>;
  lost: string[];
} {
  const readable = new Map<string, Entry>();
  const lost: string[] = [];
  for (const [key, value] of [...values].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const info = parseKey(key);
    const entry = info && decodeValue(key, info, value);
    if (entry) readable.set(key, entry);
    else lost.push(key);
  }
  return { readable, lost };
}
