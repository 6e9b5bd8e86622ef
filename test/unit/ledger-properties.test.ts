/**
 * Ledger properties, each with a fixed seed: conservation, order independence of the digest,
 * incremental digest == rebuilt digest, snapshot round trips and mutation fuzzing, proofs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeResult,
  encodeBalance,
  encodeMint,
  encodeTransfer,
  type Genesis,
  Ledger,
  LedgerError,
  MAX_AMOUNT,
  ResultCode,
  verifyAccountProof,
} from '../../src/ledger/index.js';

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());
const utf8 = new TextEncoder();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const key = (i: number): Uint8Array => sha256(utf8.encode(`prop-key:${i}`));

/** Keys 0..5 are clients (5 is the issuer); keys 6..7 are outsiders who only receive. */
const CLIENT_COUNT = 6;
const ISSUER = 5;
const GENESIS_NAMES = ['acct-0', 'acct-1', 'acct-2', 'shared-a', 'shared-b', 'ünïcødé', '\u{1F600}'];

function baseGenesis(): Genesis {
  return {
    accounts: GENESIS_NAMES.map((name, i) => ({ name, owner: key(i % 4), balance: BigInt(100 * (i + 1)) })),
    issuers: [key(ISSUER)],
    clients: Array.from({ length: CLIENT_COUNT }, (_, i) => key(i)),
  };
}

/** Names ops refer to: genesis names, key names (some become accounts), and names that never resolve. */
const NAME_POOL = [
  ...GENESIS_NAMES,
  ...Array.from({ length: 8 }, (_, i) => hex(key(i))),
  'nobody',
  hex(key(6)).toUpperCase(),
];

const amountArb = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 500n }) },
  { weight: 1, arbitrary: fc.constant(MAX_AMOUNT) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: MAX_AMOUNT }) },
);
const nameArb = fc.constantFrom(...NAME_POOL);

const smallAmountArb = fc.bigInt({ min: 1n, max: 300n });
/** Names client `c` (0..3) may spend from: its genesis accounts and its key name. */
const ownedBy = (c: number): string[] => [...GENESIS_NAMES.filter((_, i) => i % 4 === c), hex(key(c))];

