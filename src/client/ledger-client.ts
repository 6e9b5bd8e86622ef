/**
 * The client library: signs transactions with the client's key, sends them to the primary (and to
 * every replica after a timeout), and accepts a result only when f + 1 replicas sent matching
 * signed replies, so at least one correct replica vouches for it. One request is outstanding at a
 * time; timestamps grow strictly (derived from the wall clock, so they keep growing across
 * restarts of the client process). View changes are transparent: the client learns the current
 * view from the replies and retransmits to everyone when the primary does not answer.
 */
import type { Cluster } from '../config/cluster.js';
import { maxFaulty } from '../core/quorum.js';
import type { Signer } from '../crypto/types.js';
import {
  decodeResult,
  encodeBalance,
  encodeMint,
  encodeTransfer,
  RESULT_CODE_NAMES,
} from '../ledger/index.js';
import { type BoundaryContext, type ParsedFrame, parseFrame, verifyFrame } from '../messages/boundary.js';
import { seal } from '../messages/envelope.js';
import type { Message } from '../messages/types.js';
import { startTransport } from '../net/node.js';
import type { NetCounters, Transport } from '../net/types.js';
import { principalsOf } from '../node/principals.js';

/** Why a request did not complete. */
export class ClientError extends Error {
  constructor(
    /** 'timeout' when no f + 1 matching replies arrived in time; 'closed' after close(). */
    readonly code: 'timeout' | 'closed',
    message: string,
  ) {
    super(message);
  }
}

/** A completed request, as f + 1 replicas reported it. */
export interface Outcome {
  /** Always 'committed': the request was ordered and executed. */
  readonly status: 'committed';
  /** Sequence number of the batch it executed in. */
  readonly seq: number;
  /** Highest view among the matching replies. */
  readonly view: number;
  /** The ledger's answer: an error code (kebab-case) and the relevant balance as a decimal string. */
  readonly result: { readonly code: string; readonly balance: string };
  /** The client's timestamp of the request. */
  readonly timestamp: number;
}

/** What a client needs to run. */
export interface ClientOptions {
  /** The cluster configuration. */
  readonly cluster: Cluster;
  /** This client's id. */
  readonly id: number;
  /** This client's signer and raw secret key (the libp2p identity derives from it). */
  readonly signer: Signer;
  readonly secretKey: Uint8Array;
  /** Give up on a request after this long (ms). */
  readonly deadlineMs?: number;
  /** How long `connect` waits for a quorum of replicas to be connected (ms). */
  readonly connectTimeoutMs?: number;
  /**
   * Send requests with an all-zero signature instead of signing them (benchmarks of the null
   * workload only: replicas accept them only when cluster.json enables `unsignedRequests`).
   */
  readonly unsignedRequests?: boolean;
}

/** The signature an unsigned request carries. */
export const UNSIGNED_SIGNATURE = new Uint8Array(64);

/** The request in flight and what has been gathered for it. */
interface InFlight {
  readonly request: Message<'request'>;
  /** Replies by replica, keyed by (seq, result) so only matching ones count together. */
  readonly votes: Map<string, Map<number, ParsedFrame>>;
  readonly resolve: (o: Outcome) => void;
  readonly reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** Current retransmission interval (doubles, capped). */
  intervalMs: number;
}

/** A client of a bftledger cluster. */
export class LedgerClient {
  /** The last timestamp used. */
  private lastTimestamp = 0;
  /** The highest view seen in a valid reply: where the primary is. */
  private view = 0;
  /** The request in flight, if any. */
  private inFlight: InFlight | undefined;
  /** Requests waiting for the one in flight (one outstanding timestamp per client). */
  private queue: Promise<unknown> = Promise.resolve();
  /** Boundary context for replies. */
  private readonly ctx: BoundaryContext;
  /** f of the cluster. */
  private readonly f: number;
  /** A signer that signs nothing: every request gets the all-zero signature. */
  private readonly unsigned: Signer;

  private constructor(
    private readonly options: ClientOptions,
    private readonly transport: Transport,
  ) {
    this.ctx = { cluster: options.cluster.clusterId, principals: principalsOf(options.cluster) };
    this.f = options.cluster.f ?? maxFaulty(options.cluster.replicas.length);
    this.unsigned = { publicKey: options.signer.publicKey, sign: () => UNSIGNED_SIGNATURE.slice() };
  }

  /** The transport's counters (frames and bytes sent), for benchmarks. */
  get counters(): Readonly<NetCounters> {
    return this.transport.counters;
  }

  /** Connects to the cluster's replicas with the client's own key. */
  static async connect(options: ClientOptions): Promise<LedgerClient> {
    let client: LedgerClient | undefined;
    const p = options.cluster.parameters;
    const transport = await startTransport({
      secretKey: options.secretKey,
      listen: [],
      peers: options.cluster.replicas.map((r) => ({ peerId: r.peerId, addrs: [r.address] })),
      maxFrameBytes: p.maxFrameBytes,
      maxQueueBytes: p.maxQueueBytes,
      onFrame: (_from, frame) => client?.onFrame(frame),
    });
    client = new LedgerClient(options, transport);
    await client.connected(options.connectTimeoutMs ?? 5_000);
    return client;
  }

