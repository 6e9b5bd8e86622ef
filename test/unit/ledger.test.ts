/** Ledger unit tables: every result code, exactly-once, Merkle rules, proofs, genesis checks, anchors. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  accountLeaf,
  decodeResult,
  encodeBalance,
  encodeMint,
  encodeNull,
  encodeResult,
  encodeTransfer,
  type Genesis,
  Ledger,
  LedgerError,
  MAX_AMOUNT,
  MAX_NULL_PAYLOAD_BYTES,
  ResultCode,
  verifyAccountProof,
  verifyProof,
} from '../../src/ledger/index.js';
import { SNAPSHOT } from '../../src/ledger/state.js';
import { decode, encode } from '../../src/messages/codec.js';
import { LIMITS } from '../../src/messages/schema.js';

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());
const utf8 = new TextEncoder();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** A deterministic 32-byte "public key" (the ledger never checks curve membership). */
const key = (label: string): Uint8Array => sha256(utf8.encode(`key:${label}`));

const ALICE = key('alice');
const BOB = key('bob');
const ISSUER = key('issuer');
const CAROL = key('carol');
const DAVE = key('dave');
/** Client ids: 0 alice, 1 bob, 2 issuer, 3 carol (owns a genesis account with nothing), 4 dave (owns none). */
const C = { alice: 0, bob: 1, issuer: 2, carol: 3, dave: 4 } as const;

/** A fresh genesis each call (with its own key copies, so tests may mutate it). */
function genesis(): Genesis {
  return {
    accounts: [
      { name: 'alice', owner: ALICE.slice(), balance: 1000n },
      { name: 'bob', owner: BOB.slice(), balance: 500n },
      { name: 'carol', owner: CAROL.slice(), balance: 0n },
    ],
    issuers: [ISSUER.slice()],
    clients: [ALICE, BOB, ISSUER, CAROL, DAVE].map((k) => k.slice()),
  };
}

/** Executes with a fresh timestamp per call and returns the decoded result. */
function runner(ledger: Ledger) {
  let ts = 0;
  return (client: number, op: Uint8Array) => {
    const out = ledger.execute(client, ++ts, op, ts);
    assert.ok(out !== null);
    const result = decodeResult(out);
    assert.ok(result !== null);
    return result;
  };
}

