/**
 * Stores: the reference semantics of what is kept (table-driven on MemoryStore), the LevelDB
 * store's equivalence to it on the same records and across reopening, its typed errors, and the
 * durable append rate it sustains.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PersistRecord } from '../../src/core/pbft/types.js';
import { Prng } from '../../src/core/prng.js';
import { toHex } from '../../src/crypto/hex.js';
import type { BodyOf, Kind } from '../../src/messages/schema.js';
import type { Message } from '../../src/messages/types.js';
import { type DurableState, LevelStore, MemoryStore, StorageError } from '../../src/storage/index.js';
import { asReplica, makeCluster, prePrepare, request } from '../support/cluster.js';

const c = makeCluster(4);
/** The replica whose store this is. */
const ME = 1;
/** A readable name for every envelope made here, by its hex: assertions compare names, not bytes. */
const names = new Map<string, string>();

function named<K extends Kind>(msg: Message<K>, name: string): Message<K> {
  names.set(toHex(msg.bytes), name);
  return msg;
}
function nameOf(bytes: Uint8Array): string {
  return names.get(toHex(bytes)) ?? `unknown ${bytes.length}B`;
}

/** An envelope signed by `id` (this replica by default). */
function signedBy<K extends Kind>(kind: K, body: BodyOf[K], name: string, id = ME): Message<K> {
  return named(asReplica(c, id, kind, body), name);
}
const digest = (n: number) => new Uint8Array(32).fill(n);
const vote = (kind: 'prepare' | 'commit', view: number, seq: number, d = 1) =>
  signedBy(kind, { view, seq, digest: digest(d) }, `${kind} v${view} s${seq}${d === 1 ? '' : ` d${d}`}`);
const checkpointVote = (seq: number, id = ME) =>
  signedBy('checkpoint', { seq, stateDigest: digest(seq) }, `checkpoint s${seq} r${id}`, id);
const pp = (view: number, seq: number) => named(prePrepare(c, view, seq, []), `pp v${view} s${seq}`);
const vc = (newView: number) =>
  signedBy(
    'view-change',
    { newView, stableSeq: 0, stableDigest: digest(0), checkpointProof: [], prepared: [] },
    `vc ${newView}`,
  );
const nv = (view: number) => signedBy('new-view', { view, viewChanges: [], prePrepares: [] }, `nv ${view}`);

const signed = (msg: Message): PersistRecord => ({ type: 'signed', msg });
const executed = (seq: number, view = 0): PersistRecord => ({
  type: 'executed',
  seq,
  prePrepare: pp(view, seq),
});
const prepared = (seq: number, view: number): PersistRecord => ({
  type: 'prepared',
  seq,
  prePrepare: pp(view, seq),
  prepares: [2, 3].map((id) => signedBy('prepare', { view, seq, digest: digest(1) }, `p r${id}`, id)),
});
const stable = (seq: number): PersistRecord => ({
  type: 'stable-checkpoint',
  seq,
  stateDigest: digest(seq),
  proof: [0, 1, 2].map((id) => checkpointVote(seq, id)),
  snapshot: new Uint8Array(100 + seq).fill(seq),
});

/** The state as names, for readable assertions. */
function describeState(s: DurableState) {
  return {
    stable: s.stable?.seq,
    executed: s.executed.map((e) => `${e.seq}: ${nameOf(e.prePrepare)}`),
    prepared: s.prepared.map((p) => nameOf(p.prePrepare)),
    signed: s.signed.map(nameOf),
    corrupt: s.corrupt,
  };
}

interface Case {
  readonly name: string;
  readonly groups: readonly (readonly PersistRecord[])[];
  readonly expect: Partial<ReturnType<typeof describeState>>;
}

