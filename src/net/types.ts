/**
 * The transport contract the runtime and the client library use. One libp2p node per process
 * (TCP, Noise, yamux); peers are named by libp2p peer id, which derives from the principal's
 * Ed25519 key, so the Noise handshake authenticates every frame's transport sender.
 */

/** A known principal the node may talk to (replicas are dialled; clients only connect in). */
export interface PeerInfo {
  /** The libp2p peer id (string form), derived from the principal's Ed25519 public key. */
  readonly peerId: string;
  /** Multiaddrs to dial; empty for principals that are never dialled (clients). */
  readonly addrs: readonly string[];
}

/** Counters the transport reports (the runtime exports them as metrics). */
export interface NetCounters {
  /** Frames handed to `send`, by outcome: queued, or dropped because the peer's queue was full. */
  framesQueued: number;
  /** Frames dropped because a peer's send queue was full (counted drop policy). */
  framesDroppedQueueFull: number;
  /** Frames dropped because no connection to the peer existed and it is not dialled. */
  framesDroppedNoRoute: number;
  /** Frames received and handed to `onFrame`. */
  framesIn: number;
  /** Frames refused on receipt for exceeding the frame size cap (the stream is then reset). */
  framesOversize: number;
  /** Bytes written to streams (frames and their length prefixes). */
  bytesOut: number;
  /** Bytes read from streams. */
  bytesIn: number;
  /** Connections refused by the gater (peer id not in the configuration). */
  connectionsRefused: number;
  /** Writes to streams: one per peer per event-loop turn at most. */
  writes: number;
  /** Frames refused by `send` for exceeding the frame size cap (never queued). */
  framesDroppedOversize: number;
  /** Failed attempts to dial a peer or open the frame stream to it (each is retried with backoff). */
  dialFailures: number;
  /** Exceptions thrown by the `onFrame`/`onPeer` callbacks (caught so the transport keeps running). */
  callbackErrors: number;
}

/** Options of a node. */
export interface NetOptions {
  /** This principal's 32-byte Ed25519 secret key (seed): the libp2p identity derives from it. */
  readonly secretKey: Uint8Array;
  /** Multiaddrs to listen on (e.g. '/ip4/127.0.0.1/tcp/7000'); empty for a client. */
  readonly listen: readonly string[];
  /** Everyone this node may talk to; connections from any other peer id are refused. */
  readonly peers: readonly PeerInfo[];
  /** Largest frame accepted or sent, in bytes. */
  readonly maxFrameBytes: number;
  /** Most bytes queued for one peer; beyond it new frames are dropped and counted. */
  readonly maxQueueBytes: number;
  /** Called for every frame received, with the Noise-authenticated sender. */
  readonly onFrame: (fromPeerId: string, frame: Uint8Array) => void;
  /** Called when a connection to a peer opens or closes (for status and metrics). */
  readonly onPeer?: (peerId: string, connected: boolean) => void;
}

/** A running transport node. */
export interface Transport {
  /** This node's peer id. */
  readonly peerId: string;
  /** Queues a frame for a peer; frames queued in one event-loop turn go out as one write. */
  send(peerId: string, frame: Uint8Array): void;
  /** Peer ids with an open connection. */
  connectedPeers(): string[];
  /** Addresses the node listens on (with the actual ports). */
  listenAddrs(): string[];
  /** Counters since start. */
  readonly counters: Readonly<NetCounters>;
  /** Closes every connection and stops listening. */
  stop(): Promise<void>;
}
