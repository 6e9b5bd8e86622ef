/**
 * What the client library asks of a replication protocol: which replica a request goes to first,
 * and what a frame from a replica means for the request in flight (a result, a redirect, or
 * nothing yet). The library itself (timestamps, one request at a time, retransmission to every
 * replica on timeout, the deadline) is the same for every protocol.
 */
import { decodeResult, RESULT_CODE_NAMES } from '../ledger/index.js';
import type { Message } from '../messages/types.js';

/** A completed request, as the protocol's reply rule accepted it. */
export interface Outcome {
  /** Always 'committed': the request was ordered and executed. */
  readonly status: 'committed';
  /** Where it executed: the batch's sequence number (PBFT) or the log index (crash-fault). */
  readonly seq: number;
  /** The view (PBFT: the lowest among the f + 1 matching replies) or the term (crash-fault) of the reply. */
  readonly view: number;
  /** The ledger's answer: an error code (kebab-case) and the relevant balance as a decimal string. */
  readonly result: { readonly code: string; readonly balance: string };
  /** The client's timestamp of the request. */
  readonly timestamp: number;
}

/** What a frame means for the request in flight. */
export type Verdict =
  /** The request completed. */
  | { readonly type: 'done'; readonly outcome: Outcome }
  /** Send the request to replica `to` now (it leads, as far as the client now knows). */
  | { readonly type: 'redirect'; readonly to: number }
  /** Nothing yet (a reply still short of a quorum, a stale or invalid frame). */
  | undefined;

/** A protocol's rules for where requests go and which replies complete them. */
export interface ReplyRule {
  /** The replica a new request goes to first: the primary or leader the client believes in. */
  target(): number;
  /** A new request is in flight: what was gathered for the previous one is forgotten. */
  begin(request: Message<'request'>): void;
  /** A frame from replica `from` (undefined: the connection is not a replica's) for the request in flight. */
  onFrame(frame: Uint8Array, from: number | undefined): Verdict;
}

/** The outcome of a request executed at `seq` in `view` with the ledger's encoded `result`. */
export function outcomeOf(seq: number, view: number, timestamp: number, result: Uint8Array): Outcome {
  const decoded = decodeResult(result);
  return {
    status: 'committed',
    seq,
    view,
    result: {
      code: decoded ? (RESULT_CODE_NAMES[decoded.code] ?? String(decoded.code)) : 'undecodable',
      balance: decoded ? decoded.balance.toString() : '0',
    },
    timestamp,
  };
}