const CASES: Case[] = [
  {
    name: 'executed batches come back in seq order',
    groups: [[executed(2), executed(1)], [executed(3)]],
    expect: { stable: undefined, executed: ['1: pp v0 s1', '2: pp v0 s2', '3: pp v0 s3'] },
  },
  {
    name: 'a gap stops the executed chain',
    groups: [[executed(1), executed(2), executed(4), executed(5)]],
    expect: { executed: ['1: pp v0 s1', '2: pp v0 s2'] },
  },
  {
    name: 'the executed chain must start right above the stable checkpoint',
    groups: [[stable(4)], [executed(6), executed(7)]],
    expect: { stable: 4, executed: [] },
  },
  {
    name: 'votes of several views for one seq are all kept, in append order',
    groups: [
      [signed(vote('prepare', 0, 1)), signed(vote('commit', 0, 1))],
      [signed(vote('prepare', 1, 1, 2))],
    ],
    expect: { signed: ['prepare v0 s1', 'commit v0 s1', 'prepare v1 s1 d2'] },
  },
  {
    name: 'a vote appended twice is kept once, at its first position',
    groups: [[signed(vote('prepare', 0, 1)), signed(vote('commit', 0, 1))], [signed(vote('prepare', 0, 1))]],
    expect: { signed: ['prepare v0 s1', 'commit v0 s1'] },
  },
  {
    name: 'only the latest VIEW-CHANGE is kept, at the position it was appended',
    groups: [
      [signed(vc(1)), signed(vote('prepare', 0, 1))],
      [signed(vc(3)), signed(vc(2))],
    ],
    expect: { signed: ['prepare v0 s1', 'vc 3'] },
  },
  {
    name: 'only the latest NEW-VIEW is kept',
    groups: [[signed(nv(1))], [signed(nv(2))], [signed(nv(1))]],
    expect: { signed: ['nv 2'] },
  },
  {
    name: 'requests, replies and state transfer messages are not kept',
    groups: [
      [
        signed(request(c, 0, 1)),
        signed(
          signedBy(
            'reply',
            {
              view: 0,
              client: 0,
              timestamp: 1,
              seq: 1,
              result: new Uint8Array(4),
              index: 0,
              leafCount: 1,
              path: [],
            },
            'reply',
          ),
        ),
        signed(signedBy('fetch-state', { seq: 4, what: 1, part: 0 }, 'fetch')),
        signed(
          signedBy('state-chunk', { seq: 4, what: 1, part: 0, parts: 1, data: new Uint8Array(8) }, 'chunk'),
        ),
      ],
    ],
    expect: { signed: [], executed: [] },
  },
  {
    name: 'prepared certificates: the highest view per seq, in seq order',
    groups: [
      [prepared(2, 0), prepared(1, 0)],
      [prepared(1, 2), prepared(1, 1)],
    ],
    expect: { prepared: ['pp v2 s1', 'pp v0 s2'] },
  },
  {
    name: 'a stable checkpoint prunes executed batches, prepared certificates and votes at or below it',
    groups: [
      [1, 2, 3, 4, 5, 6].flatMap((s) => [
        executed(s),
        signed(vote('prepare', 0, s)),
        signed(vote('commit', 0, s)),
      ]),
      [prepared(3, 0), prepared(5, 0), signed(checkpointVote(4)), signed(vc(1)), signed(nv(1))],
      [stable(4)],
    ],
    expect: {
      stable: 4,
      executed: ['5: pp v0 s5', '6: pp v0 s6'],
      prepared: ['pp v0 s5'],
      signed: ['prepare v0 s5', 'commit v0 s5', 'prepare v0 s6', 'commit v0 s6', 'vc 1', 'nv 1'],
    },
  },
  {
    name: 'an older stable checkpoint is ignored, and so is anything appended at or below the stable one',
    groups: [
      [stable(8)],
      [stable(4), executed(5), signed(vote('prepare', 0, 8)), prepared(7, 0)],
      [executed(9)],
    ],
    expect: { stable: 8, executed: ['9: pp v0 s9'], signed: [], prepared: [] },
  },
  {
    name: 'a checkpoint and the pruning it causes can share a group with later records',
    groups: [[executed(1), signed(vote('prepare', 0, 2)), stable(1), executed(2), signed(checkpointVote(1))]],
    expect: { stable: 1, executed: ['2: pp v0 s2'], signed: ['prepare v0 s2'] },
  },
];

function memoryAfter(groups: readonly (readonly PersistRecord[])[]): MemoryStore {
  const m = new MemoryStore();
  for (const g of groups) m.appendSync(g);
  return m;
}

/** A seeded stream of groups that touches every rule: votes of several views, view changes, checkpoints. */
function generatedStream(seed: number, seqs: number): PersistRecord[][] {
  const rng = new Prng(seed);
  const groups: PersistRecord[][] = [];
  let view = 0;
  for (let seq = 1; seq <= seqs; seq++) {
    if (rng.chance(0.1)) {
      view++;
      groups.push([signed(vc(view + rng.int(2)))]);
      if (rng.chance(0.5)) groups.push([signed(nv(view)), signed(vote('prepare', view, seq - 1))]);
    }
    groups.push([signed(vote('prepare', view, seq)), signed(vote('prepare', view, seq))]);
    groups.push([prepared(seq, view), signed(vote('commit', view, seq))]);
    const done: PersistRecord[] = [executed(seq, view)];
    if (seq % 4 === 0) done.push(signed(checkpointVote(seq)));
    if (rng.chance(0.2)) done.push(signed(request(c, 0, seq)));
    groups.push(done);
    if (seq % 4 === 0 && rng.chance(0.8)) groups.push([stable(seq - (rng.chance(0.3) ? 4 : 0))]);
  }
  return groups;
}

