/**
 * Fetching a snapshot for a certified checkpoint. The certificate (a quorum of signed CHECKPOINTs)
 * fixes the digest, so one peer is enough to serve the bytes and no single peer is trusted: a
 * snapshot whose digest differs marks that peer bad and the next one is asked.
 */
import type { Message } from '../../messages/types.js';
import type { CheckpointCertificate } from './checkpoints.js';

/** What a fetch-state asks for (the `what` field). */
export const FETCH = {
  /** Committed batches from `seq` on: answered by relaying the stored signed messages. */
  log: 0,
  /** Part `part` of the snapshot at the stable checkpoint `seq`. */
  snapshot: 1,
} as const;

/** Progress of fetching one snapshot. */
export class SnapshotFetch {
  /** Chunks received so far, by part number. */
  private readonly chunks = new Map<number, Uint8Array>();
  /** Total parts, known from the first chunk. */
  private parts = 0;
  /** Peers that served data that did not match a certificate. */
  readonly badPeers = new Set<number>();
  /** The peer currently asked. */
  peer = -1;

  constructor(
    /** The checkpoint whose state is fetched. */
    readonly target: CheckpointCertificate,
    private readonly n: number,
    private readonly self: number,
  ) {}

  /** Moves to the next peer that is neither this replica nor known bad; resets partial chunks. */
  nextPeer(): number {
    this.chunks.clear();
    this.parts = 0;
    for (let i = 1; i <= this.n; i++) {
      const candidate = (this.peer + i + this.n) % this.n;
      if (candidate !== this.self && !this.badPeers.has(candidate)) {
        this.peer = candidate;
        return candidate;
      }
    }
    // Every peer served bad data once: forgive and start over (bad data may have been a race).
    this.badPeers.clear();
    this.peer = (this.self + 1) % this.n;
    return this.peer;
  }

  /** The first part not yet received. */
  nextPart(): number {
    for (let p = 0; ; p++) if (!this.chunks.has(p)) return p;
  }

  /**
   * Records a chunk from the current peer. Returns the whole snapshot once all parts are in,
   * 'ignored' for a chunk that does not belong to this fetch, or 'more' when parts are missing.
   */
  add(msg: Message<'state-chunk'>): Uint8Array | 'ignored' | 'more' {
    const { seq, part, parts, data } = msg.body;
    if (msg.sender !== this.peer || seq !== this.target.seq || parts === 0 || part >= parts) return 'ignored';
    if (this.parts !== 0 && parts !== this.parts) return 'ignored';
    this.parts = parts;
    this.chunks.set(part, data);
    if (this.chunks.size < parts) return 'more';
    const total = [...this.chunks.values()].reduce((sum, c) => sum + c.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (let p = 0; p < parts; p++) {
      const chunk = this.chunks.get(p)!;
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/** Splits a snapshot into chunks of at most `chunkBytes` (at least one, possibly empty). */
export function chunkSnapshot(snapshot: Uint8Array, chunkBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < snapshot.length; off += chunkBytes)
    out.push(snapshot.subarray(off, off + chunkBytes));
  if (out.length === 0) out.push(new Uint8Array(0));
  return out;
}