describe('ledger: result codes', () => {
  const T = encodeTransfer;
  const cases: [string, number, () => Uint8Array, number, bigint][] = [
    ['transfer ok reports the sender balance', C.alice, () => T('alice', 'bob', 100n), ResultCode.ok, 900n],
    ['transfer to a fresh key creates it', C.alice, () => T('alice', hex(DAVE), 7n), ResultCode.ok, 993n],
    ['mint ok reports the target balance', C.issuer, () => encodeMint('bob', 5n), ResultCode.ok, 505n],
    ['mint to a fresh key creates it', C.issuer, () => encodeMint(hex(DAVE), 5n), ResultCode.ok, 5n],
    ['balance ok', C.dave, () => encodeBalance('bob'), ResultCode.ok, 500n],
    ['garbage op', C.alice, () => new Uint8Array([0xff]), ResultCode.malformedOp, 0n],
    ['empty op', C.alice, () => new Uint8Array(0), ResultCode.malformedOp, 0n],
    ['trailing byte', C.alice, () => Uint8Array.of(...encodeBalance('bob'), 0), ResultCode.malformedOp, 0n],
    ['empty name', C.alice, () => Uint8Array.of(2, 0, 0, 0, 0), ResultCode.malformedOp, 0n],
    ['invalid UTF-8 name', C.alice, () => Uint8Array.of(2, 0, 0, 0, 1, 0xc0), ResultCode.malformedOp, 0n],
    [
      'name over 64 bytes',
      C.alice,
      () => Uint8Array.of(2, 0, 0, 0, 65, ...new Uint8Array(65).fill(97)),
      ResultCode.malformedOp,
      0n,
    ],
    ['unknown client id', 99, () => encodeBalance('bob'), ResultCode.unknownClient, 0n],
    ['negative client id', -1, () => encodeBalance('bob'), ResultCode.unknownClient, 0n],
    ['unknown source', C.alice, () => T('nobody', 'bob', 1n), ResultCode.unknownAccount, 0n],
    ['unknown non-hex target', C.alice, () => T('alice', 'nobody', 1n), ResultCode.unknownAccount, 0n],
    [
      'uppercase hex is not a key name',
      C.alice,
      () => T('alice', hex(DAVE).toUpperCase(), 1n),
      ResultCode.unknownAccount,
      0n,
    ],
    [
      '63 hex digits are not a key name',
      C.alice,
      () => T('alice', hex(DAVE).slice(1), 1n),
      ResultCode.unknownAccount,
      0n,
    ],
    ['BOM-prefixed name is another name', C.alice, () => BOM_BOB_BALANCE, ResultCode.unknownAccount, 0n],
    ['balance of unknown account', C.alice, () => encodeBalance(hex(DAVE)), ResultCode.unknownAccount, 0n],
    ['mint to unknown non-hex', C.issuer, () => encodeMint('nobody', 1n), ResultCode.unknownAccount, 0n],
    [
      'hex of a genesis owner is not an alias',
      C.bob,
      () => T(hex(BOB), 'alice', 1n),
      ResultCode.unknownAccount,
      0n,
    ],
    ['not the owner', C.bob, () => T('alice', 'bob', 1n), ResultCode.notOwner, 0n],
    ['insufficient funds', C.alice, () => T('alice', 'bob', 1001n), ResultCode.insufficientFunds, 0n],
    ['empty account', C.carol, () => T('carol', 'bob', 1n), ResultCode.insufficientFunds, 0n],
    ['not an issuer', C.alice, () => encodeMint('alice', 1n), ResultCode.notIssuer, 0n],
    ['zero transfer', C.alice, () => T('alice', 'bob', 0n), ResultCode.badAmount, 0n],
    ['zero mint', C.issuer, () => encodeMint('bob', 0n), ResultCode.badAmount, 0n],
    ['mint past the supply cap', C.issuer, () => encodeMint('bob', MAX_AMOUNT), ResultCode.overflow, 0n],
    ['self transfer', C.alice, () => T('alice', 'alice', 1n), ResultCode.selfTransfer, 0n],
  ];
  for (const [title, client, op, code, balance] of cases) {
    it(title, () => {
      const ledger = new Ledger(genesis(), sha256);
      const before = ledger.digest();
      const supply = ledger.totalSupply();
      const result = runner(ledger)(client, op());
      assert.deepEqual(result, { code, balance });
      ledger.assertInvariants();
      if (code !== ResultCode.ok) {
        assert.equal(ledger.totalSupply(), supply);
        assert.equal(ledger.balance(hex(DAVE)), undefined, 'a failed op creates no account');
        // The slot is consumed (client record changed) unless the client is unknown.
        assert.equal(hex(ledger.digest()) === hex(before), code === ResultCode.unknownClient);
      }
    });
  }

  it('every code has a table row', () => {
    const covered = new Set(cases.map((c) => c[3]));
    for (const code of Object.values(ResultCode)) assert.ok(covered.has(code), `code ${code}`);
  });

  it('mint up to exactly the cap succeeds', () => {
    const ledger = new Ledger(genesis(), sha256);
    const run = runner(ledger);
    assert.deepEqual(run(C.issuer, encodeMint('carol', MAX_AMOUNT - 1500n)), {
      code: ResultCode.ok,
      balance: MAX_AMOUNT - 1500n,
    });
    assert.equal(ledger.totalSupply(), MAX_AMOUNT);
    assert.equal(run(C.issuer, encodeMint('carol', 1n)).code, ResultCode.overflow);
    ledger.assertInvariants();
  });

  it('a created account is spendable by its key', () => {
    const ledger = new Ledger(genesis(), sha256);
    const run = runner(ledger);
    run(C.alice, encodeTransfer('alice', hex(DAVE), 40n));
    assert.deepEqual(run(C.dave, encodeTransfer(hex(DAVE), 'bob', 15n)), {
      code: ResultCode.ok,
      balance: 25n,
    });
    assert.equal(run(C.alice, encodeTransfer(hex(DAVE), 'bob', 1n)).code, ResultCode.notOwner);
    assert.equal(ledger.balance('bob'), 515n);
  });
});

/** A balance query for "\uFEFFbob": a leading BOM must not be stripped into "bob". */
const BOM_BOB_BALANCE = Uint8Array.of(2, 0, 0, 0, 6, 0xef, 0xbb, 0xbf, ...utf8.encode('bob'));