/** Anything at all: any client id (some unknown), any op, including garbage bytes. */
const randomCmdArb = fc.record({
  client: fc.integer({ min: -1, max: CLIENT_COUNT }),
  tsStep: fc.integer({ min: -1, max: 2 }),
  op: fc.oneof(
    {
      weight: 5,
      arbitrary: fc.tuple(nameArb, nameArb, amountArb).map(([f, t, a]) => encodeTransfer(f, t, a)),
    },
    { weight: 2, arbitrary: fc.tuple(nameArb, amountArb).map(([t, a]) => encodeMint(t, a)) },
    { weight: 1, arbitrary: nameArb.map((n) => encodeBalance(n)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  ),
});
/** A transfer signed by the owner of its source: mostly succeeds, creating key-named accounts. */
const ownerTransferArb = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.nat(), nameArb, smallAmountArb, fc.integer({ min: 0, max: 2 }))
  .map(([client, pick, to, amount, tsStep]) => {
    const owned = ownedBy(client);
    return { client, tsStep, op: encodeTransfer(owned[pick % owned.length]!, to, amount) };
  });
/** A mint by the issuer. */
const issuerMintArb = fc
  .tuple(nameArb, fc.oneof(smallAmountArb, amountArb))
  .map(([to, amount]) => ({ client: ISSUER, tsStep: 1, op: encodeMint(to, amount) }));

/** One request: who sends it, how its timestamp moves (<= 0 replays or goes back), and the op. */
const cmdArb = fc.oneof(
  { weight: 3, arbitrary: randomCmdArb },
  { weight: 5, arbitrary: ownerTransferArb },
  { weight: 1, arbitrary: issuerMintArb },
);
const cmdsArb = fc.array(cmdArb, { minLength: 10, maxLength: 80 });
type Cmd = { client: number; tsStep: number; op: Uint8Array };

/** Runs commands; per client, the timestamp is the last one used plus `tsStep`. Returns the results. */
function run(ledger: Ledger, cmds: readonly Cmd[], onStep?: (i: number) => void): (Uint8Array | null)[] {
  const last = new Map<number, number>();
  return cmds.map((c, i) => {
    const ts = Math.max(0, (last.get(c.client) ?? 0) + c.tsStep);
    last.set(c.client, Math.max(ts, last.get(c.client) ?? 0));
    const out = ledger.execute(c.client, ts, c.op, Math.floor(i / 4) + 1);
    onStep?.(i);
    return out;
  });
}

function shuffled<T>(items: readonly T[], order: readonly number[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = (order[i] ?? 0) % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const GENESIS_TOTAL = baseGenesis().accounts.reduce((s, a) => s + a.balance, 0n);

describe('ledger properties', () => {
  it('conserves money; null exactly for stale timestamps of known clients', () => {
    fc.assert(
      fc.property(cmdsArb, (cmds) => {
        const ledger = new Ledger(baseGenesis(), sha256);
        const executed = new Map<number, number>();
        const last = new Map<number, number>();
        for (const [i, c] of cmds.entries()) {
          const ts = Math.max(0, (last.get(c.client) ?? 0) + c.tsStep);
          last.set(c.client, Math.max(ts, last.get(c.client) ?? 0));
          const before = i % 8 === 0 ? hex(ledger.digest()) : null;
          const out = ledger.execute(c.client, ts, c.op, i + 1);
          const known = c.client >= 0 && c.client < CLIENT_COUNT;
          const prev = executed.get(c.client);
          const stale = known && prev !== undefined && ts <= prev;
          assert.equal(out === null, stale);
          if (out === null && before !== null) assert.equal(hex(ledger.digest()), before);
          if (!known) assert.equal(decodeResult(out!)?.code, ResultCode.unknownClient);
          if (known && !stale) executed.set(c.client, ts);
          assert.equal(ledger.totalSupply(), GENESIS_TOTAL + ledger.minted());
          ledger.assertInvariants();
        }
        for (const name of NAME_POOL) assert.ok((ledger.balance(name) ?? 0n) >= 0n);
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('digest ignores genesis account and issuer order, and when digests were taken', () => {
    fc.assert(
      fc.property(
        cmdsArb,
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 1, max: 7 }),
        (cmds, order, every) => {
          const g = baseGenesis();
          const other: Genesis = {
            ...g,
            accounts: shuffled(g.accounts, order),
            issuers: [key(7), key(ISSUER)],
          };
          const a = new Ledger(g, sha256);
          const b = new Ledger(other, sha256);
          run(a, cmds);
          // b takes digests along the way: the incremental path must land on the same root.
          run(b, cmds, (i) => i % every === 0 && b.digest());
          assert.equal(hex(b.digest()), hex(a.digest()));
          assert.equal(hex(Ledger.restore(a.snapshot(), g, sha256).digest()), hex(a.digest()));
        },
      ),
      { seed: 42, numRuns: 120 },
    );
  });

  it('digest ignores the order in which accounts were created at runtime', () => {
    const senders = 12;
    const g: Genesis = {
      accounts: Array.from({ length: senders }, (_, i) => ({
        name: `s${i}`,
        owner: key(100 + i),
        balance: 1000n,
      })),
      issuers: [],
      clients: Array.from({ length: senders }, (_, i) => key(100 + i)),
    };
    const transferArb = fc.tuple(fc.integer({ min: 0, max: 15 }), fc.bigInt({ min: 1n, max: 1000n }));
    fc.assert(
      fc.property(
        fc.array(transferArb, { minLength: senders, maxLength: senders }),
        fc.array(fc.nat(), { minLength: senders, maxLength: senders }),
        fc.boolean(),
        (transfers, order, digestBetween) => {
          // Client i sends once, to one of 16 fresh keys (several may hit the same one).
          const ops = transfers.map(([to, amount], i) => ({
            i,
            op: encodeTransfer(`s${i}`, hex(key(200 + to)), amount),
          }));
          const a = new Ledger(g, sha256);
          const b = new Ledger(g, sha256);
          for (const { i, op } of ops) a.execute(i, 1, op, 1);
          for (const { i, op } of shuffled(ops, order)) {
            b.execute(i, 1, op, 1);
            if (digestBetween) b.digest();
          }
          assert.equal(hex(b.digest()), hex(a.digest()));
          assert.deepEqual(b.snapshot(), a.snapshot());
        },
      ),
      { seed: 42, numRuns: 150 },
    );
  });

  it('snapshot -> restore keeps digest, balances, reply cache, and re-encodes identically', () => {
    fc.assert(
      fc.property(cmdsArb, fc.integer({ min: 1, max: 40 }), (cmds, split) => {
        const g = baseGenesis();
        const ledger = new Ledger(g, sha256);
        run(ledger, cmds.slice(0, split));
        const restored = Ledger.restore(ledger.snapshot(), g, sha256);
        assert.equal(hex(restored.digest()), hex(ledger.digest()));
        assert.deepEqual(restored.snapshot(), ledger.snapshot());
        for (const name of NAME_POOL) assert.equal(restored.balance(name), ledger.balance(name));
        for (let c = 0; c < CLIENT_COUNT; c++) assert.deepEqual(restored.lastReply(c), ledger.lastReply(c));
        assert.equal(restored.minted(), ledger.minted());
        // Both continue identically.
        const rest = cmds.slice(split);
        assert.deepEqual(run(restored, rest), run(ledger, rest));
        assert.equal(hex(restored.digest()), hex(ledger.digest()));
        restored.assertInvariants();
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('proofs verify for every account and fail for a wrong balance', () => {
    fc.assert(
      fc.property(cmdsArb, fc.bigInt({ min: 1n, max: 1000n }), (cmds, delta) => {
        const ledger = new Ledger(baseGenesis(), sha256);
        run(ledger, cmds);
        const root = ledger.digest();
        for (const name of NAME_POOL) {
          const proof = ledger.prove(name);
          if (proof === undefined) {
            assert.equal(ledger.balance(name), undefined);
            continue;
          }
          assert.ok(verifyAccountProof(root, proof, sha256));
          assert.ok(!verifyAccountProof(root, { ...proof, balance: proof.balance + delta }, sha256));
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

/** Byte-level mutations of a snapshot. */
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 20 }) }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;

function mutate(s: Uint8Array, m: Mutation): Uint8Array {
  const at = m.at % (s.length + 1);
  switch (m.kind) {
    case 'flip': {
      const out = s.slice();
      if (at < out.length) out[at]! ^= 1 << m.bit;
      return out;
    }
    case 'set': {
      const out = s.slice();
      if (at < out.length) out[at] = m.value;
      return out;
    }
    case 'truncate':
      return s.slice(0, at);
    case 'insert':
      return Uint8Array.of(...s.subarray(0, at), m.value, ...s.subarray(at));
    case 'delete':
      return Uint8Array.of(...s.subarray(0, at), ...s.subarray(at + m.count));
    case 'splice':
      return Uint8Array.of(...s.subarray(0, at), ...m.bytes, ...s.subarray(at + m.bytes.length));
  }
}

describe('ledger snapshots under mutation', () => {
  const g = baseGenesis();
  const source = new Ledger(g, sha256);
  const [sourceCmds] = fc.sample(fc.array(cmdArb, { minLength: 60, maxLength: 60 }), { seed: 7, numRuns: 1 });
  run(source, sourceCmds ?? []);
  const snapshot = source.snapshot();

  it('restore of a mutated snapshot throws bad-snapshot, or accepts a canonical valid state', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (mutations) => {
        const bytes = mutations.reduce(mutate, snapshot);
        let restored: Ledger;
        try {
          restored = Ledger.restore(bytes, g, sha256);
        } catch (e) {
          assert.ok(e instanceof LedgerError, `unexpected ${String(e)}`);
          assert.equal(e.code, 'bad-snapshot');
          return;
        }
        accepted++;
        assert.deepEqual(restored.snapshot(), bytes);
        restored.assertInvariants();
        restored.digest();
      }),
      { seed: 42, numRuns: 4000 },
    );
    // Timestamps and sequence numbers are free, so some mutations give other valid states.
    assert.ok(accepted < 4000);
  });

  it('restore of random bytes throws bad-snapshot only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.throws(
          () => Ledger.restore(bytes, g, sha256),
          (e) => e instanceof LedgerError && e.code === 'bad-snapshot',
        );
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('refuses a snapshot from another genesis', () => {
    const other = baseGenesis();
    other.accounts[0]!.owner = key(9);
    assert.throws(
      () => Ledger.restore(snapshot, other, sha256),
      (e) => e instanceof LedgerError && e.code === 'bad-snapshot',
    );
    const fewerClients = { ...baseGenesis(), clients: [key(0)] };
    assert.throws(
      () => Ledger.restore(snapshot, fewerClients, sha256),
      (e) => e instanceof LedgerError && e.code === 'bad-snapshot',
    );
  });
});
