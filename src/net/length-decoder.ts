/**
 * Noise's frame decoder without an exception per chunk. @chainsafe/libp2p-noise 17 splits the
 * encrypted byte stream with @libp2p/utils' LengthPrefixedDecoder, whose loop asks the length
 * decoder for the next prefix until it throws a RangeError ("not enough bytes"), which it catches
 * to mean "wait for more". So every chunk read from a socket, having been consumed to its end,
 * ends with a thrown and caught RangeError, and building an Error captures a stack trace: measured
 * on this project's transport, a quarter of the CPU of a ping-pong over one connection.
 *
 * This module replaces the decoder's `decode` with the same algorithm that stops as soon as fewer
 * bytes are buffered than the shortest length prefix can occupy (one), before asking the length
 * decoder. With one byte or more it behaves exactly as the original, exception included, so the
 * split between frames, the limits and the errors are unchanged (test/unit/net.test.ts
 * checks this against frames split at every byte). Importing it installs it (host.ts does, before
 * any connection exists); a library upgrade must re-check that the class and its fields are as here.
 */
import { InvalidParametersError } from '@libp2p/interface';
import { InvalidMessageLengthError, LengthPrefixedDecoder } from '@libp2p/utils';

/** What `decode` uses of the decoder's buffer list (a Uint8ArrayList). */
interface ByteList {
  readonly byteLength: number;
  append(chunk: Uint8Array | ByteList): void;
  sublist(start: number, end: number): ByteList;
  consume(bytes: number): void;
}

/** The decoder's fields that `decode` uses (private in its typings, plain properties at run time). */
interface DecoderFields {
  buffer: ByteList;
  maxBufferSize: number;
  maxDataLength: number;
  lengthDecoder: (data: ByteList) => number;
  encodingLength: (length: number) => number;
}

/** Set once the prototype is patched, so importing twice patches once. */
const PATCHED = Symbol.for('bftledger.length-decoder');

/** `LengthPrefixedDecoder.prototype.decode`, without asking for a prefix in an empty buffer. */
function* decode(this: DecoderFields, chunk: Uint8Array | ByteList): Generator<ByteList> {
  this.buffer.append(chunk);
  if (this.buffer.byteLength > this.maxBufferSize) {
    throw new InvalidParametersError(
      `Buffer length limit exceeded - ${this.buffer.byteLength}/${this.maxBufferSize}`,
    );
  }
  // Every length prefix takes at least one byte: an empty buffer can only mean "wait for more".
  while (this.buffer.byteLength > 0) {
    let dataLength: number;
    try {
      dataLength = this.lengthDecoder(this.buffer);
    } catch (err) {
      if (err instanceof RangeError) return; // a prefix split across chunks: wait for more
      throw err;
    }
    if (dataLength < 0 || dataLength > this.maxDataLength) {
      throw new InvalidMessageLengthError('Invalid message length');
    }
    const prefixLength = this.encodingLength(dataLength);
    const chunkLength = prefixLength + dataLength;
    if (this.buffer.byteLength < chunkLength) return;
    const frame = this.buffer.sublist(prefixLength, chunkLength);
    this.buffer.consume(chunkLength);
    if (frame.byteLength > 0) yield frame;
  }
}

/** Installs the decoder on LengthPrefixedDecoder (idempotent). */
export function installLengthDecoder(): void {
  const proto = LengthPrefixedDecoder.prototype as unknown as Record<symbol, unknown> & {
    decode: typeof decode;
  };
  if (proto[PATCHED] === true) return;
  proto.decode = decode;
  proto[PATCHED] = true;
}

installLengthDecoder();
