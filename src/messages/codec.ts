/**
 * A small schema language for the wire format, with a strict canonical binary encoding.
 *
 * Why not protobuf: protobuf decoding accepts many byte strings for one message (unknown fields,
 * repeated fields, non-minimal varints), so signed bytes and decoded content drift apart, and its
 * decoders allocate before they check bounds. Here every schema is a bijection between values and
 * byte strings: integers are fixed-width big-endian, every length is checked against the schema's
 * bound before anything is read, and trailing bytes are an error. One schema is the single source
 * of truth for the TypeScript type (inferred) and the encoder and decoder.
 */

/** Why a byte string is not a valid encoding. Stable strings: they become metric labels. */
export type DecodeFailure = 'truncated' | 'trailing-bytes' | 'too-long' | 'bad-value';

/** Thrown only inside this module; `decode` turns it into a result, so it never escapes. */
class DecodeError extends Error {
  constructor(readonly failure: DecodeFailure) {
    super(failure);
  }
}

/** Appends to a growable buffer. */
export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  /** Bytes written so far. */
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.view.setUint32(this.length, Math.floor(v / 2 ** 32));
    this.view.setUint32(this.length + 4, v >>> 0);
    this.length += 8;
  }
  raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** The bytes written, copied out so the writer's buffer can be dropped. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Reads from a byte string, checking every bound before it reads. */
export class Reader {
  private readonly view: DataView;
  /** Read position. */
  pos = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new DecodeError('truncated');
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const hi = this.view.getUint32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    this.pos += 8;
    // Values above 2^53 - 1 are refused so every integer is an exact JS number.
    if (hi > 0x1fffff) throw new DecodeError('bad-value');
    return hi * 2 ** 32 + lo;
  }
  /** A view into the input (no copy). */
  raw(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** A schema node: encodes and decodes one value of type T. */
export interface Codec<T> {
  encode(w: Writer, v: T): void;
  decode(r: Reader): T;
}

/** The TypeScript type a codec stands for. */
export type Infer<C> = C extends Codec<infer T> ? T : never;

/** Unsigned 8-bit integer. */
export const u8: Codec<number> = {
  encode: (w, v) => w.u8(v),
  decode: (r) => r.u8(),
};

/** Unsigned 32-bit integer, big-endian. */
export const u32: Codec<number> = {
  encode: (w, v) => w.u32(v),
  decode: (r) => r.u32(),
};

/** Unsigned integer up to 2^53 - 1 in 8 bytes big-endian (views, sequence numbers, timestamps). */
export const u53: Codec<number> = {
  encode: (w, v) => w.u64(v),
  decode: (r) => r.u64(),
};

/** A boolean as one byte, 0 or 1 (any other byte is refused, so the encoding stays canonical). */
export const bool: Codec<boolean> = {
  encode: (w, v) => w.u8(v ? 1 : 0),
  decode: (r) => {
    const b = r.u8();
    if (b > 1) throw new DecodeError('bad-value');
    return b === 1;
  },
};

/** Exactly `n` bytes (digests, keys, signatures). */
export function fixed(n: number): Codec<Uint8Array> {
  return {
    encode: (w, v) => {
      if (v.length !== n) throw new RangeError(`fixed(${n}): got ${v.length} bytes`);
      w.raw(v);
    },
    decode: (r) => r.raw(n),
  };
}

/** A length-prefixed byte string of at most `max` bytes. */
export function bytes(max: number): Codec<Uint8Array> {
  return {
    encode: (w, v) => {
      if (v.length > max) throw new RangeError(`bytes(${max}): got ${v.length} bytes`);
      w.u32(v.length);
      w.raw(v);
    },
    decode: (r) => {
      const len = r.u32();
      if (len > max) throw new DecodeError('too-long');
      return r.raw(len);
    },
  };
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A UTF-8 string of at most `max` bytes; invalid UTF-8 is refused. */
export function str(max: number): Codec<string> {
  const inner = bytes(max);
  return {
    encode: (w, v) => inner.encode(w, utf8Encoder.encode(v)),
    decode: (r) => {
      const b = inner.decode(r);
      try {
        return utf8Decoder.decode(b);
      } catch {
        throw new DecodeError('bad-value');
      }
    },
  };
}

/** A length-prefixed list of at most `max` items. */
export function list<T>(item: Codec<T>, max: number): Codec<T[]> {
  return {
    encode: (w, v) => {
      if (v.length > max) throw new RangeError(`list(${max}): got ${v.length} items`);
      w.u32(v.length);
      for (const x of v) item.encode(w, x);
    },
    decode: (r) => {
      const len = r.u32();
      if (len > max) throw new DecodeError('too-long');
      const out: T[] = [];
      for (let i = 0; i < len; i++) out.push(item.decode(r));
      return out;
    },
  };
}

/** A record of named fields, encoded in the order the schema lists them. */
export function struct<S extends Record<string, Codec<unknown>>>(
  fields: S,
): Codec<{ [K in keyof S]: Infer<S[K]> }> {
  const entries = Object.entries(fields);
  return {
    encode: (w, v) => {
      for (const [name, codec] of entries) codec.encode(w, (v as Record<string, unknown>)[name]);
    },
    decode: (r) => {
      const out: Record<string, unknown> = {};
      for (const [name, codec] of entries) out[name] = codec.decode(r);
      return out as { [K in keyof S]: Infer<S[K]> };
    },
  };
}

/** A tagged union: one byte of tag, then the variant's fields. Unknown tags are refused. */
export function union<S extends Record<string, Codec<unknown>>>(
  variants: S,
): Codec<{ [K in keyof S]: { type: K; value: Infer<S[K]> } }[keyof S]> {
  const names = Object.keys(variants);
  if (names.length > 255) throw new RangeError('union: too many variants');
  return {
    encode: (w, v) => {
      const tag = names.indexOf(v.type as string);
      if (tag < 0) throw new RangeError(`union: unknown variant ${String(v.type)}`);
      w.u8(tag);
      variants[v.type]!.encode(w, v.value);
    },
    decode: (r) => {
      const name = names[r.u8()];
      if (name === undefined) throw new DecodeError('bad-value');
      return { type: name, value: variants[name]!.decode(r) } as {
        [K in keyof S]: { type: K; value: Infer<S[K]> };
      }[keyof S];
    },
  };
}

/** Encodes a value. Throws RangeError on a value outside the schema: that is a bug in the caller. */
export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  const w = new Writer();
  codec.encode(w, value);
  return w.finish();
}

/** The outcome of decoding untrusted bytes. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; failure: DecodeFailure };

/** Decodes untrusted bytes. Never throws: a bad encoding is a result, not an exception. */
export function decode<T>(codec: Codec<T>, input: Uint8Array): DecodeResult<T> {
  const r = new Reader(input);
  try {
    const value = codec.decode(r);
    if (r.pos !== input.length) return { ok: false, failure: 'trailing-bytes' };
    return { ok: true, value };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, failure: e.failure };
    // Anything else is a RangeError from a typed array on hostile input: still the input's fault.
    return { ok: false, failure: 'bad-value' };
  }
}
