/**
 * The libp2p transport of a replica process, whatever protocol it runs: listen on the replica's
 * address, dial every other replica, admit the configured clients (they dial in), and bound frames
 * and queues by the cluster's parameters.
 */
import { type Cluster, loadKey } from '../config/cluster.js';
import { startTransport } from '../net/node.js';
import type { Transport } from '../net/types.js';

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
