/**
 * Builds the libp2p node under the transport: TCP, Noise, yamux, no discovery and no services
 * (no identify, no ping), with a connection gater that admits only configured peer ids and yamux
 * buffers bounded from the transport's own limits.
 */
import './polyfill.js';
import './yamux-window.js';
import './length-decoder.js';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { ConnectionGater, Libp2p, PeerId, PrivateKey } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { createLibp2p, type Libp2pInit } from 'libp2p';

/** The protocol id of the frame stream. */
export const FRAME_PROTOCOL = '/bftledger/frames/1.0.0';

/** Size of a yamux data message and of the initial stream window (the yamux minimum). */
const YAMUX_CHUNK_BYTES = 64 * 1024;
/** Ceiling of a yamux stream's receive window: how far a sender may run ahead of us. */
const MAX_STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
/** Streams of any protocol a peer may have open on one connection, each way. */
const MAX_STREAMS_PER_CONNECTION = 16;
/** Interval of yamux keep-alive pings: they keep idle links from hitting the socket timeout. */
const KEEP_ALIVE_MS = 10_000;
/** A socket silent this long (not even a keep-alive ping) is presumed dead and closed. */
const SOCKET_INACTIVITY_MS = 60_000;
/** Bound on a dial and on stream negotiation. */
export const DIAL_TIMEOUT_MS = 5_000;

/** What the host needs from the transport. */
export interface HostOptions {
  /** The node's libp2p private key. */
  readonly privateKey: PrivateKey;
  /** Multiaddrs to listen on (may be empty). */
  readonly listen: readonly string[];
  /** Peer ids (string form) allowed to connect or be dialled. */
  readonly allowed: ReadonlySet<string>;
  /** Called for every connection or dial the gater refuses. */
  readonly onRefused: () => void;
  /** Largest frame, which sizes the per-stream read buffer. */
  readonly maxFrameBytes: number;
  /** Per-peer queue bound, which sizes the per-stream write buffer backstop. */
  readonly maxQueueBytes: number;
}

/** A gater that refuses any peer id not in `allowed`, once the remote is authenticated. */
export function allowListGater(allowed: ReadonlySet<string>, onRefused: () => void): ConnectionGater {
  const deny = (peerId: PeerId): boolean => {
    if (allowed.has(peerId.toString())) return false;
    onRefused();
    return true;
  };
  return {
    denyDialPeer: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny,
  };
}

/**
 * Creates the libp2p node, lets `prepare` register handlers and listeners before anything can
 * connect, then starts it; if that fails, stops what did start and rejects.
 */
export async function createHost(
  options: HostOptions,
  prepare?: (node: Libp2p) => Promise<void> | void,
): Promise<Libp2p> {
  const node = await createLibp2p({ ...libp2pConfig(options), start: false });
  try {
    await prepare?.(node);
    await node.start();
  } catch (err) {
    try {
      await node.stop();
    } catch {
      // The start error is the one worth reporting.
    }
    throw err;
  }
  return node;
}

/** The libp2p configuration: minimal stack, gated, with bounded yamux buffers. */
function libp2pConfig(options: HostOptions): Libp2pInit {
  const peerCount = options.allowed.size;
  return {
    privateKey: options.privateKey,
    addresses: { listen: [...options.listen] },
    transports: [
      tcp({
        inboundSocketInactivityTimeout: SOCKET_INACTIVITY_MS,
        outboundSocketInactivityTimeout: SOCKET_INACTIVITY_MS,
      }),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [
      yamux({
        enableKeepAlive: true,
        keepAliveInterval: KEEP_ALIVE_MS,
        maxInboundStreams: MAX_STREAMS_PER_CONNECTION,
        maxOutboundStreams: MAX_STREAMS_PER_CONNECTION,
        maxEarlyStreams: MAX_STREAMS_PER_CONNECTION,
        maxMessageSize: YAMUX_CHUNK_BYTES,
        streamOptions: {
          initialStreamWindowSize: 4 * YAMUX_CHUNK_BYTES,
          maxStreamWindowSize: MAX_STREAM_WINDOW_BYTES,
          maxReadBufferLength: Math.max(MAX_STREAM_WINDOW_BYTES, 2 * options.maxFrameBytes),
          maxWriteBufferLength: options.maxQueueBytes + 4 * YAMUX_CHUNK_BYTES,
        },
      }),
    ],
    connectionGater: allowListGater(options.allowed, options.onRefused),
    connectionManager: {
      maxConnections: Math.max(64, 4 * peerCount),
      // All clients of a local cluster share one address; the default (5/s per host) is for the open network.
      inboundConnectionThreshold: Math.max(100, 4 * peerCount),
      maxIncomingPendingConnections: Math.max(32, peerCount),
      dialTimeout: DIAL_TIMEOUT_MS,
      reconnectRetries: 0,
    },
    connectionMonitor: { enabled: false },
  };
}
