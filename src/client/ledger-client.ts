/**
 * The client library: signs transactions with the client's key, sends them to the replica the
 * protocol's reply rule names (PBFT's primary, the crash-fault leader), to every replica after a
 * timeout, and completes a request when the rule accepts its replies: f + 1 matching signed replies
 * under PBFT (pbft-replies.ts), one reply from the leader under the crash-fault protocol
 * (cft-replies.ts). One request is outstanding at a time; timestamps grow strictly (derived from
 * the wall clock, so they keep growing across restarts of the client process). View changes and
 * new leaders are transparent: the rule learns them from replies and redirects.
 */
import { type Cluster, transportPeerOf } from '../config/cluster.js';
import { maxFaulty } from '../core/quorum.js';
import { publicKeyOf } from '../crypto/keys.js';
import type { Signer } from '../crypto/types.js';
import { encodeBalance, encodeMint, encodeTransfer } from '../ledger/index.js';
import { seal } from '../messages/envelope.js';
import type { Message } from '../messages/types.js';
import { peerIdOf } from '../net/identity.js';
import type { NetCounters } from '../net/types.js';
import { CftReplies } from './cft-replies.js';
import { ClientConnection } from './connection.js';
import { PbftReplies } from './pbft-replies.js';
import type { Outcome, ReplyRule } from './replies.js';

export type { Outcome } from './replies.js';

/** Why a request did not complete. */
export class ClientError extends Error {
  constructor(
    /** 'timeout' when no reply the protocol accepts arrived in time; 'closed' after close(). */
    readonly code: 'timeout' | 'closed',
    message: string,
  ) {
    super(message);
  }
}

/** What a client needs to run. */
export interface ClientOptions extends ClientBehaviour {
  /** This client's id. */
  readonly id: number;
  /** This client's signer. */
  readonly signer: Signer;
  /**
   * The raw secret key of the libp2p identity to connect with: the client's own, or, for a client
   * configured `via` another, that other client's (see `connectShared` for several at once).
   */
  readonly secretKey: Uint8Array;
}

/** Several clients over one connection: those configured `via` the client whose key opens it. */
export interface SharedClientOptions extends ClientBehaviour {
  /** The clients, each with its id and signer. */
  readonly clients: readonly { readonly id: number; readonly signer: Signer }[];
  /** The raw secret key of the client whose connection they share. */
  readonly secretKey: Uint8Array;
}

/** What every client of a process shares: the cluster and how requests behave. */
export interface ClientBehaviour {
  /** The cluster configuration. */
  readonly cluster: Cluster;
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

/** The request in flight (the reply rule gathers its replies). */
interface InFlight {
  readonly request: Message<'request'>;
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
  /** The request in flight, if any. */
  private inFlight: InFlight | undefined;
  /** Set by `close`: no request is sent after it. */
  private closed = false;
  /** Requests waiting for the one in flight (one outstanding timestamp per client). */
  private queue: Promise<unknown> = Promise.resolve();
  /** The protocol's rule: where requests go, which replies complete them. */
  private readonly rule: ReplyRule;
  /** Replica id by peer id: the authenticated sender of a frame. */
  private readonly replicaIds: ReadonlyMap<string, number>;
  /** f of the cluster. */
  private readonly f: number;
  /** A signer that signs nothing: every request gets the all-zero signature. */
  private readonly unsigned: Signer;

  private constructor(
    private readonly options: ClientBehaviour & { readonly id: number; readonly signer: Signer },
    private readonly transport: ClientConnection,
  ) {
    const { cluster, id } = options;
    this.rule = cluster.protocol === 'cft' ? new CftReplies(cluster, id) : new PbftReplies(cluster, id);
    this.replicaIds = new Map(cluster.replicas.map((r) => [r.peerId, r.id]));
    this.f = cluster.f ?? maxFaulty(cluster.replicas.length);
    this.unsigned = { publicKey: options.signer.publicKey, sign: () => UNSIGNED_SIGNATURE.slice() };
  }

