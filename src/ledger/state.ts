/**
 * The ledger's state records and their canonical encodings: Merkle leaf keys and bytes, and the
 * snapshot schema. Leaf keys order accounts (by name bytes) before client records (by id).
 */
import { encode, fixed, type Infer, list, struct, u8, u32, u53, union } from '../messages/codec.js';
import { AMOUNT } from './amount.js';
import { concatBytes } from './bytes.js';
import { KEY_BYTES, MAX_ACCOUNTS, MAX_CLIENTS } from './genesis.js';
import { ACCOUNT_NAME, validNameBytes } from './names.js';
import { type LedgerResult, RESULT } from './ops.js';

/** One account as the ledger holds it. */
export interface Account {
  /** Its one name (a genesis name, or the owner's key in lowercase hex). */
  readonly name: string;
  /** UTF-8 bytes of the name: the sort key, cached. */
  readonly nameBytes: Uint8Array;
  /** Public key allowed to spend from it. */
  readonly owner: Uint8Array;
  /** Owner in lowercase hex, cached for comparing with signers. */
  readonly ownerHex: string;
  /** Current balance, in [0, 2^128 - 1]. */
  balance: bigint;
}

/** A client's exactly-once record: its last executed request and the reply to it. */
export interface ClientRecord {
  /** Timestamp of the last executed request; anything at or below it is stale. */
  readonly lastTimestamp: number;
  /** Consensus sequence number that request executed at. */
  readonly lastSeq: number;
  /** The result replied to it, decoded (what leaves and snapshots encode). */
  readonly outcome: LedgerResult;
  /** The same result encoded, as replied (answered again on a retry). */
  readonly lastResult: Uint8Array;
}

/** Account fields in leaves and snapshots. */
export const ACCOUNT_STATE = struct({ name: ACCOUNT_NAME, owner: fixed(KEY_BYTES), balance: AMOUNT });
/** Client record fields in leaves and snapshots; the result is stored decoded so it stays canonical. */
export const CLIENT_STATE = struct({ client: u32, lastTimestamp: u53, lastSeq: u53, lastResult: RESULT });

/** A Merkle leaf: tag 0 for an account, 1 for a client record (matching the key prefixes). */
export const LEAF = union({ account: ACCOUNT_STATE, client: CLIENT_STATE });

/** Version byte of the snapshot format. */
export const SNAPSHOT_VERSION = 1;

/** The whole state: accounts sorted by name bytes, client records sorted by id, minted total. */
export const SNAPSHOT = struct({
  version: u8,
  accounts: list(ACCOUNT_STATE, MAX_ACCOUNTS),
  clients: list(CLIENT_STATE, MAX_CLIENTS),
  minted: AMOUNT,
});

/** A decoded snapshot. */
export type SnapshotValue = Infer<typeof SNAPSHOT>;

/** Key prefix of account leaves. */
const ACCOUNT_KEY_PREFIX = 0x00;
/** Key prefix of client-record leaves. */
const CLIENT_KEY_PREFIX = 0x01;

/** Sort key of an account leaf: 0x00 || name bytes. */
export function accountKey(nameBytes: Uint8Array): Uint8Array {
  return concatBytes(ACCOUNT_KEY_PREFIX, nameBytes);
}

/** Sort key of a client-record leaf: 0x01 || id as u32 big-endian (so numeric order is byte order). */
export function clientKey(client: number): Uint8Array {
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, client);
  return concatBytes(CLIENT_KEY_PREFIX, id);
}

/** Leaf bytes of an account: what `verifyProof` checks a claimed balance against. */
export function accountLeaf(name: string, owner: Uint8Array, balance: bigint): Uint8Array {
  return encode(LEAF, { type: 'account', value: { name, owner, balance } });
}

/** Leaf bytes of a client record. */
export function clientLeaf(client: number, rec: ClientRecord): Uint8Array {
  return encode(LEAF, { type: 'client', value: clientState(client, rec) });
}

/** The snapshot/leaf fields of a client record. */
export function clientState(client: number, rec: ClientRecord): Infer<typeof CLIENT_STATE> {
  return { client, lastTimestamp: rec.lastTimestamp, lastSeq: rec.lastSeq, lastResult: rec.outcome };
}

/** Builds an account record; `name` must already be valid. */
export function makeAccount(name: string, owner: Uint8Array, ownerHex: string, balance: bigint): Account {
  return { name, nameBytes: validNameBytes(name), owner, ownerHex, balance };
}
