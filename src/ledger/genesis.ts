/** The genesis configuration every replica starts from, and its validation into an index. */
import { isAmount, MAX_AMOUNT } from './amount.js';
import { isKeyHex, toHex } from './bytes.js';
import { LedgerError } from './errors.js';
import { nameToBytes } from './names.js';

/** Width of an Ed25519 public key. */
export const KEY_BYTES = 32;
/** Most accounts the ledger holds (snapshot list bound); creating one more fails with `overflow`. */
export const MAX_ACCOUNTS = 1 << 24;
/** Most client ids (ids are u32 on the wire). */
export const MAX_CLIENTS = 0xffffffff;

/** One account that exists from the start. */
export interface GenesisAccount {
  /** Its one name; a 64-hex-digit name must be the hex of `owner`. */
  name: string;
  /** 32-byte Ed25519 public key allowed to spend from it. */
  owner: Uint8Array;
  /** Opening balance. */
  balance: bigint;
}

/** The initial state and the fixed set of principals. */
export interface Genesis {
  /** Accounts at the start, in any order (order never matters). */
  accounts: GenesisAccount[];
  /** public keys allowed to mint */
  issuers: Uint8Array[];
  /** clients by id: clients[i] is the public key of client id i */
  clients: Uint8Array[];
}

/** One genesis account after validation. */
export interface GenesisEntry {
  /** Its name. */
  readonly name: string;
  /** UTF-8 bytes of the name (its sort key). */
  readonly nameBytes: Uint8Array;
  /** A private copy of the owner key. */
  readonly owner: Uint8Array;
  /** The owner key in lowercase hex (compared with signers). */
  readonly ownerHex: string;
  /** Opening balance. */
  readonly balance: bigint;
}

/** Genesis after validation: defensive copies, hex-keyed lookups, and the opening total. */
export interface GenesisIndex {
  /** Genesis accounts with their name bytes and owner hex. */
  readonly accounts: readonly GenesisEntry[];
  /** Owner hex by genesis account name (checks restored snapshots against genesis). */
  readonly ownerByName: ReadonlyMap<string, string>;
  /** Hex keys of the issuers (membership only; never iterated). */
  readonly issuers: ReadonlySet<string>;
  /** Hex key of each client id. */
  readonly clientKeys: readonly string[];
  /** Sum of the opening balances: conservation is `totalSupply == total + minted`. */
  readonly total: bigint;
}

function isKey(k: unknown): k is Uint8Array {
  return k instanceof Uint8Array && k.length === KEY_BYTES;
}

function bad(detail: string): LedgerError {
  return new LedgerError('bad-genesis', detail);
}

/** Checks a genesis and indexes it. Throws LedgerError('bad-genesis') with the first problem found. */
export function indexGenesis(genesis: Genesis): GenesisIndex {
  const { accounts, issuers, clients } = genesis;
  if (!Array.isArray(accounts) || !Array.isArray(issuers) || !Array.isArray(clients)) {
    throw bad('accounts, issuers and clients must be arrays');
  }
  if (accounts.length > MAX_ACCOUNTS) throw bad('too many accounts');
  if (clients.length > MAX_CLIENTS) throw bad('too many clients');
  const ownerByName = new Map<string, string>();
  const copies: GenesisEntry[] = [];
  let total = 0n;
  for (const [i, a] of accounts.entries()) {
    if (typeof a !== 'object' || a === null) throw bad(`account ${i}: not an object`);
    const nameBytes = nameToBytes(a.name);
    if (nameBytes === null) throw bad(`account ${i}: name must be 1..64 bytes of valid UTF-8`);
    if (!isKey(a.owner)) throw bad(`account ${i}: owner must be a ${KEY_BYTES}-byte key`);
    if (!isAmount(a.balance)) throw bad(`account ${i}: balance must be a bigint in [0, 2^128 - 1]`);
    const ownerHex = toHex(a.owner);
    if (isKeyHex(a.name) && a.name !== ownerHex)
      throw bad(`account ${i}: a key-shaped name must be its owner's key`);
    if (ownerByName.has(a.name)) throw bad(`account ${i}: duplicate name`);
    ownerByName.set(a.name, ownerHex);
    copies.push({ name: a.name, nameBytes, owner: a.owner.slice(), ownerHex, balance: a.balance });
    total += a.balance;
  }
  if (total > MAX_AMOUNT) throw bad('opening balances sum past 2^128 - 1');
  const issuerSet = new Set<string>();
  for (const [i, k] of issuers.entries()) {
    if (!isKey(k)) throw bad(`issuer ${i}: must be a ${KEY_BYTES}-byte key`);
    issuerSet.add(toHex(k));
  }
  const clientKeys: string[] = [];
  for (const [i, k] of clients.entries()) {
    if (!isKey(k)) throw bad(`client ${i}: must be a ${KEY_BYTES}-byte key`);
    clientKeys.push(toHex(k));
  }
  return { accounts: copies, ownerByName, issuers: issuerSet, clientKeys, total };
}
