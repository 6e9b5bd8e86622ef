/**
 * A client process's connection to the replicas: one libp2p transport (one connection per replica)
 * that carries the traffic of one client, or of several when cluster.json says they connect `via`
 * one of them. Every frame a replica sends to a client names the client in its body; the
 * connection reads that name and hands the frame to that client only, so clients sharing a
 * connection never parse each other's replies. Frames for no attached client are counted and
 * dropped. The transport stops when the last attached client detaches.
 */
import type { Cluster } from '../config/cluster.js';
import { decode } from '../messages/codec.js';
import { BODIES, CFT_BODIES, CFT_KIND_TAGS, ENVELOPE, KIND_TAGS } from '../messages/schema.js';
import { startTransport } from '../net/node.js';
import type { NetCounters, Transport } from '../net/types.js';

/** Receives the frames addressed to one client, with the peer id they came from. */
export type FrameHandler = (from: string, frame: Uint8Array) => void;

/**
 * The client a replica-to-client frame is addressed to (a PBFT reply, a crash-fault reply or
 * redirect), or undefined when the frame is not one of those or does not decode. Only the envelope
 * and the body's structure are read here: the client's reply rule does every other check.
 */
export function addresseeOf(frame: Uint8Array): number | undefined {
  const env = decode(ENVELOPE, frame);
  if (!env.ok) return undefined;
  const codec =
    env.value.kind === KIND_TAGS.reply
      ? BODIES.reply
      : env.value.kind === CFT_KIND_TAGS['cft-reply']
        ? CFT_BODIES['cft-reply']
        : env.value.kind === CFT_KIND_TAGS.redirect
          ? CFT_BODIES.redirect
          : undefined;
  if (codec === undefined) return undefined;
  const body = decode<{ client: number }>(codec, env.value.body);
  return body.ok ? body.value.client : undefined;
}

/** A transport shared by the clients attached to it. */
export class ClientConnection {
  /** The handler of each attached client, by client id. */
  private readonly handlers = new Map<number, FrameHandler>();
  /** Frames that named no attached client (or none at all). */
  unrouted = 0;
  /** True once the transport was asked to stop. */
  private stopping: Promise<void> | undefined;

  private constructor(private transport: Transport | undefined) {}

  /**
   * Opens the connection under the libp2p identity `secretKey` (the key of the client whose
   * connection it is: the one the others name as `via`), dialling every replica.
   */
  static async open(cluster: Cluster, secretKey: Uint8Array): Promise<ClientConnection> {
    const connection = new ClientConnection(undefined);
    const p = cluster.parameters;
    connection.transport = await startTransport({
      secretKey,
      listen: [],
      peers: cluster.replicas.map((r) => ({ peerId: r.peerId, addrs: [r.address] })),
      maxFrameBytes: p.maxFrameBytes,
      maxQueueBytes: p.maxQueueBytes,
      onFrame: (from, frame) => connection.route(from, frame),
    });
    return connection;
  }

  /** The transport's counters (frames and bytes sent by every attached client together). */
  get counters(): Readonly<NetCounters> {
    return this.live().counters;
  }

  /** Routes frames addressed to client `id` to `handler`; a client attaches once. */
  attach(id: number, handler: FrameHandler): void {
    if (this.handlers.has(id)) throw new Error(`client ${id} is attached to this connection already`);
    this.handlers.set(id, handler);
  }

  /** Stops routing to client `id`; the transport stops once no client is attached. */
  async detach(id: number): Promise<void> {
    this.handlers.delete(id);
    if (this.handlers.size === 0) await this.close();
  }

  /** Queues a frame for a replica. */
  send(peerId: string, frame: Uint8Array): void {
    this.live().send(peerId, frame);
  }

  /** Peer ids of the replicas connected now. */
  connectedPeers(): string[] {
    return this.live().connectedPeers();
  }

  /** Stops the transport (idempotent). */
  close(): Promise<void> {
    this.stopping ??= this.live().stop();
    return this.stopping;
  }

  private route(from: string, frame: Uint8Array): void {
    const id = addresseeOf(frame);
    const handler = id === undefined ? undefined : this.handlers.get(id);
    if (handler === undefined) {
      this.unrouted++;
      return;
    }
    handler(from, frame);
  }

  private live(): Transport {
    if (this.transport === undefined) throw new Error('client connection is not open');
    return this.transport;
  }
}