describe('ledger: exactly once', () => {
  it('a duplicate (client, timestamp) returns null and changes nothing', () => {
    const ledger = new Ledger(genesis(), sha256);
    const first = ledger.execute(C.alice, 10, encodeTransfer('alice', 'bob', 1n), 1);
    assert.ok(first !== null);
    const digest = hex(ledger.digest());
    assert.equal(ledger.execute(C.alice, 10, encodeTransfer('alice', 'bob', 1n), 2), null);
    assert.equal(ledger.execute(C.alice, 9, encodeTransfer('alice', 'bob', 1n), 2), null);
    assert.equal(ledger.execute(C.alice, 0, encodeMint('alice', 1n), 2), null);
    assert.equal(hex(ledger.digest()), digest);
    assert.equal(ledger.balance('alice'), 999n);
    assert.deepEqual(ledger.lastReply(C.alice), { timestamp: 10, seq: 1, result: first });
  });

  it('a failed op consumes its timestamp and caches its error', () => {
    const ledger = new Ledger(genesis(), sha256);
    const out = ledger.execute(C.bob, 5, encodeTransfer('alice', 'bob', 1n), 3);
    assert.ok(out !== null);
    assert.deepEqual(decodeResult(out), { code: ResultCode.notOwner, balance: 0n });
    assert.deepEqual(ledger.lastReply(C.bob), { timestamp: 5, seq: 3, result: out });
    assert.equal(ledger.execute(C.bob, 5, encodeTransfer('bob', 'alice', 1n), 4), null);
    assert.equal(ledger.balance('bob'), 500n);
  });

  it('unknown clients get no record', () => {
    const ledger = new Ledger(genesis(), sha256);
    ledger.execute(7, 1, encodeBalance('bob'), 1);
    assert.equal(ledger.lastReply(7), undefined);
  });

  it('timestamp 0 is a valid first timestamp; callers cannot corrupt the cache', () => {
    const ledger = new Ledger(genesis(), sha256);
    const out = ledger.execute(C.alice, 0, encodeBalance('alice'), 0);
    assert.ok(out !== null);
    out.fill(0xff);
    ledger.lastReply(C.alice)?.result.fill(0xff);
    assert.deepEqual(decodeResult(ledger.lastReply(C.alice)!.result), {
      code: ResultCode.ok,
      balance: 1000n,
    });
  });

  it('rejects non-integer timestamps and sequence numbers as caller bugs', () => {
    const ledger = new Ledger(genesis(), sha256);
    assert.throws(() => ledger.execute(C.alice, 1.5, encodeBalance('alice'), 1), RangeError);
    assert.throws(() => ledger.execute(C.alice, 1, encodeBalance('alice'), -1), RangeError);
  });
});