  /**
   * Waits (bounded) until a quorum of replicas is connected, so the first request does not race
   * the handshakes. Returns the number connected; the client works with fewer (frames queue).
   */
  async connected(timeoutMs: number): Promise<number> {
    const n = this.options.cluster.replicas.length;
    const want = Math.min(n, n - this.f);
    const deadline = Date.now() + timeoutMs;
    while (this.transport.connectedPeers().length < want && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.transport.connectedPeers().length;
  }

  /** Transfers `amount` from this client's account (or `from`) to `to`. */
  transfer(to: string, amount: bigint, from?: string): Promise<Outcome> {
    return this.submit(encodeTransfer(from ?? this.accountName(), to, amount));
  }

  /** Mints `amount` into `to` (the client must be a genesis issuer). */
  mint(to: string, amount: bigint): Promise<Outcome> {
    return this.submit(encodeMint(to, amount));
  }

  /** Reads a balance through consensus (linearizable). */
  balance(account: string): Promise<Outcome> {
    return this.submit(encodeBalance(account));
  }

  /** The genesis account this client owns by default: its name. */
  accountName(): string {
    return this.options.cluster.clients[this.options.id]?.name ?? `client-${this.options.id}`;
  }

  /** Submits an encoded ledger operation; resolves on f + 1 matching replies. */
  submit(op: Uint8Array): Promise<Outcome> {
    const run = this.queue.then(() => this.send(op));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private send(op: Uint8Array): Promise<Outcome> {
    const timestamp = Math.max(this.lastTimestamp + 1, Date.now() * 1000);
    this.lastTimestamp = timestamp;
    const { cluster, id } = this.options;
    const signer = this.options.unsignedRequests === true ? this.unsigned : this.options.signer;
    const request = seal(signer, cluster.clusterId, 'request', id, { client: id, timestamp, op });
    return new Promise<Outcome>((resolve, reject) => {
      const interval = cluster.parameters.clientTimeoutMs;
      const timers: { deadline?: NodeJS.Timeout } = {};
      const flight: InFlight = {
        request,
        votes: new Map(),
        resolve: (o) => {
          clearTimeout(timers.deadline);
          clearTimeout(flight.timer);
          resolve(o);
        },
        reject: (e) => {
          clearTimeout(timers.deadline);
          clearTimeout(flight.timer);
          reject(e);
        },
        timer: undefined,
        intervalMs: interval,
      };
      this.inFlight = flight;
      timers.deadline = setTimeout(
        () => this.fail(new ClientError('timeout', 'no f+1 matching replies before the deadline')),
        this.options.deadlineMs ?? 60_000,
      );
      flight.timer = setTimeout(() => this.retransmit(flight), interval);
      const primary = cluster.replicas[this.view % cluster.replicas.length];
      if (primary) this.transport.send(primary.peerId, request.bytes);
    });
  }

  /** The primary did not answer in time: send to every replica, then back off. */
  private retransmit(flight: InFlight): void {
    if (this.inFlight !== flight) return;
    for (const r of this.options.cluster.replicas) this.transport.send(r.peerId, flight.request.bytes);
    flight.intervalMs = Math.min(flight.intervalMs * 2, 5_000);
    flight.timer = setTimeout(() => this.retransmit(flight), flight.intervalMs);
  }

  /**
   * A reply: parsed without signatures first; once f + 1 replicas agree on (seq, result), only
   * those f + 1 signatures are verified. A reply that fails is dropped and its group waits for
   * another replica.
   */
  private onFrame(frame: Uint8Array): void {
    const flight = this.inFlight;
    const parsed = parseFrame(frame, this.ctx);
    if (!flight || !parsed.ok || parsed.value.message.kind !== 'reply') return;
    const reply = parsed.value.message;
    const { client, timestamp, seq, result } = reply.body;
    if (client !== this.options.id || timestamp !== flight.request.body.timestamp) return;
    const key = `${seq}:${Buffer.from(result).toString('hex')}`;
    let voters = flight.votes.get(key);
    if (!voters) {
      voters = new Map();
      flight.votes.set(key, voters);
    }
    if (voters.has(reply.sender)) return;
    voters.set(reply.sender, parsed.value);
    if (voters.size === this.f + 1) this.verifyGroup(flight, voters);
  }

  /**
   * Verifies a group of f + 1 matching replies on the event loop (a handful of signatures: a
   * round trip through libuv's pool would cost two thread wake-ups and more CPU than it saves);
   * completes the request when all are genuine.
   */
  private verifyGroup(flight: InFlight, voters: Map<number, ParsedFrame>): void {
    const group = [...voters.entries()];
    const checked = group.map(([, p]) => verifyFrame(p));
    const bad = group.filter((_, i) => !checked[i]?.ok);
    if (bad.length > 0) {
      for (const [sender] of bad) voters.delete(sender);
      return;
    }
    const replies = group.map(([, p]) => p.message as Message<'reply'>);
    const { seq, result, timestamp } = replies[0]!.body;
    const view = Math.max(...replies.map((r) => r.body.view));
    this.view = Math.max(this.view, view);
    const decoded = decodeResult(result);
    this.inFlight = undefined;
    flight.resolve({
      status: 'committed',
      seq,
      view,
      result: {
        code: decoded ? (RESULT_CODE_NAMES[decoded.code] ?? String(decoded.code)) : 'undecodable',
        balance: decoded ? decoded.balance.toString() : '0',
      },
      timestamp,
    });
  }

  private fail(err: Error): void {
    const flight = this.inFlight;
    this.inFlight = undefined;
    flight?.reject(err);
  }

  /** Fails the request in flight and leaves the network. */
  async close(): Promise<void> {
    this.fail(new ClientError('closed', 'client closed'));
    await this.transport.stop();
  }
}
