/**
 * The transport: one libp2p node (TCP, Noise, yamux) that carries length-prefixed frames between
 * configured principals over one long-lived stream per peer and direction. Each side writes only
 * on the stream it opened: a replica answers a client by opening its own stream on the connection
 * the client made (it never dials a client); any stream's incoming frames are read until it ends.
 */
import './polyfill.js';
import type { Connection, Libp2p, PeerId, PrivateKey, Stream, StreamMessageEvent } from '@libp2p/interface';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { FrameDecoder } from './frame-codec.js';
import { createHost, DIAL_TIMEOUT_MS, FRAME_PROTOCOL } from './host.js';
import { privateKeyOf } from './identity.js';
import { type LinkHost, PeerLink } from './peer-link.js';
import type { NetCounters, NetOptions, PeerInfo, Transport } from './types.js';

/** Frame streams one peer may open to us on one connection (one is the norm; the rest is slack for reopening). */
const MAX_FRAME_STREAMS_PER_CONNECTION = 4;

/** Error used to reset a stream whose peer announced a frame over the cap. */
export class FrameTooLargeError extends Error {
  /** Machine-readable code, in the project's error style. */
  readonly code = 'FRAME_TOO_LARGE';
}

/** Fresh zeroed counters. */
function newCounters(): NetCounters {
  return {
    framesQueued: 0,
    framesDroppedQueueFull: 0,
    framesDroppedNoRoute: 0,
    framesIn: 0,
    framesOversize: 0,
    bytesOut: 0,
    bytesIn: 0,
    connectionsRefused: 0,
    writes: 0,
    framesDroppedOversize: 0,
    dialFailures: 0,
    callbackErrors: 0,
  };
}