describe('ledger: digest rules', () => {
  const node = (l: Uint8Array, r: Uint8Array) => sha256(Uint8Array.of(1, ...l, ...r));
  const leaf = (b: Uint8Array) => sha256(Uint8Array.of(0, ...b));

  it('three leaves: H(1 || H(1 || L0 || L1) || L2), the odd one promoted', () => {
    const g: Genesis = {
      accounts: [
        { name: 'c', owner: CAROL, balance: 3n },
        { name: 'a', owner: ALICE, balance: 1n },
        { name: 'b', owner: BOB, balance: 2n },
      ],
      issuers: [],
      clients: [],
    };
    const [a, b, c] = [accountLeaf('a', ALICE, 1n), accountLeaf('b', BOB, 2n), accountLeaf('c', CAROL, 3n)];
    const expected = node(node(leaf(a), leaf(b)), leaf(c));
    assert.equal(hex(new Ledger(g, sha256).digest()), hex(expected));
  });

  it('orders names by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FFFF (EF BF BF) sorts before U+10000 (F0 90 80 80) as bytes, after it as UTF-16.
    const g: Genesis = {
      accounts: [
        { name: '\u{10000}', owner: ALICE, balance: 1n },
        { name: '\uffff', owner: BOB, balance: 2n },
      ],
      issuers: [],
      clients: [],
    };
    const expected = node(leaf(accountLeaf('\uffff', BOB, 2n)), leaf(accountLeaf('\u{10000}', ALICE, 1n)));
    assert.equal(hex(new Ledger(g, sha256).digest()), hex(expected));
  });

  it('empty state: H(empty); one leaf: its leaf hash', () => {
    assert.equal(
      hex(new Ledger({ accounts: [], issuers: [], clients: [] }, sha256).digest()),
      hex(sha256(new Uint8Array(0))),
    );
    const one: Genesis = { accounts: [{ name: 'a', owner: ALICE, balance: 1n }], issuers: [], clients: [] };
    assert.equal(hex(new Ledger(one, sha256).digest()), hex(leaf(accountLeaf('a', ALICE, 1n))));
  });

  it('regression anchor: the digest of a fixed genesis never changes', () => {
    assert.equal(hex(new Ledger(genesis(), sha256).digest()), ANCHOR_GENESIS_DIGEST);
    const ledger = new Ledger(genesis(), sha256);
    ledger.execute(C.alice, 1, encodeTransfer('alice', hex(DAVE), 10n), 1);
    ledger.execute(C.issuer, 1, encodeMint('bob', 3n), 1);
    assert.equal(hex(ledger.digest()), ANCHOR_AFTER_DIGEST);
  });

  it('the largest op and any result fit the wire limits', () => {
    const longest = 'x'.repeat(64);
    assert.ok(encodeTransfer(longest, longest, MAX_AMOUNT).length <= LIMITS.maxOpBytes);
    assert.ok(encodeResult(ResultCode.ok, MAX_AMOUNT).length <= LIMITS.maxResultBytes);
    assert.throws(() => encodeBalance('x'.repeat(65)), RangeError);
    assert.throws(() => encodeTransfer('a', 'b', -1n), RangeError);
    assert.throws(() => encodeMint('a', MAX_AMOUNT + 1n), RangeError);
  });

  it('regression anchor: operation and result encodings never change', () => {
    assert.equal(
      hex(encodeTransfer('a', 'b', 258n)),
      '000000000161000000016200000000000000000000000000000102',
    );
    assert.equal(hex(encodeMint('z', 1n)), '01000000017a00000000000000000000000000000001');
    assert.equal(hex(encodeBalance('q')), '020000000171');
    assert.equal(hex(encodeResult(ResultCode.insufficientFunds, 0n)), `05${'00'.repeat(16)}`);
    assert.equal(decodeResult(Uint8Array.of(ResultCode.notOwner, ...new Uint8Array(15), 1)), null);
    assert.equal(decodeResult(Uint8Array.of(10, ...new Uint8Array(16))), null);
  });
});

/** Cross-checked against an independent implementation of the leaf and tree rules. */
const ANCHOR_GENESIS_DIGEST = '1627161afe44bb5270bdcd8af4b0c760c5019b027144cf3d6969324a561581a9';
/** Same, after one transfer creating a key-named account and one mint (client leaves included). */
const ANCHOR_AFTER_DIGEST = '54939fea56c340a3abc408e158b816a22f6a5df4e2f96982357b68beb88bcfc9';

describe('ledger: proofs', () => {
  it('every account verifies; a wrong balance, owner, index or root does not', () => {
    const ledger = new Ledger(genesis(), sha256);
    const run = runner(ledger);
    run(C.alice, encodeTransfer('alice', hex(DAVE), 10n));
    run(C.issuer, encodeMint(hex(ISSUER), 10n));
    const root = ledger.digest();
    for (const name of ['alice', 'bob', 'carol', hex(DAVE), hex(ISSUER)]) {
      const proof = ledger.prove(name);
      assert.ok(proof !== undefined, name);
      assert.equal(proof.balance, ledger.balance(name));
      assert.ok(verifyAccountProof(root, proof, sha256), name);
      assert.ok(!verifyAccountProof(root, { ...proof, balance: proof.balance + 1n }, sha256));
      assert.ok(!verifyAccountProof(root, { ...proof, owner: BOB.slice().fill(1) }, sha256));
      assert.ok(!verifyAccountProof(root, { ...proof, index: proof.index ^ 1 }, sha256));
      assert.ok(!verifyAccountProof(root, { ...proof, leafCount: proof.index }, sha256));
      assert.ok(!verifyAccountProof(root, { ...proof, siblings: proof.siblings.slice(1) }, sha256));
      assert.ok(!verifyAccountProof(key('other-root'), proof, sha256));
      assert.ok(verifyProof(root, accountLeaf(name, proof.owner, proof.balance), proof, sha256));
      proof.siblings[0]?.fill(0);
      assert.equal(hex(ledger.digest()), hex(root), 'a proof shares no buffer with the tree');
      assert.ok(verifyAccountProof(root, ledger.prove(name)!, sha256));
    }
    assert.equal(ledger.prove('nobody'), undefined);
  });
});

