/**
 * One link per configured peer: its bounded send queue, its long-lived outbound frame stream, and
 * (for dialled peers) the reconnection loop. Frames queued in a turn leave as one `send()`; when
 * `send()` reports a full buffer the link waits for the stream's 'drain' event before writing again.
 */
import type { Stream } from '@libp2p/interface';
import { encodeFrames, FRAME_PREFIX_BYTES } from './frame-codec.js';
import type { NetCounters } from './types.js';

/** First reconnection delay; doubled after each failure. */
export const INITIAL_BACKOFF_MS = 50;
/** Ceiling of the reconnection delay. */
export const MAX_BACKOFF_MS = 2_000;

/** What a link needs from the transport that owns it. */
export interface LinkHost {
  /** Shared counters. */
  readonly counters: NetCounters;
  /** Bound on the bytes (prefixes included) queued for one peer, counting the stream's unsent bytes. */
  readonly maxQueueBytes: number;
  /** Opens the frame stream (dialling first for a dialled peer); undefined when there is no route. */
  openStream(link: PeerLink): Promise<Stream> | undefined;
  /** Starts reading frames the peer may send on a stream we opened. */
  attachReader(stream: Stream, peerId: string): void;
  /** Asks for `flush()` at the end of this event-loop turn. */
  scheduleFlush(link: PeerLink): void;
  /** True once the transport is stopping: no more dials or writes. */
  isStopped(): boolean;
}

/** The sending side of the conversation with one peer. */
export class PeerLink {
  /** Frames waiting for the next write, in order. */
  private queue: Uint8Array[] = [];
  /** Bytes in `queue`, length prefixes included. */
  private queuedBytes = 0;
  /** The open outbound frame stream, if any. */
  private stream: Stream | undefined;
  /** True while a dial or stream negotiation is in flight. */
  private opening = false;
  /** True after `send()` returned false, until the stream emits 'drain'. */
  private awaitingDrain = false;
  /** Delay before the next reconnection attempt. */
  private backoffMs = INITIAL_BACKOFF_MS;
  /** Pending reconnection timer. */
  private retryTimer: NodeJS.Timeout | undefined;

  /** `dialled` peers have addresses and are reconnected; the others are reached only when connected. */
  constructor(
    private readonly host: LinkHost,
    readonly peerId: string,
    readonly dialled: boolean,
  ) {}

  /** True while the outbound frame stream is open. */
  hasStream(): boolean {
    return this.stream !== undefined;
  }

  /** Queues a frame, or drops and counts it when the queue bound would be exceeded. */
  enqueue(frame: Uint8Array): boolean {
    const size = FRAME_PREFIX_BYTES + frame.byteLength;
    const unsent = this.stream?.writeBufferLength ?? 0;
    if (this.queuedBytes + unsent + size > this.host.maxQueueBytes) {
      this.host.counters.framesDroppedQueueFull++;
      return false;
    }
    this.queue.push(frame);
    this.queuedBytes += size;
    this.host.counters.framesQueued++;
    return true;
  }

  /** Writes everything queued as one `send()`, or opens the stream first if there is none. */
  flush(): void {
    if (this.queue.length === 0 || this.host.isStopped()) return;
    const stream = this.stream;
    if (stream === undefined) {
      this.connect();
      return;
    }
    if (this.awaitingDrain) {
      // A drain we missed leaves nothing buffered and no drain pending: carry on in that case.
      if (stream.writableNeedsDrain || stream.writeBufferLength > 0) return;
      this.awaitingDrain = false;
    }
    const frames = this.queue;
    const batch = encodeFrames(frames, this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    const counters = this.host.counters;
    counters.writes++;
    counters.bytesOut += batch.byteLength;
    try {
      if (!stream.send(batch)) this.awaitingDrain = true;
    } catch {
      // The stream closed under us: those frames are lost, like frames on a dropped connection.
      counters.framesDroppedNoRoute += frames.length;
      this.detach(stream);
    }
  }

  /** Opens the outbound stream unless one is open, being opened, or a retry is pending. */
  connect(): void {
    if (this.stream !== undefined || this.opening || this.retryTimer !== undefined) return;
    if (this.host.isStopped()) return;
    const pending = this.host.openStream(this);
    if (pending === undefined) {
      this.dropQueue();
      return;
    }
    this.opening = true;
    pending.then(
      (stream) => {
        this.opening = false;
        if (this.host.isStopped()) {
          stream.abort(new Error('transport stopped'));
          return;
        }
        this.attach(stream);
      },
      () => {
        this.opening = false;
        this.host.counters.dialFailures++;
        this.retryLater();
      },
    );
  }

  /** A connection to the peer opened: a dialled peer in backoff reconnects at once. */
  onConnected(): void {
    if (!this.dialled || this.stream !== undefined) return;
    this.cancelRetry();
    this.connect();
  }

  /** The last connection to the peer closed: dialled peers are redialled with backoff. */
  onDisconnected(): void {
    if (this.dialled) this.retryLater();
    else this.dropQueue();
  }

  /** Stops timers and forgets queued frames (the transport is stopping). */
  close(): void {
    this.cancelRetry();
    this.queue = [];
    this.queuedBytes = 0;
    this.stream = undefined;
  }

  /** Adopts a freshly negotiated stream and flushes what waited for it. */
  private attach(stream: Stream): void {
    this.stream = stream;
    this.awaitingDrain = false;
    this.backoffMs = INITIAL_BACKOFF_MS;
    stream.addEventListener('drain', () => {
      if (this.stream !== stream || !this.awaitingDrain) return;
      this.awaitingDrain = false;
      this.host.scheduleFlush(this);
    });
    stream.addEventListener('close', () => this.detach(stream));
    this.host.attachReader(stream, this.peerId);
    if (this.queue.length > 0) this.host.scheduleFlush(this);
  }

  /** Forgets a stream that closed or failed, then reconnects (dialled) or retries if frames wait. */
  private detach(stream: Stream): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.awaitingDrain = false;
    if (stream.status === 'open') stream.abort(new Error('frame stream failed'));
    if (this.dialled || this.queue.length > 0) this.retryLater();
  }

  /** Schedules `connect()` after the current backoff (with jitter), then doubles the backoff. */
  private retryLater(): void {
    if (this.retryTimer !== undefined || this.host.isStopped()) return;
    const delayMs = this.backoffMs * (0.5 + Math.random() / 2);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.dialled || this.queue.length > 0) this.connect();
    }, delayMs);
    this.retryTimer.unref();
  }

  /** Clears a pending reconnection timer. */
  private cancelRetry(): void {
    if (this.retryTimer === undefined) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Drops and counts queued frames that have no route to the peer. */
  private dropQueue(): void {
    this.host.counters.framesDroppedNoRoute += this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
  }
}