/** A configured peer's addresses, each ending in its /p2p/ id so the dial authenticates it. */
function dialAddrs(peer: PeerInfo): Multiaddr[] {
  return peer.addrs.map((a) => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peer.peerId}`));
}

/** The running transport; `startTransport` builds it. */
class Libp2pTransport implements Transport, LinkHost {
  /** Counters since start. */
  readonly counters: NetCounters;
  /** This node's peer id. */
  readonly peerId: string;
  /** Per-peer queue bound (LinkHost). */
  readonly maxQueueBytes: number;
  /** The libp2p node; set once by `start` (undefined if it failed before creating one). */
  private node: Libp2p | undefined;
  /** One link per configured peer, by peer id string. */
  private readonly links = new Map<string, PeerLink>();
  /** Parsed peer ids, so the hot path never re-parses strings. */
  private readonly ids = new Map<string, PeerId>();
  /** Dial addresses of dialled peers. */
  private readonly addrs = new Map<string, Multiaddr[]>();
  /** Links with frames queued this turn. */
  private readonly dirty = new Set<PeerLink>();
  /** The pending end-of-turn flush, if scheduled. */
  private flushHandle: NodeJS.Immediate | undefined;
  /** True once `stop` began. */
  private stopped = false;

  /** Validates options and prepares links; `start` brings the node up. */
  constructor(
    private readonly options: NetOptions,
    private readonly privateKey: PrivateKey,
  ) {
    const selfPeerId = peerIdFromPrivateKey(privateKey).toString();
    if (!(options.maxFrameBytes > 0) || !(options.maxQueueBytes > 0)) {
      throw new RangeError('maxFrameBytes and maxQueueBytes must be positive');
    }
    this.counters = newCounters();
    this.peerId = selfPeerId;
    this.maxQueueBytes = options.maxQueueBytes;
    for (const peer of options.peers) {
      if (peer.peerId === selfPeerId || this.links.has(peer.peerId)) continue;
      this.ids.set(peer.peerId, peerIdFromString(peer.peerId));
      const dialled = peer.addrs.length > 0;
      if (dialled) this.addrs.set(peer.peerId, dialAddrs(peer));
      this.links.set(peer.peerId, new PeerLink(this, peer.peerId, dialled));
    }
  }

  /** Starts libp2p, registers the frame protocol and dials every peer that has addresses. */
  async start(): Promise<void> {
    const hostOptions = {
      privateKey: this.privateKey,
      listen: this.options.listen,
      allowed: new Set(this.links.keys()),
      onRefused: () => {
        this.counters.connectionsRefused++;
      },
      maxFrameBytes: this.options.maxFrameBytes,
      maxQueueBytes: this.options.maxQueueBytes,
    };
    await createHost(hostOptions, async (node) => {
      this.node = node;
      node.addEventListener('peer:connect', (evt) => this.onPeerEvent(evt.detail, true));
      node.addEventListener('peer:disconnect', (evt) => this.onPeerEvent(evt.detail, false));
      await node.handle(FRAME_PROTOCOL, (stream, connection) => this.onInboundStream(stream, connection), {
        maxInboundStreams: MAX_FRAME_STREAMS_PER_CONNECTION,
        maxOutboundStreams: MAX_FRAME_STREAMS_PER_CONNECTION,
      });
    });
    for (const link of this.links.values()) if (link.dialled) link.connect();
  }

  /** Queues a frame for a peer; frames queued in one turn go out as one write. */
  send(peerId: string, frame: Uint8Array): void {
    if (!(frame instanceof Uint8Array)) throw new TypeError('a frame must be a Uint8Array');
    if (this.stopped) return;
    const link = this.links.get(peerId);
    if (link === undefined) {
      this.counters.framesDroppedNoRoute++;
      return;
    }
    if (frame.byteLength > this.options.maxFrameBytes) {
      this.counters.framesDroppedOversize++;
      return;
    }
    if (!link.dialled && !link.hasStream() && this.openConnection(peerId) === undefined) {
      this.counters.framesDroppedNoRoute++;
      return;
    }
    if (link.enqueue(frame)) this.scheduleFlush(link);
  }

  /** Peer ids with an open connection. */
  connectedPeers(): string[] {
    if (this.stopped || this.node === undefined) return [];
    return this.node.getPeers().map((p) => p.toString());
  }

  /** Addresses the node listens on, with the actual ports and a /p2p/ suffix. */
  listenAddrs(): string[] {
    if (this.stopped || this.node === undefined) return [];
    return this.node.getMultiaddrs().map((a) => a.toString());
  }

  /** Cancels timers, closes every connection and stops listening; never throws. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.flushHandle !== undefined) clearImmediate(this.flushHandle);
    this.flushHandle = undefined;
    this.dirty.clear();
    for (const link of this.links.values()) link.close();
    try {
      await this.node?.stop();
    } catch {
      // Stopping is best effort: a connection that fails to close cleanly is gone anyway.
    }
  }

  /** LinkHost: opens the frame stream, dialling dialled peers, else over an existing connection. */
  openStream(link: PeerLink): Promise<Stream> | undefined {
    const options = { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) };
    const existing = this.openConnection(link.peerId);
    if (existing !== undefined) return existing.newStream(FRAME_PROTOCOL, options);
    const addrs = this.addrs.get(link.peerId);
    if (addrs === undefined || this.node === undefined) return undefined;
    return this.node.dial(addrs, options).then((conn) => conn.newStream(FRAME_PROTOCOL, options));
  }

  /** LinkHost: reads frames from a stream until it ends; an oversize prefix resets the stream. */
  attachReader(stream: Stream, peerId: string): void {
    const decoder = new FrameDecoder(this.options.maxFrameBytes, (frame) => this.deliver(peerId, frame));
    stream.addEventListener('message', (evt: StreamMessageEvent) => {
      const data = evt.data;
      this.counters.bytesIn += data.byteLength;
      let ok = true;
      if (data instanceof Uint8Array) ok = decoder.push(data);
      else for (const chunk of data) if (ok) ok = decoder.push(chunk);
      if (!ok) {
        this.counters.framesOversize++;
        stream.abort(
          new FrameTooLargeError(`a frame from ${peerId} exceeds ${this.options.maxFrameBytes} bytes`),
        );
      }
    });
  }

  /** LinkHost: asks for the link's flush at the end of this event-loop turn. */
  scheduleFlush(link: PeerLink): void {
    this.dirty.add(link);
    this.flushHandle ??= setImmediate(() => this.flushDirty());
  }

  /** LinkHost: true once `stop` began. */
  isStopped(): boolean {
    return this.stopped;
  }

  /** Writes out every link that queued frames this turn. */
  private flushDirty(): void {
    this.flushHandle = undefined;
    const links = [...this.dirty];
    this.dirty.clear();
    for (const link of links) link.flush();
  }

  /** Hands a frame to the caller, shielding the transport from a throwing callback. */
  private deliver(peerId: string, frame: Uint8Array): void {
    this.counters.framesIn++;
    try {
      this.options.onFrame(peerId, frame);
    } catch {
      this.counters.callbackErrors++;
    }
  }

  /** A peer opened a frame stream to us: read it; close our (unused) side once theirs ends. */
  private onInboundStream(stream: Stream, connection: Connection): void {
    const peerId = connection.remotePeer.toString();
    if (this.stopped || !this.links.has(peerId)) {
      stream.abort(new Error('unknown peer'));
      return;
    }
    this.attachReader(stream, peerId);
    stream.addEventListener('remoteCloseWrite', () => {
      stream.close().catch(() => undefined);
    });
  }

  /** Tracks connection changes: informs the link and the caller. */
  private onPeerEvent(remote: PeerId, connected: boolean): void {
    if (this.stopped) return;
    const peerId = remote.toString();
    const link = this.links.get(peerId);
    if (link === undefined) return;
    if (connected) link.onConnected();
    else link.onDisconnected();
    try {
      this.options.onPeer?.(peerId, connected);
    } catch {
      this.counters.callbackErrors++;
    }
  }

  /** An open connection to the peer, if any. */
  private openConnection(peerId: string): Connection | undefined {
    const id = this.ids.get(peerId);
    if (id === undefined || this.node === undefined) return undefined;
    return this.node.getConnections(id).find((c) => c.status === 'open');
  }
}

/**
 * Starts a transport node: listens, dials every peer with addresses, and keeps those links up.
 * Rejects (after releasing what it started) if the node cannot start, e.g. a listen port in use.
 */
export async function startTransport(options: NetOptions): Promise<Transport> {
  const transport = new Libp2pTransport(options, await privateKeyOf(options.secretKey));
  try {
    await transport.start();
  } catch (err) {
    await transport.stop();
    throw err;
  }
  return transport;
}