describe('ledger: genesis validation', () => {
  const bad: [string, (g: Genesis) => void][] = [
    ['duplicate name', (g) => g.accounts.push({ name: 'alice', owner: BOB, balance: 0n })],
    ['empty name', (g) => g.accounts.push({ name: '', owner: BOB, balance: 0n })],
    ['long name', (g) => g.accounts.push({ name: 'x'.repeat(65), owner: BOB, balance: 0n })],
    ['lone surrogate', (g) => g.accounts.push({ name: '\ud800', owner: BOB, balance: 0n })],
    ['short owner', (g) => g.accounts.push({ name: 'x', owner: new Uint8Array(31), balance: 0n })],
    ['negative balance', (g) => g.accounts.push({ name: 'x', owner: BOB, balance: -1n })],
    ['balance past the cap', (g) => g.accounts.push({ name: 'x', owner: BOB, balance: MAX_AMOUNT + 1n })],
    ['total past the cap', (g) => g.accounts.push({ name: 'x', owner: BOB, balance: MAX_AMOUNT })],
    ['key name of another key', (g) => g.accounts.push({ name: hex(ALICE), owner: BOB, balance: 0n })],
    ['bad issuer', (g) => g.issuers.push(new Uint8Array(33))],
    ['bad client', (g) => g.clients.push(new Uint8Array(0))],
  ];
  for (const [title, mutate] of bad) {
    it(`refuses ${title}`, () => {
      const g = genesis();
      mutate(g);
      assert.throws(
        () => new Ledger(g, sha256),
        (e) => e instanceof LedgerError && e.code === 'bad-genesis',
      );
    });
  }

  it('accepts a key-named genesis account owned by that key', () => {
    const g = genesis();
    g.accounts.push({ name: hex(DAVE), owner: DAVE, balance: 1n });
    assert.equal(new Ledger(g, sha256).balance(hex(DAVE)), 1n);
  });

  it('keeps its own copy of genesis keys', () => {
    const g = genesis();
    const ledger = new Ledger(g, sha256);
    g.clients[C.alice] = BOB;
    g.accounts[0]!.owner.fill(0);
    assert.equal(runner(ledger)(C.alice, encodeTransfer('alice', 'bob', 1n)).code, ResultCode.ok);
  });
});

