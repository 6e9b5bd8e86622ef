/**
 * Wire framing of the frame stream: each frame is a 4-byte unsigned big-endian length followed by
 * that many bytes. A zero-length frame is legal (and delivered as an empty frame). The decoder
 * checks the length against the cap as soon as the 4 prefix bytes are in, so an oversize frame is
 * refused before any of its body is buffered; a stream that ends inside a frame loses that tail.
 */

/** Bytes of the length prefix in front of every frame. */
export const FRAME_PREFIX_BYTES = 4;

/** Concatenates frames, each behind its length prefix, into one buffer of `totalBytes` bytes. */
export function encodeFrames(frames: readonly Uint8Array[], totalBytes: number): Uint8Array {
  const out = new Uint8Array(totalBytes);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let offset = 0;
  for (const frame of frames) {
    view.setUint32(offset, frame.byteLength, false);
    out.set(frame, offset + FRAME_PREFIX_BYTES);
    offset += FRAME_PREFIX_BYTES + frame.byteLength;
  }
  if (offset !== totalBytes)
    throw new Error(`encodeFrames: ${offset} bytes encoded, ${totalBytes} announced`);
  return out;
}

/** Incremental decoder for one stream: feed it chunks in order, it calls `deliver` per frame. */
export class FrameDecoder {
  /** Prefix bytes gathered when a prefix straddles two chunks. */
  private readonly prefix = new Uint8Array(FRAME_PREFIX_BYTES);
  /** How many bytes of `prefix` are filled (0 when not inside a split prefix). */
  private prefixFill = 0;
  /** The body being assembled when a frame straddles chunks; null between frames. */
  private body: Uint8Array | null = null;
  /** How many bytes of `body` are filled. */
  private bodyFill = 0;
  /** Set once an oversize prefix was seen: the stream is then unusable and gets reset. */
  private failed = false;

  /** `maxFrameBytes` caps a frame's body; `deliver` receives each frame as a fresh copy. */
  constructor(
    private readonly maxFrameBytes: number,
    private readonly deliver: (frame: Uint8Array) => void,
  ) {}

  /** Consumes a chunk; returns false when a length prefix exceeded the cap (stop feeding then). */
  push(chunk: Uint8Array): boolean {
    if (this.failed) return false;
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (this.body !== null) {
        offset = this.fillBody(chunk, offset);
        continue;
      }
      const length = this.readPrefix(chunk, offset);
      if (length === undefined) return true; // split prefix: wait for the next chunk
      offset = length.next;
      if (length.value > this.maxFrameBytes) {
        this.failed = true;
        return false;
      }
      const available = chunk.byteLength - offset;
      if (available >= length.value) {
        this.deliver(chunk.slice(offset, offset + length.value));
        offset += length.value;
      } else {
        this.body = new Uint8Array(length.value);
        this.bodyFill = 0;
      }
    }
    return true;
  }

  /** Reads a prefix at `offset` (completing a split one); undefined if the chunk ran out first. */
  private readPrefix(chunk: Uint8Array, offset: number): { value: number; next: number } | undefined {
    if (this.prefixFill === 0 && chunk.byteLength - offset >= FRAME_PREFIX_BYTES) {
      const value =
        ((chunk[offset]! << 24) |
          (chunk[offset + 1]! << 16) |
          (chunk[offset + 2]! << 8) |
          chunk[offset + 3]!) >>>
        0;
      return { value, next: offset + FRAME_PREFIX_BYTES };
    }
    const take = Math.min(FRAME_PREFIX_BYTES - this.prefixFill, chunk.byteLength - offset);
    this.prefix.set(chunk.subarray(offset, offset + take), this.prefixFill);
    this.prefixFill += take;
    if (this.prefixFill < FRAME_PREFIX_BYTES) return undefined;
    this.prefixFill = 0;
    const value = new DataView(this.prefix.buffer).getUint32(0, false);
    return { value, next: offset + take };
  }

  /** Copies what the chunk holds of the pending body; delivers it once complete. */
  private fillBody(chunk: Uint8Array, offset: number): number {
    const body = this.body!;
    const take = Math.min(body.byteLength - this.bodyFill, chunk.byteLength - offset);
    body.set(chunk.subarray(offset, offset + take), this.bodyFill);
    this.bodyFill += take;
    if (this.bodyFill === body.byteLength) {
      this.body = null;
      this.deliver(body);
    }
    return offset + take;
  }
}
