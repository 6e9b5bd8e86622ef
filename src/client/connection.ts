/**
 * A client process's connection to the replicas: one libp2p transport (one connection per replica)
 * that carries the traffic of one client, or of several when cluster.json says they connect `via`
 * one of them. Every frame a replica sends to a client names the client in its body; the
 * connection reads that name and hands the frame to that client only, so clients sharing a
 * connection never parse each other's replies. Frames for no attached client are counted and
 * dropped. The transport stops when the last attached client detaches.
 */
import type { Cluster } from '../config/cluster.js';
import { CFT_KIND_TAGS, KIND_TAGS } from '../messages/schema.js';
import { startTransport } from '../net/node.js';
import type { NetCounters, Transport } from '../net/types.js';

/** Receives the frames addressed to one client, with the peer id they came from. */
export type FrameHandler = (from: string, frame: Uint8Array) => void;

/** Kinds a replica sends to a client: each body starts with a u53 (view or term), then the client (u32). */
const CLIENT_BOUND_TAGS: ReadonlySet<number> = new Set([
  KIND_TAGS.reply,
  CFT_KIND_TAGS['cft-reply'],
  CFT_KIND_TAGS.redirect,
]);
/** Envelope layout: kind (1), cluster (16), sender (4), body length (4), body, signature (64). */
const BODY_LENGTH_AT = 1 + 16 + 4;
const BODY_AT = BODY_LENGTH_AT + 4;
const SIGNATURE_BYTES = 64;
/** The client's offset inside a client-bound body: after the leading u53. */
const CLIENT_IN_BODY = 8;

/**
 * The client a replica-to-client frame is addressed to (a PBFT reply, a crash-fault reply or
 * redirect), or undefined when the frame is not one of those or its envelope does not add up. Only
 * the kind, the lengths and the client field are read, straight from the bytes (every reply frame
 * is routed before it is parsed, so this stays cheap); the client's reply rule does every check.
 * test/unit/client-connection.test.ts holds this to the schema with real sealed frames.
 */
export function addresseeOf(frame: Uint8Array): number | undefined {
  if (frame.length < BODY_AT + CLIENT_IN_BODY + 4 + SIGNATURE_BYTES) return undefined;
  if (!CLIENT_BOUND_TAGS.has(frame[0]!)) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const bodyLength = view.getUint32(BODY_LENGTH_AT);
  if (bodyLength < CLIENT_IN_BODY + 4 || BODY_AT + bodyLength + SIGNATURE_BYTES !== frame.length)
    return undefined;
  return view.getUint32(BODY_AT + CLIENT_IN_BODY);
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