describe('ledger: restore validation', () => {
  type Snap = ReturnType<typeof SNAPSHOT.decode>;
  const source = new Ledger(genesis(), sha256);
  const run = runner(source);
  run(C.alice, encodeTransfer('alice', hex(DAVE), 10n));
  run(C.issuer, encodeMint('bob', 3n));
  run(C.bob, encodeTransfer('alice', 'bob', 3n));
  const valid = source.snapshot();
  const fresh = (): Snap => {
    const r = decode(SNAPSHOT, valid);
    assert.ok(r.ok);
    return r.value;
  };
  const cases: [string, (s: Snap) => void][] = [
    [
      'an unknown version',
      (s) => {
        s.version = 2;
      },
    ],
    ['unsorted accounts', (s) => s.accounts.reverse()],
    ['a duplicate account', (s) => s.accounts.splice(1, 0, { ...s.accounts[0]!, balance: 0n })],
    [
      'a missing genesis account',
      (s) => {
        s.accounts = s.accounts.filter((a) => a.name !== 'carol');
      },
    ],
    [
      'a genesis account with another owner',
      (s) => {
        s.accounts[0]!.owner = DAVE;
      },
    ],
    [
      'an account outside genesis with a plain name',
      (s) => s.accounts.push({ name: 'zed', owner: DAVE, balance: 0n }),
    ],
    [
      'a key-named account owned by another key',
      (s) => {
        s.accounts.find((a) => a.name === hex(DAVE))!.owner = BOB;
      },
    ],
    [
      'minted not matching the supply',
      (s) => {
        s.minted += 1n;
      },
    ],
    [
      'a balance changed',
      (s) => {
        s.accounts[0]!.balance += 1n;
      },
    ],
    ['a client outside genesis', (s) => s.clients.push({ ...s.clients[0]!, client: 5 })],
    ['unsorted clients', (s) => s.clients.reverse()],
    ['a duplicate client', (s) => s.clients.push({ ...s.clients.at(-1)! })],
    [
      'a cached unknown-client result',
      (s) => {
        s.clients[0]!.lastResult = { code: ResultCode.unknownClient, balance: 0n };
      },
    ],
  ];
  for (const [title, change] of cases) {
    it(`refuses ${title}`, () => {
      const s = fresh();
      change(s);
      assert.throws(
        () => Ledger.restore(encode(SNAPSHOT, s), genesis(), sha256),
        (e) => e instanceof LedgerError && e.code === 'bad-snapshot',
      );
    });
  }

  it('refuses byte-level non-canonical forms', () => {
    const variants = [
      Uint8Array.of(...valid, 0),
      valid.subarray(0, valid.length - 1),
      // The last client's cached result: an error code carrying a balance.
      valid
        .slice()
        .fill(ResultCode.notOwner, valid.length - 33, valid.length - 32)
        .fill(1, valid.length - 17, valid.length - 16),
    ];
    for (const bytes of variants) {
      assert.throws(
        () => Ledger.restore(bytes, genesis(), sha256),
        (e) => e instanceof LedgerError && e.code === 'bad-snapshot',
      );
    }
  });

  it('accepts the untouched snapshot', () => {
    const s = fresh();
    assert.equal(hex(Ledger.restore(encode(SNAPSHOT, s), genesis(), sha256).digest()), hex(source.digest()));
  });
});

describe('ledger: the null operation (benchmarks)', () => {
  it('executes as a no-op: ok with balance 0, no balance moves, only the client record changes', () => {
    const ledger = new Ledger(genesis(), sha256);
    const reference = new Ledger(genesis(), sha256);
    const out = ledger.execute(C.dave, 1, encodeNull(new Uint8Array(100).fill(7)), 1);
    assert.ok(out !== null);
    assert.deepEqual(decodeResult(out), { code: ResultCode.ok, balance: 0n });
    for (const name of ['alice', 'bob', 'carol']) assert.equal(ledger.balance(name), reference.balance(name));
    assert.notEqual(hex(ledger.digest()), hex(reference.digest()), 'the client record is part of the state');
    ledger.assertInvariants();
  });

  it('is exactly-once like any request: a repeated timestamp returns null and changes nothing', () => {
    const ledger = new Ledger(genesis(), sha256);
    const op = encodeNull(new Uint8Array(4));
    const first = ledger.execute(C.alice, 5, op, 1);
    assert.ok(first !== null);
    const digest = hex(ledger.digest());
    assert.equal(ledger.execute(C.alice, 5, op, 2), null);
    assert.equal(ledger.execute(C.alice, 4, op, 2), null);
    assert.equal(hex(ledger.digest()), digest);
    assert.deepEqual(ledger.lastReply(C.alice), { timestamp: 5, seq: 1, result: first });
  });

  it('is deterministic: two ledgers running the same null ops (any payload) reach the same digest', () => {
    const a = new Ledger(genesis(), sha256);
    const b = new Ledger(genesis(), sha256);
    for (let i = 1; i <= 20; i++) {
      const op = encodeNull(Uint8Array.from({ length: i * 13 }, (_, j) => (i * j) & 0xff));
      assert.deepEqual(a.execute(i % 5, i, op, i), b.execute(i % 5, i, op, i));
    }
    assert.equal(hex(a.digest()), hex(b.digest()));
    assert.equal(hex(Ledger.restore(a.snapshot(), genesis(), sha256).digest()), hex(b.digest()));
  });

  it('payloads up to MAX_NULL_PAYLOAD_BYTES fit in an op; longer ones are refused when encoding', () => {
    assert.ok(encodeNull(new Uint8Array(MAX_NULL_PAYLOAD_BYTES)).length <= LIMITS.maxOpBytes);
    assert.throws(() => encodeNull(new Uint8Array(MAX_NULL_PAYLOAD_BYTES + 1)), RangeError);
  });
});
