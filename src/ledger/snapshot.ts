/**
 * Snapshots: the canonical encoding of the whole state, and its strict validation on restore.
 * A snapshot is accepted only if re-encoding the restored state gives back exactly its bytes and the
 * state is one an honest ledger started from this genesis could reach.
 */
import { decode, encode } from '../messages/codec.js';
import { isAmount } from './amount.js';
import { compareBytes, isKeyHex, toHex } from './bytes.js';
import { LedgerError } from './errors.js';
import type { GenesisIndex } from './genesis.js';
import { validNameBytes } from './names.js';
import { encodeResult, ResultCode } from './ops.js';
import {
  type Account,
  type ClientRecord,
  clientState,
  SNAPSHOT,
  SNAPSHOT_VERSION,
  type SnapshotValue,
} from './state.js';

/** The state a snapshot restores: accounts in name order, client records in id order, minted total. */
export interface LedgerState {
  /** Every account, sorted by name bytes. */
  readonly accounts: Account[];
  /** Client records, sorted by id. */
  readonly clients: [number, ClientRecord][];
  /** Total minted since genesis. */
  readonly minted: bigint;
}

/** Encodes a state. Accounts and clients may come in any order; they are sorted here. */
export function encodeSnapshot(
  accounts: Iterable<Account>,
  clients: Iterable<[number, ClientRecord]>,
  minted: bigint,
): Uint8Array {
  const sortedAccounts = [...accounts].sort((a, b) => compareBytes(a.nameBytes, b.nameBytes));
  const sortedClients = [...clients].sort((a, b) => a[0] - b[0]);
  return encode(SNAPSHOT, {
    version: SNAPSHOT_VERSION,
    accounts: sortedAccounts.map((a) => ({ name: a.name, owner: a.owner, balance: a.balance })),
    clients: sortedClients.map(([id, rec]) => clientState(id, rec)),
    minted,
  });
}

function bad(detail: string): LedgerError {
  return new LedgerError('bad-snapshot', detail);
}

/** Decodes and validates a snapshot against genesis. Throws LedgerError('bad-snapshot'), nothing else. */
export function parseSnapshot(bytes: Uint8Array, genesis: GenesisIndex): LedgerState {
  if (!(bytes instanceof Uint8Array)) throw bad('not bytes');
  const decoded = decode(SNAPSHOT, bytes);
  if (!decoded.ok) throw bad(`undecodable (${decoded.failure})`);
  const value = decoded.value;
  if (value.version !== SNAPSHOT_VERSION) throw bad(`unknown version ${value.version}`);
  const accounts = parseAccounts(value, genesis);
  let supply = 0n;
  for (const a of accounts) supply += a.balance;
  if (!isAmount(supply)) throw bad('balances sum past 2^128 - 1');
  if (supply !== genesis.total + value.minted) throw bad('total supply is not genesis total plus minted');
  return { accounts, clients: parseClients(value, genesis), minted: value.minted };
}

/** Accounts: strictly increasing names, genesis accounts all present with their owner, others key-named. */
function parseAccounts(value: SnapshotValue, genesis: GenesisIndex): Account[] {
  const out: Account[] = [];
  let previous: Uint8Array | null = null;
  let genesisSeen = 0;
  for (const a of value.accounts) {
    const nameBytes = validNameBytes(a.name);
    if (previous !== null && compareBytes(previous, nameBytes) >= 0)
      throw bad('accounts not strictly sorted');
    previous = nameBytes;
    const ownerHex = toHex(a.owner);
    const genesisOwner = genesis.ownerByName.get(a.name);
    if (genesisOwner !== undefined) {
      if (genesisOwner !== ownerHex) throw bad(`account ${a.name}: owner differs from genesis`);
      genesisSeen++;
    } else if (!isKeyHex(a.name) || a.name !== ownerHex) {
      throw bad('an account outside genesis must be named by its owner key');
    }
    // Copy out of the input buffer: the caller may reuse it.
    out.push({ name: a.name, nameBytes, owner: a.owner.slice(), ownerHex, balance: a.balance });
  }
  if (genesisSeen !== genesis.accounts.length) throw bad('a genesis account is missing');
  return out;
}

/** Client records: strictly increasing ids within genesis, and results an execution could cache. */
function parseClients(value: SnapshotValue, genesis: GenesisIndex): [number, ClientRecord][] {
  const out: [number, ClientRecord][] = [];
  let previous = -1;
  for (const c of value.clients) {
    if (c.client <= previous) throw bad('client records not strictly sorted');
    previous = c.client;
    if (c.client >= genesis.clientKeys.length) throw bad(`client ${c.client} is not in genesis`);
    if (c.lastResult.code === ResultCode.unknownClient)
      throw bad('a known client cannot cache unknown-client');
    const lastResult = encodeResult(c.lastResult.code, c.lastResult.balance);
    out.push([
      c.client,
      { lastTimestamp: c.lastTimestamp, lastSeq: c.lastSeq, outcome: c.lastResult, lastResult },
    ]);
  }
  return out;
}