  /** The transport's counters (frames and bytes sent), for benchmarks. */
  get counters(): Readonly<NetCounters> {
    return this.transport.counters;
  }

  /** Connects to the cluster's replicas with the libp2p identity `options.secretKey`. */
  static async connect(options: ClientOptions): Promise<LedgerClient> {
    const [client] = await LedgerClient.connectShared({ ...options, clients: [options] });
    return client!;
  }

  /**
   * Connects several clients over one connection per replica (one libp2p identity: the client
   * they are configured `via`). Replies reach each client by the client id they carry; each client
   * still signs its own requests and checks its own replies. Closing the last one closes the
   * connection.
   */
  static async connectShared(options: SharedClientOptions): Promise<LedgerClient[]> {
    const ids = options.clients.map((c) => c.id);
    if (ids.length === 0) throw new Error('connectShared needs at least one client');
    if (new Set(ids).size !== ids.length) throw new Error(`a client is listed twice: ${ids.join(', ')}`);
    const peerId = peerIdOf(publicKeyOf(options.secretKey));
    for (const { id } of options.clients) {
      const expected = transportPeerOf(options.cluster, id);
      if (expected !== peerId) {
        const via = options.cluster.clients[id]?.via;
        throw new Error(
          expected === undefined
            ? `no client ${id} in the cluster`
            : `client ${id} connects ${via === undefined ? 'with its own key' : `via client ${via}`}: its replies would go to another peer than this key's`,
        );
      }
    }
    const connection = await ClientConnection.open(options.cluster, options.secretKey);
    try {
      const clients = options.clients.map(({ id, signer }) => {
        const client = new LedgerClient({ ...options, id, signer }, connection);
        connection.attach(id, (from, frame) => client.onFrame(from, frame));
        return client;
      });
      await clients[0]?.connected(options.connectTimeoutMs ?? 5_000);
      return clients;
    } catch (err) {
      await connection.close();
      throw err;
    }
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
    // A closed client of a shared connection must not keep sending: the connection is still up.
    if (this.closed) return Promise.reject(new ClientError('closed', 'client closed'));
    const run = this.queue.then(() =>
      this.closed ? Promise.reject(new ClientError('closed', 'client closed')) : this.send(op),
    );
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
      this.rule.begin(request);
      timers.deadline = setTimeout(
        () => this.fail(new ClientError('timeout', 'no accepted reply before the deadline')),
        this.options.deadlineMs ?? 60_000,
      );
      flight.timer = setTimeout(() => this.retransmit(flight), interval);
      const target = cluster.replicas[this.rule.target()];
      if (target) this.transport.send(target.peerId, request.bytes);
    });
  }

  /** The primary did not answer in time: send to every replica, then back off. */
  private retransmit(flight: InFlight): void {
    if (this.inFlight !== flight) return;
    for (const r of this.options.cluster.replicas) this.transport.send(r.peerId, flight.request.bytes);
    flight.intervalMs = Math.min(flight.intervalMs * 2, 5_000);
    flight.timer = setTimeout(() => this.retransmit(flight), flight.intervalMs);
  }

  /** A frame from peer `from`: the reply rule decides what it means for the request in flight. */
  private onFrame(from: string, frame: Uint8Array): void {
    const flight = this.inFlight;
    if (!flight) return;
    const verdict = this.rule.onFrame(frame, this.replicaIds.get(from));
    if (verdict?.type === 'done') {
      this.inFlight = undefined;
      flight.resolve(verdict.outcome);
    } else if (verdict?.type === 'redirect') {
      const to = this.options.cluster.replicas[verdict.to];
      if (to) this.transport.send(to.peerId, flight.request.bytes);
    }
  }

  private fail(err: Error): void {
    const flight = this.inFlight;
    this.inFlight = undefined;
    flight?.reject(err);
  }

  /** Fails the request in flight and leaves the network (the shared connection: once all left). */
  async close(): Promise<void> {
    this.closed = true;
    this.fail(new ClientError('closed', 'client closed'));
    await this.transport.detach(this.options.id);
  }
}
