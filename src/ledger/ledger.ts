/**
 * The deterministic ledger every replica executes: accounts with bigint balances, transfers signed
 * by the owner, mints by genesis issuers, ordered balance reads, a per-client reply cache for
 * exactly-once execution, and a Merkle state digest. Pure: the hash function is injected, and no
 * outcome depends on time, locale, map insertion order or the Node version.
 */
import { MAX_AMOUNT } from './amount.js';
import { fromHex, type HashFn, isKeyHex } from './bytes.js';
import { type Genesis, type GenesisIndex, indexGenesis, MAX_ACCOUNTS } from './genesis.js';
import { type MerkleProof, MerkleTree, verifyProof } from './merkle.js';
import { decodeOp, encodeResult, type LedgerResult, type Op, ResultCode } from './ops.js';
import { encodeSnapshot, type LedgerState, parseSnapshot } from './snapshot.js';
import {
  type Account,
  accountKey,
  accountLeaf,
  type ClientRecord,
  clientKey,
  clientLeaf,
  makeAccount,
} from './state.js';

export type { HashFn } from './bytes.js';
export { LedgerError } from './errors.js';
export type { Genesis, GenesisAccount } from './genesis.js';

/** The last executed request of one client and its result: the reply cache. */
export interface CachedReply {
  /** The client's timestamp of that request. */
  readonly timestamp: number;
  /** The sequence number it executed at. */
  readonly seq: number;
  /** The encoded result that was replied (a copy). */
  readonly result: Uint8Array;
}

/** A Merkle proof of one account's leaf, with the leaf's fields so a verifier can rebuild it. */
export interface AccountProof extends MerkleProof {
  /** The account's name. */
  readonly account: string;
  /** Its owner key. */
  readonly owner: Uint8Array;
  /** Its balance when the proof was made. */
  readonly balance: bigint;
}

/** True when `proof` shows that `proof.account` held `proof.balance` (owned by `proof.owner`) under `root`. */
export function verifyAccountProof(root: Uint8Array, proof: AccountProof, hash: HashFn): boolean {
  let leaf: Uint8Array;
  try {
    leaf = accountLeaf(proof.account, proof.owner, proof.balance);
  } catch {
    return false;
  }
  return verifyProof(root, leaf, proof, hash);
}

/** An operation's outcome before encoding. */
type Outcome = LedgerResult;

/** A failed outcome: errors report balance 0. */
function fail(code: ResultCode): Outcome {
  return { code, balance: 0n };
}

