/**
 * What every simulated client shares, whatever the protocol: a closed loop with one outstanding
 * request at a time and strictly increasing timestamps, each REQUEST signed with the client's own
 * key, resent to every replica on each timeout, and a seeded mix of operations. Subclasses decide
 * where a request goes first and when a result counts (PBFT: f + 1 matching replies; the
 * crash-fault protocol: the leader's one reply).
 */
import type { Prng } from '../core/prng.js';
import type { Signer } from '../crypto/types.js';
import { encodeBalance, encodeMint, encodeTransfer } from '../ledger/ops.js';
import type { BoundaryContext } from '../messages/boundary.js';
import { seal } from '../messages/envelope.js';
import type { SimWorld } from './setup.js';

/** A request the client accepted as done. */
export interface Completion {
  /** Client id. */
  readonly client: number;
  /** The request's timestamp. */
  readonly timestamp: number;
  /** The sequence number (log index) the replies said it executed at. */
  readonly seq: number;
  /** The result bytes accepted. */
  readonly result: Uint8Array;
  /** Virtual time the request was first sent. */
  readonly issuedAt: number;
  /** Virtual time the deciding reply arrived. */
  readonly completedAt: number;
}

/** What a client needs from the simulator. */
export interface ClientHost {
  /** Number of replicas. */
  readonly n: number;
  /** Faults tolerated: a PBFT result needs f + 1 matching replies. */
  readonly f: number;
  /** The cluster id every signature is bound to. */
  readonly cluster: Uint8Array;
  /** The boundary context replies are checked against. */
  readonly boundary: BoundaryContext;
  /** Virtual ms before the client sends its request to every replica. */
  readonly timeoutMs: number;
  /** Sends request bytes from this client to a replica. */
  send(client: number, replica: number, bytes: Uint8Array): void;
  /** Arms the client's timer for the request with `timestamp`, `delayMs` from now. */
  setTimer(client: number, timestamp: number, delayMs: number): void;
  /** Called when a request is signed and first sent (validity checker input). */
  issued(client: number, timestamp: number): void;
  /** Called when a request completed. */
  completed(completion: Completion): void;
  /** Called when a frame addressed to the client was refused. */
  rejected(reason: string): void;
}

/** What a client is asked to do. */
export interface Workload {
  /** Requests this client issues before it stops. */
  readonly requests: number;
  /** Every client's account name, by client id. */
  readonly accounts: readonly string[];
  /** Whether this client's key is a genesis issuer (it then mints now and then). */
  readonly issuer: boolean;
  /** Opening balance: amounts above it are sure to fail (error results are still completions). */
  readonly startingBalance: bigint;
}

/** The request in flight. */
export interface Outstanding {
  /** Its timestamp. */
  readonly timestamp: number;
  /** The sealed envelope bytes, resent verbatim. */
  readonly bytes: Uint8Array;
  /** Virtual time it was first sent. */
  readonly issuedAt: number;
}

/** A closed-loop simulated client; see the module comment. */
export abstract class ClosedLoopClient {
  /** Requests completed so far. */
  completedCount = 0;
  /** Last timestamp used: strictly increasing. */
  private lastTimestamp = 0;
  /** The request in flight, if any. */
  protected outstanding: Outstanding | undefined;

  constructor(
    /** Client id. */
    readonly id: number,
    /** The client's key. */
    private readonly signer: Signer,
    /** The client's own PRNG stream (op choice). */
    private readonly rng: Prng,
    /** Simulator services. */
    protected readonly host: ClientHost,
    /** What to issue. */
    private readonly workload: Workload,
  ) {}

  /** True once every request of the workload completed. */
  get done(): boolean {
    return this.completedCount >= this.workload.requests;
  }

  /** Requests this client issues in all. */
  get totalRequests(): number {
    return this.workload.requests;
  }

  /** Timestamp of the request in flight, if any. */
  get pendingTimestamp(): number | undefined {
    return this.outstanding?.timestamp;
  }

  /** The replica a new request goes to first. */
  protected abstract firstTarget(): number;

  /** A frame from replica `from` arrived for this client. */
  abstract onFrame(bytes: Uint8Array, now: number, from: number): void;

  /** Hook: a new request is outstanding. */
  protected started(): void {}

  /** Issues the next request (if any are left) at virtual time `now`. */
  issueNext(now: number): void {
    if (this.done || this.outstanding !== undefined) return;
    const timestamp = ++this.lastTimestamp;
    const op = this.nextOp();
    const msg = seal(this.signer, this.host.cluster, 'request', this.id, { client: this.id, timestamp, op });
    this.outstanding = { timestamp, bytes: msg.bytes, issuedAt: now };
    this.started();
    this.host.issued(this.id, timestamp);
    this.host.send(this.id, this.firstTarget(), msg.bytes);
    this.host.setTimer(this.id, timestamp, this.host.timeoutMs);
  }

  /** The timer for `timestamp` fired: resend to every replica and re-arm, if still outstanding. */
  onTimeout(timestamp: number): void {
    const o = this.outstanding;
    if (o === undefined || o.timestamp !== timestamp) return;
    for (let r = 0; r < this.host.n; r++) this.host.send(this.id, r, o.bytes);
    this.host.setTimer(this.id, timestamp, this.host.timeoutMs);
  }

  /** The outstanding request is done: it executed at `seq` with `result`. */
  protected complete(seq: number, result: Uint8Array, now: number): void {
    const o = this.outstanding;
    if (o === undefined) return;
    this.outstanding = undefined;
    this.completedCount++;
    this.host.completed({
      client: this.id,
      timestamp: o.timestamp,
      seq,
      result,
      issuedAt: o.issuedAt,
      completedAt: now,
    });
  }

  /** Draws the next operation: mostly transfers, some balance reads, mints by the issuer. */
  private nextOp(): Uint8Array {
    const rng = this.rng;
    const { accounts, startingBalance } = this.workload;
    const own = accounts[this.id] as string;
    const roll = rng.next();
    if (this.workload.issuer && roll < 0.05) {
      return encodeMint(rng.pick(accounts), BigInt(rng.range(1, 10_000)));
    }
    const others = accounts.filter((_, i) => i !== this.id);
    if (roll < 0.15 || others.length === 0) return encodeBalance(rng.pick(accounts));
    const to = rng.pick(others);
    // About one transfer in twenty asks for more than any balance can hold: an error result.
    const amount = rng.chance(0.05)
      ? startingBalance * 1000n + BigInt(rng.range(1, 1000))
      : BigInt(rng.range(1, 1000));
    return encodeTransfer(own, to, amount);
  }
}

/** Builds a client. */
export type ClientFactory<C extends ClosedLoopClient> = (
  id: number,
  signer: Signer,
  rng: Prng,
  host: ClientHost,
  workload: Workload,
) => C;

/** The clients of a run, splitting `requests` evenly (the first ones take the remainder); client 0 issues. */
export function buildClients<C extends ClosedLoopClient>(
  o: { readonly clients: number; readonly requests: number; readonly startingBalance: bigint },
  world: SimWorld,
  rng: Prng,
  host: ClientHost,
  make: ClientFactory<C>,
): C[] {
  const { clients, requests } = o;
  return world.clients.map((key, id) => {
    const share = Math.floor(requests / clients) + (id < requests % clients ? 1 : 0);
    const workload = {
      requests: share,
      accounts: world.accounts,
      issuer: id === 0,
      startingBalance: o.startingBalance,
    };
    return make(id, key.signer, rng.fork(`client/${id}`), host, workload);
  });
}
