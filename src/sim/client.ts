/**
 * A simulated client: closed loop, one outstanding request at a time, strictly increasing
 * timestamps. It signs each REQUEST with its own key and sends it to the primary of the view it
 * believes current; on every timeout it sends it to all replicas. A result counts only once f + 1
 * distinct replicas sent replies, verified through the boundary, that agree on
 * (timestamp, seq, result).
 */
import type { Prng } from '../core/prng.js';
import { toHex } from '../crypto/hex.js';
import type { Signer } from '../crypto/types.js';
import { encodeBalance, encodeMint, encodeTransfer } from '../ledger/ops.js';
import { type BoundaryContext, openFrame, primaryOf } from '../messages/boundary.js';
import { seal } from '../messages/envelope.js';
import type { Message } from '../messages/types.js';

/** A request the client accepted as done. */
export interface Completion {
  /** Client id. */
  readonly client: number;
  /** The request's timestamp. */
  readonly timestamp: number;
  /** The sequence number f + 1 replicas said it executed at. */
  readonly seq: number;
  /** The result bytes they agreed on. */
  readonly result: Uint8Array;
  /** Virtual time the request was first sent. */
  readonly issuedAt: number;
  /** Virtual time the (f + 1)-th matching reply arrived. */
  readonly completedAt: number;
}

/** What a client needs from the simulator. */
export interface ClientHost {
  /** Number of replicas. */
  readonly n: number;
  /** Faults tolerated: a result needs f + 1 matching replies. */
  readonly f: number;
  /** The cluster id every signature is bound to. */
  readonly cluster: Uint8Array;
  /** The boundary context replies are verified against. */
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

/** One distinct replica's latest reply to the outstanding request. */
interface ReplyVote {
  /** Match key: seq and result hex. */
  readonly key: string;
  /** The view the replica reported. */
  readonly view: number;
  /** The reply. */
  readonly msg: Message<'reply'>;
}

/** The request in flight. */
interface Outstanding {
  /** Its timestamp. */
  readonly timestamp: number;
  /** The sealed envelope bytes, resent verbatim on timeouts. */
  readonly bytes: Uint8Array;
  /** Virtual time it was first sent. */
  readonly issuedAt: number;
  /** Latest reply per replica id (votes count once per replica). */
  readonly votes: Map<number, ReplyVote>;
}

/** A closed-loop simulated client. */
export class SimClient {
  /** Requests completed so far. */
  completedCount = 0;
  /** The view the client believes current (from f + 1 replies), deciding where requests go. */
  private view = 0;
  /** Last timestamp used: strictly increasing. */
  private lastTimestamp = 0;
  /** The request in flight, if any. */
  private outstanding: Outstanding | undefined;

  constructor(
    /** Client id. */
    readonly id: number,
    /** The client's key. */
    private readonly signer: Signer,
    /** The client's own PRNG stream (op choice). */
    private readonly rng: Prng,
    /** Simulator services. */
    private readonly host: ClientHost,
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

  /** Issues the next request (if any are left) at virtual time `now`. */
  issueNext(now: number): void {
    if (this.done || this.outstanding !== undefined) return;
    const timestamp = ++this.lastTimestamp;
    const op = this.nextOp();
    const msg = seal(this.signer, this.host.cluster, 'request', this.id, { client: this.id, timestamp, op });
    this.outstanding = { timestamp, bytes: msg.bytes, issuedAt: now, votes: new Map() };
    this.host.issued(this.id, timestamp);
    this.host.send(this.id, primaryOf(this.view, this.host.n), msg.bytes);
    this.host.setTimer(this.id, timestamp, this.host.timeoutMs);
  }

  /** The timer for `timestamp` fired: resend to every replica and re-arm, if still outstanding. */
  onTimeout(timestamp: number): void {
    const o = this.outstanding;
    if (o === undefined || o.timestamp !== timestamp) return;
    for (let r = 0; r < this.host.n; r++) this.host.send(this.id, r, o.bytes);
    this.host.setTimer(this.id, timestamp, this.host.timeoutMs);
  }

  /** A frame arrived for this client: verify it, count it, and complete on f + 1 matching replies. */
  onFrame(bytes: Uint8Array, now: number): void {
    const opened = openFrame(bytes, this.host.boundary);
    if (!opened.ok) {
      this.host.rejected(opened.reason);
      return;
    }
    const msg = opened.value;
    if (msg.kind !== 'reply') {
      this.host.rejected('not-a-reply');
      return;
    }
    const o = this.outstanding;
    if (o === undefined || msg.body.client !== this.id || msg.body.timestamp !== o.timestamp) return;
    const key = `${msg.body.seq}:${toHex(msg.body.result)}`;
    o.votes.set(msg.sender, { key, view: msg.body.view, msg });
    let matching = 0;
    for (const vote of o.votes.values()) if (vote.key === key) matching++;
    if (matching < this.host.f + 1) return;
    this.view = Math.max(this.view, this.quorumView(o));
    this.outstanding = undefined;
    this.completedCount++;
    this.host.completed({
      client: this.id,
      timestamp: o.timestamp,
      seq: msg.body.seq,
      result: msg.body.result,
      issuedAt: o.issuedAt,
      completedAt: now,
    });
  }

  /** The highest view that at least f + 1 replicas reported: no f liars can push it higher. */
  private quorumView(o: Outstanding): number {
    const views = [...o.votes.values()].map((v) => v.view).sort((a, b) => b - a);
    return views[this.host.f] ?? 0;
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