describe('MemoryStore: what a store keeps', () => {
  for (const k of CASES) {
    test(k.name, () => {
      const got = describeState(memoryAfter(k.groups).loadSync());
      const picked = Object.fromEntries(Object.keys(k.expect).map((f) => [f, got[f as keyof typeof got]]));
      assert.deepEqual(picked, k.expect);
      assert.equal(got.corrupt, 0);
    });
  }
});

describe('LevelStore', () => {
  let root = '';
  let n = 0;
  const freshDir = () => join(root, `db-${n++}`);
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'bftledger-storage-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('holds exactly what MemoryStore holds for every table case, before and after reopening', async () => {
    for (const k of CASES) {
      const dir = freshDir();
      const store = await LevelStore.open(dir);
      for (const g of k.groups) await store.append(g);
      const expected = memoryAfter(k.groups).loadSync();
      assert.deepEqual(await store.load(), expected, k.name);
      await store.close();
      const again = await LevelStore.open(dir);
      assert.deepEqual(await again.load(), expected, `${k.name}, reopened`);
      await again.close();
    }
  });

  test('round trip of a generated stream: equal to MemoryStore throughout, and after reopening', async () => {
    const groups = generatedStream(7, 60);
    const dir = freshDir();
    let store = await LevelStore.open(dir);
    const memory = new MemoryStore();
    for (const [i, g] of groups.entries()) {
      await store.append(g);
      memory.appendSync(g);
      if (i % 10 === 0) assert.deepEqual(await store.load(), memory.loadSync(), `after group ${i}`);
      // Reopening mid-stream rebuilds the index: later pruning must still find every key.
      if (i % 25 === 0) {
        await store.close();
        store = await LevelStore.open(dir);
      }
    }
    const final = memory.loadSync();
    assert.ok(
      final.stable && final.signed.length > 0 && final.executed.length > 0,
      'the stream exercised the store',
    );
    assert.deepEqual(await store.load(), final);
    await store.close();
    const reopened = await LevelStore.open(dir);
    assert.deepEqual(await reopened.load(), final);
    await reopened.close();
  });

  test('a directory held by an open store cannot be opened again: StorageError locked', async () => {
    const dir = freshDir();
    const store = await LevelStore.open(dir);
    await assert.rejects(LevelStore.open(dir), (e: unknown) => {
      assert.ok(e instanceof StorageError);
      assert.equal(e.code, 'locked');
      assert.match(e.message, /held by another open store/);
      return true;
    });
    await store.close();
    const again = await LevelStore.open(dir);
    await again.close();
  });

  test('other failures are StorageError io with the cause; a closed store refuses appends', async () => {
    const file = join(root, 'not-a-directory');
    await writeFile(file, 'x');
    await assert.rejects(LevelStore.open(file), (e: unknown) => {
      assert.ok(e instanceof StorageError);
      assert.equal(e.code, 'io');
      assert.ok(e.cause !== undefined);
      return true;
    });
    const store = await LevelStore.open(freshDir());
    await store.close();
    await assert.rejects(
      store.append([executed(1)]),
      (e: unknown) => e instanceof StorageError && e.code === 'io',
    );
  });

  test('appends not awaited one by one still reach the disk in call order', async () => {
    const store = await LevelStore.open(freshDir());
    const groups = generatedStream(11, 24);
    await Promise.all(groups.map((g) => store.append(g)));
    assert.deepEqual(await store.load(), memoryAfter(groups).loadSync());
    await store.close();
  });

  test('measure: durable append groups per second (3 records of ~300 bytes each)', async (t) => {
    const rates: number[] = [];
    const groupsPerRun = 400;
    for (let run = 0; run < 5; run++) {
      const store = await LevelStore.open(freshDir());
      const groups = Array.from({ length: groupsPerRun }, (_, i) => benchGroup(i + 1));
      const start = process.hrtime.bigint();
      for (const g of groups) await store.append(g);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      rates.push(groupsPerRun / seconds);
      await store.close();
    }
    rates.sort((a, b) => a - b);
    const median = rates[Math.floor(rates.length / 2)]!;
    t.diagnostic(
      `durable append groups/s, median of 5: ${Math.round(median)} (runs: ${rates.map(Math.round).join(', ')})`,
    );
    assert.ok(median > 0);
  });
});

/** A group like one event-loop turn of a busy backup: a commit, a prepare and an executed batch, ~300 bytes each. */
function benchGroup(seq: number): PersistRecord[] {
  const fake = <K extends Kind>(kind: K, body: BodyOf[K]): Message<K> => ({
    kind,
    sender: ME,
    body,
    bytes: new Uint8Array(300).fill(seq & 0xff),
  });
  const body = { view: 0, seq, digest: digest(seq & 0xff) };
  return [
    signed(fake('commit', body)),
    signed(fake('prepare', { ...body, seq: seq + 1 })),
    { type: 'executed', seq, prePrepare: fake('pre-prepare', { ...body, requests: [] }) },
  ];
}