/** Timestamps and sequence numbers come decoded from the wire as u53; anything else is a caller bug. */
function assertSeqNumber(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a safe non-negative integer`);
}

/** The replicated ledger state machine. */
export class Ledger {
  /** Genesis, checked and indexed: the client keys, the issuers, the opening total. */
  private readonly genesis: GenesisIndex;
  /** The injected SHA-256, so this module needs no crypto library and stays pure. */
  private readonly hash: HashFn;
  /** Accounts by their one name; lookup only, never iterated where order could matter. */
  private readonly accounts = new Map<string, Account>();
  /** Client records by id, created at a client's first executed request. */
  private readonly clients = new Map<number, ClientRecord>();
  /** Merkle tree over account and client leaves; brought up to date lazily by `digest`/`prove`. */
  private tree: MerkleTree;
  /** Accounts changed since the tree last saw them. */
  private readonly dirtyAccounts = new Set<Account>();
  /** Client ids whose record changed since the tree last saw it. */
  private readonly dirtyClients = new Set<number>();
  /** Total minted since genesis. */
  private mintedTotal = 0n;
  /** Sum of all balances, kept incrementally for the supply cap (checked by `assertInvariants`). */
  private supply = 0n;

  /** A ledger at genesis. Throws LedgerError('bad-genesis') on an invalid genesis. */
  constructor(genesis: Genesis, hash: HashFn) {
    this.genesis = indexGenesis(genesis);
    if (hash(new Uint8Array(0)).length !== 32) throw new RangeError('hash must return 32 bytes');
    this.hash = hash;
    this.tree = new MerkleTree(hash);
    for (const g of this.genesis.accounts) {
      this.insertAccount({
        name: g.name,
        nameBytes: g.nameBytes,
        owner: g.owner,
        ownerHex: g.ownerHex,
        balance: g.balance,
      });
    }
    this.supply = this.genesis.total;
  }

  /** A ledger in the state a snapshot encodes. Throws LedgerError('bad-snapshot') on any invalid snapshot. */
  static restore(snapshot: Uint8Array, genesis: Genesis, hash: HashFn): Ledger {
    const ledger = new Ledger(genesis, hash);
    ledger.load(parseSnapshot(snapshot, ledger.genesis));
    return ledger;
  }

  /**
   * Executes one authenticated request at consensus sequence `seq`. Returns the encoded result, or
   * null when `timestamp` is at or below the client's last executed one (then nothing changes).
   * Failed operations consume the timestamp and cache their error result.
   */
  execute(client: number, timestamp: number, op: Uint8Array, seq: number): Uint8Array | null {
    assertSeqNumber(timestamp, 'timestamp');
    assertSeqNumber(seq, 'seq');
    const signer = Number.isInteger(client) ? this.genesis.clientKeys[client] : undefined;
    if (signer === undefined) return encodeResult(ResultCode.unknownClient, 0n);
    const record = this.clients.get(client);
    if (record !== undefined && timestamp <= record.lastTimestamp) return null;
    const parsed = decodeOp(op);
    const outcome = parsed === null ? fail(ResultCode.malformedOp) : this.apply(parsed, signer);
    const lastResult = encodeResult(outcome.code, outcome.balance);
    this.clients.set(client, { lastTimestamp: timestamp, lastSeq: seq, outcome, lastResult });
    this.dirtyClients.add(client);
    return lastResult.slice();
  }

  /** The reply cache: the last executed request of this client and its result. */
  lastReply(client: number): CachedReply | undefined {
    const rec = this.clients.get(client);
    if (rec === undefined) return undefined;
    return { timestamp: rec.lastTimestamp, seq: rec.lastSeq, result: rec.lastResult.slice() };
  }

  /** Merkle root over the whole state (accounts and client records), 32 bytes. */
  digest(): Uint8Array {
    this.flush();
    return this.tree.root().slice();
  }

  /** Canonical encoding of the whole state. */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.accounts.values(), this.clients.entries(), this.mintedTotal);
  }

  /** Balance of an account by its exact name; undefined when it does not exist. */
  balance(account: string): bigint | undefined {
    return this.accounts.get(account)?.balance;
  }

  /** Sum of all balances, computed afresh. */
  totalSupply(): bigint {
    let sum = 0n;
    for (const a of this.accounts.values()) sum += a.balance;
    return sum;
  }

  /** Total minted since genesis (conservation: genesis total + minted == totalSupply). */
  minted(): bigint {
    return this.mintedTotal;
  }

  /** Number of accounts. */
  accountCount(): number {
    return this.accounts.size;
  }

  /** A proof of one account's leaf against `digest()`, or undefined for an unknown account. */
  prove(account: string): AccountProof | undefined {
    const a = this.accounts.get(account);
    if (a === undefined) return undefined;
    this.flush();
    const proof = this.tree.proof(accountKey(a.nameBytes));
    if (proof === undefined) throw new Error('ledger: account missing from the tree');
    return { ...proof, account: a.name, owner: a.owner.slice(), balance: a.balance };
  }

  /** Checks the ledger's invariants; throws on a violation (a bug). Cost is linear in the state. */
  assertInvariants(): void {
    const violation = (what: string) => new Error(`ledger invariant: ${what}`);
    let sum = 0n;
    for (const a of this.accounts.values()) {
      if (a.balance < 0n || a.balance > MAX_AMOUNT) throw violation(`balance of ${a.name} out of range`);
      sum += a.balance;
    }
    if (sum !== this.supply) throw violation('cached supply drifted');
    if (sum !== this.genesis.total + this.mintedTotal) throw violation('money not conserved');
    if (sum > MAX_AMOUNT) throw violation('supply past the cap');
    this.flush();
    if (this.tree.size !== this.accounts.size + this.clients.size) throw violation('tree out of step');
  }

  /** Runs one decoded operation for a client whose key is `signer` (lowercase hex). */
  private apply(op: Op, signer: string): Outcome {
    switch (op.type) {
      case 'transfer':
        return this.transfer(op.value.from, op.value.to, op.value.amount, signer);
      case 'mint':
        return this.mint(op.value.to, op.value.amount, signer);
      case 'balance': {
        const a = this.accounts.get(op.value.account);
        return a === undefined
          ? fail(ResultCode.unknownAccount)
          : { code: ResultCode.ok, balance: a.balance };
      }
      case 'null':
        return { code: ResultCode.ok, balance: 0n };
    }
  }

  /**
   * Checks, in this fixed order: bad-amount, unknown-account (source), not-owner, self-transfer,
   * unknown-account (target), insufficient-funds, overflow. The target is created only on success.
   */
  private transfer(fromName: string, toName: string, amount: bigint, signer: string): Outcome {
    if (amount === 0n) return fail(ResultCode.badAmount);
    const from = this.accounts.get(fromName);
    if (from === undefined) return fail(ResultCode.unknownAccount);
    if (from.ownerHex !== signer) return fail(ResultCode.notOwner);
    if (toName === fromName) return fail(ResultCode.selfTransfer);
    const to = this.resolveTarget(toName);
    if (to === null) return fail(ResultCode.unknownAccount);
    if (from.balance < amount) return fail(ResultCode.insufficientFunds);
    if (to.account.balance + amount > MAX_AMOUNT || (to.isNew && this.accounts.size >= MAX_ACCOUNTS)) {
      return fail(ResultCode.overflow);
    }
    if (to.isNew) this.insertAccount(to.account);
    from.balance -= amount;
    to.account.balance += amount;
    this.dirtyAccounts.add(from);
    this.dirtyAccounts.add(to.account);
    return { code: ResultCode.ok, balance: from.balance };
  }

  /** Checks, in this fixed order: not-issuer, bad-amount, unknown-account, overflow (supply cap). */
  private mint(toName: string, amount: bigint, signer: string): Outcome {
    if (!this.genesis.issuers.has(signer)) return fail(ResultCode.notIssuer);
    if (amount === 0n) return fail(ResultCode.badAmount);
    const to = this.resolveTarget(toName);
    if (to === null) return fail(ResultCode.unknownAccount);
    // Capping the total supply caps every balance and the minted total too.
    if (this.supply + amount > MAX_AMOUNT || (to.isNew && this.accounts.size >= MAX_ACCOUNTS)) {
      return fail(ResultCode.overflow);
    }
    if (to.isNew) this.insertAccount(to.account);
    to.account.balance += amount;
    this.supply += amount;
    this.mintedTotal += amount;
    this.dirtyAccounts.add(to.account);
    return { code: ResultCode.ok, balance: to.account.balance };
  }

  /** The account a target name denotes: an existing one, a new key-owned one (not yet inserted), or null. */
  private resolveTarget(name: string): { account: Account; isNew: boolean } | null {
    const existing = this.accounts.get(name);
    if (existing !== undefined) return { account: existing, isNew: false };
    if (!isKeyHex(name)) return null;
    return { account: makeAccount(name, fromHex(name), name, 0n), isNew: true };
  }

  /** Adds an account and marks it for the tree. */
  private insertAccount(a: Account): void {
    this.accounts.set(a.name, a);
    this.dirtyAccounts.add(a);
  }

  /** Replaces the whole state (used by `restore` on a fresh ledger). */
  private load(state: LedgerState): void {
    this.accounts.clear();
    this.clients.clear();
    this.dirtyAccounts.clear();
    this.dirtyClients.clear();
    this.tree = new MerkleTree(this.hash);
    for (const a of state.accounts) this.insertAccount(a);
    for (const [id, rec] of state.clients) {
      this.clients.set(id, rec);
      this.dirtyClients.add(id);
    }
    this.mintedTotal = state.minted;
    this.supply = this.genesis.total + state.minted;
  }

  /** Hands every changed account and client record to the tree. */
  private flush(): void {
    for (const a of this.dirtyAccounts)
      this.tree.upsert(accountKey(a.nameBytes), accountLeaf(a.name, a.owner, a.balance));
    for (const id of this.dirtyClients)
      this.tree.upsert(clientKey(id), clientLeaf(id, this.clients.get(id)!));
    this.dirtyAccounts.clear();
    this.dirtyClients.clear();
  }
}
