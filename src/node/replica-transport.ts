/**
 * The libp2p transport of a replica process, whatever protocol it runs: listen on the replica's
 * address, dial every other replica, admit the configured clients (they dial in), and bound frames
 * and queues by the cluster's parameters.
 */
import type { Server } from 'node:http';
import { type Cluster, loadKey } from '../config/cluster.js';
import { startTransport } from '../net/node.js';
import type { Transport } from '../net/types.js';
import { serveEndpoint } from './http-endpoint.js';
import type { RuntimeMetrics } from './metrics.js';

/** What the replica runtime handles for its transport. */
export interface ReplicaTransportHandlers {
  /** A frame from an authenticated peer. */
  readonly onFrame: (from: string, frame: Uint8Array) => void;
  /** A peer connected or disconnected. */
  readonly onPeer: () => void;
}

/** Starts replica `id`'s transport with its key from `dir`. */
export function startReplicaTransport(
  cluster: Cluster,
  dir: string,
  id: number,
  handlers: ReplicaTransportHandlers,
): Promise<Transport> {
  const self = cluster.replicas[id];
  if (self === undefined) throw new RangeError(`replica ${id} is not in the cluster`);
  return startTransport({
    secretKey: loadKey(dir, 'replica', id, cluster).secretKey,
    listen: [self.address],
    peers: [
      ...cluster.replicas.filter((r) => r.id !== id).map((r) => ({ peerId: r.peerId, addrs: [r.address] })),
      ...cluster.clients.map((c) => ({ peerId: c.peerId, addrs: [] })),
    ],
    maxFrameBytes: cluster.parameters.maxFrameBytes,
    maxQueueBytes: cluster.parameters.maxQueueBytes,
    onFrame: handlers.onFrame,
    onPeer: handlers.onPeer,
  });
}

/** A replica process's connections to the outside: its transport and, if served, its HTTP endpoint. */
export interface ReplicaIo {
  /** The running transport. */
  readonly transport: Transport;
  /** The /metrics and /status endpoint, unless the caller turned HTTP off. */
  readonly server: Server | undefined;
}

/** What `openReplicaIo` needs besides the cluster. */
export interface ReplicaIoOptions {
  /** The network directory (for the key). */
  readonly dir: string;
  /** This replica's id. */
  readonly id: number;
  /** Serve /metrics and /status on the configured port (default true). */
  readonly http?: boolean | undefined;
  /** The runtime's metrics: peers connected and transport counters are kept up to date here. */
  readonly metrics: RuntimeMetrics;
  /** A frame from an authenticated peer. */
  readonly onFrame: (from: string, frame: Uint8Array) => void;
  /** The /status document. */
  readonly status: () => object;
}

/**
 * Starts the transport, then the HTTP endpoint (both runtimes, either protocol). If the endpoint
 * cannot listen, the transport is stopped before the error propagates.
 */
export async function openReplicaIo(cluster: Cluster, o: ReplicaIoOptions): Promise<ReplicaIo> {
  const { metrics } = o;
  let transport: Transport | undefined;
  transport = await startReplicaTransport(cluster, o.dir, o.id, {
    onFrame: o.onFrame,
    onPeer: () => metrics.peersConnected.set(transport?.connectedPeers().length ?? 0),
  });
  if (o.http === false) return { transport, server: undefined };
  const started = transport;
  try {
    const server = await serveEndpoint(cluster.replicas[o.id]!.metricsPort, {
      registry: metrics.registry,
      beforeMetrics: () => {
        for (const [counter, value] of Object.entries(started.counters))
          metrics.transport.set({ counter }, value);
      },
      status: o.status,
    });
    return { transport, server };
  } catch (err) {
    await started.stop();
    throw err;
  }
}
