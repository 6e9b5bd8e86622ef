/**
 * Yamux flow control with fewer window updates. @chainsafe/libp2p-yamux 8 answers every data frame
 * it receives with a WINDOW_UPDATE frame, so each frame we send costs the peer a second Noise
 * encryption and socket write and us a second read: measured, about a third of the transport's
 * per-message cost. Like go-yamux, a stream here grants more window only once half of it has been
 * consumed. Flow control stays sound: a sender blocked on an empty window means the receiver
 * consumed the whole window, more than half, so the update is always sent before the sender stalls.
 * Importing this module installs the policy (host.ts does, before any stream exists).
 */
import { YamuxStream } from '@chainsafe/libp2p-yamux/stream';

/** Yamux's StreamState.Established: the only state whose window updates carry no flags. */
const ESTABLISHED = 3;

/** Whether a receive window with `capacity` of `window` bytes left should be replenished now. */
export function windowUpdateDue(window: number, capacity: number): boolean {
  return capacity * 2 <= window;
}

/** The stream fields the policy reads (private in yamux's typings, plain properties at run time). */
interface WindowFields {
  state: number;
  recvWindow: number;
  recvWindowCapacity: number;
}

/** Set once the prototype is patched, so importing twice patches once. */
const PATCHED = Symbol.for('bftledger.yamux-window');

/** Installs the half-window policy on YamuxStream (idempotent). */
export function installWindowPolicy(): void {
  const proto = YamuxStream.prototype as unknown as Record<symbol, unknown> & {
    sendWindowUpdate: (this: WindowFields) => void;
  };
  if (proto[PATCHED] === true) return;
  const original = proto.sendWindowUpdate;
  proto.sendWindowUpdate = function sendWindowUpdate(this: WindowFields): void {
    if (this.state === ESTABLISHED && !windowUpdateDue(this.recvWindow, this.recvWindowCapacity)) return;
    original.call(this);
  };
  proto[PATCHED] = true;
}

installWindowPolicy();
