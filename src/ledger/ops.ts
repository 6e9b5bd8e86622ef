/**
 * Ledger operations (what a client signs inside a REQUEST) and results (what a replica replies),
 * both in the canonical codec, plus the deterministic result codes.
 */
import { bytes, type Codec, decode, encode, type Infer, struct, u8, union } from '../messages/codec.js';
import { LIMITS } from '../messages/schema.js';
import { AMOUNT } from './amount.js';
import { ACCOUNT_NAME } from './names.js';

/** Outcome of one executed request. Values are wire bytes: never renumber, only append. */
export const ResultCode = {
  /** The operation took effect (or the query was answered). */
  ok: 0,
  /** The op bytes are not a canonical encoding of an operation. */
  malformedOp: 1,
  /** The client id is not in genesis (never cached: there is no client record to hold it). */
  unknownClient: 2,
  /** The source, target or queried account does not exist and cannot be created. */
  unknownAccount: 3,
  /** The signer does not own the source account. */
  notOwner: 4,
  /** The source balance is below the amount. */
  insufficientFunds: 5,
  /** The signer is not a genesis issuer. */
  notIssuer: 6,
  /** The amount is zero. */
  badAmount: 7,
  /** A balance or the total supply would pass 2^128 - 1, or the account table is full. */
  overflow: 8,
  /** Source and target are the same account. */
  selfTransfer: 9,
} as const;

/** One of the result codes. */
export type ResultCode = (typeof ResultCode)[keyof typeof ResultCode];

/** Stable kebab-case names of the result codes, indexed by code (for logs and metric labels). */
export const RESULT_CODE_NAMES: readonly string[] = [
  'ok',
  'malformed-op',
  'unknown-client',
  'unknown-account',
  'not-owner',
  'insufficient-funds',
  'not-issuer',
  'bad-amount',
  'overflow',
  'self-transfer',
];

/** True for a byte that is a defined result code. */
export function isResultCode(v: number): v is ResultCode {
  return Number.isInteger(v) && v >= 0 && v < RESULT_CODE_NAMES.length;
}

/** Largest payload of a `null` operation: what fits in `maxOpBytes` after its tag and length prefix. */
export const MAX_NULL_PAYLOAD_BYTES = LIMITS.maxOpBytes - 5;

/** A ledger operation: the bytes a client signs in a REQUEST's `op` field. Tags: 0, 1, 2, 3. */
export const OP = union({
  /** Move `amount` from `from` (owned by the signer) to `to` (created if it is an unused key in hex). */
  transfer: struct({ from: ACCOUNT_NAME, to: ACCOUNT_NAME, amount: AMOUNT }),
  /** Create `amount` new units in `to`; only a genesis issuer may. */
  mint: struct({ to: ACCOUNT_NAME, amount: AMOUNT }),
  /** Read a balance in consensus order. */
  balance: struct({ account: ACCOUNT_NAME }),
  /**
   * Do nothing with an opaque payload (benchmarks: the PBFT paper's 0/0, 4/0 operations): still
   * ordered and answered exactly once through the client's timestamp and the reply cache.
   */
  null: struct({ payload: bytes(MAX_NULL_PAYLOAD_BYTES) }),
});

/** A decoded ledger operation. */
export type Op = Infer<typeof OP>;

/** A decoded result: the code, and the balance it reports (0 on any error). */
export interface LedgerResult {
  /** What happened. */
  readonly code: ResultCode;
  /** Sender's new balance (transfer), target's (mint), the queried one (balance); 0 on error. */
  readonly balance: bigint;
}

const rawResult = struct({ code: u8, balance: AMOUNT });

/** A result as replied: code byte then a 16-byte balance. Unknown codes and errors with a balance are refused. */
export const RESULT: Codec<LedgerResult> = {
  encode: (w, v) => {
    if (!isResultCode(v.code)) throw new RangeError(`unknown result code ${v.code}`);
    if (v.code !== ResultCode.ok && v.balance !== 0n) throw new RangeError('error result with a balance');
    rawResult.encode(w, v);
  },
  decode: (r) => {
    const v = rawResult.decode(r);
    if (!isResultCode(v.code)) throw new RangeError('unknown result code');
    if (v.code !== ResultCode.ok && v.balance !== 0n) throw new RangeError('error result with a balance');
    return { code: v.code, balance: v.balance };
  },
};

/** Encodes a transfer. Throws RangeError on an invalid name or an amount outside [0, 2^128 - 1]. */
export function encodeTransfer(from: string, to: string, amount: bigint): Uint8Array {
  return encode(OP, { type: 'transfer', value: { from, to, amount } });
}

/** Encodes a mint. Throws RangeError on an invalid name or an amount outside [0, 2^128 - 1]. */
export function encodeMint(to: string, amount: bigint): Uint8Array {
  return encode(OP, { type: 'mint', value: { to, amount } });
}

/** Encodes a balance query. Throws RangeError on an invalid name. */
export function encodeBalance(account: string): Uint8Array {
  return encode(OP, { type: 'balance', value: { account } });
}

/** Encodes a null operation carrying `payload`. Throws RangeError past MAX_NULL_PAYLOAD_BYTES. */
export function encodeNull(payload: Uint8Array): Uint8Array {
  return encode(OP, { type: 'null', value: { payload } });
}

/** Decodes untrusted op bytes; null when they are not a canonical operation. */
export function decodeOp(bytes: Uint8Array): Op | null {
  const r = decode(OP, bytes);
  return r.ok ? r.value : null;
}

/** Encodes a result (what `execute` returns and the reply cache holds). */
export function encodeResult(code: ResultCode, balance: bigint): Uint8Array {
  return encode(RESULT, { code, balance });
}

/** Decodes untrusted result bytes (e.g. a reply); null when they are not a canonical result. */
export function decodeResult(bytes: Uint8Array): LedgerResult | null {
  const r = decode(RESULT, bytes);
  return r.ok ? r.value : null;
}
