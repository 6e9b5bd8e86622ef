/**
 * The crash-point test. Replica 1 of a 4-replica cluster runs the real PBFT core through a few dozen
 * sequence numbers (as a backup in view 0, then, after a view change, as the primary of view 1),
 * with a checkpoint every 4 so that checkpoints become stable and prune several times. Its persist
 * outputs, grouped per step, are appended to a LevelStore; after every group the store is closed
 * (a kill -9 right after that write: nothing more reaches the disk) and reopened, and what it loads
 * must be exactly what the in-memory reference holds, must lose no executed batch and must keep
 * every vote above the stable checkpoint. Then damaged values must be detected and dropped.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { ClassicLevel } from 'classic-level';
import type { PbftReplica } from '../../src/core/pbft/replica.js';
import type { Output, PersistRecord } from '../../src/core/pbft/types.js';
import { toHex } from '../../src/crypto/hex.js';
import { openFrame } from '../../src/messages/boundary.js';
import type { AnyMessage, Message } from '../../src/messages/types.js';
import { type DurableState, LevelStore, MemoryStore } from '../../src/storage/index.js';
import {
  asReplica,
  deliver,
  makeCluster,
  makeReplica,
  prePrepare,
  request,
  tick,
} from '../support/cluster.js';

const c = makeCluster(4);
/** The replica whose persist outputs are recorded. */
const ME = 1;
/** The two other replicas that answer it (never the view-0 primary, so they work in both views). */
const PEERS = [2, 3];

/** Drives replica 1 and records its persist outputs, one group per step that persisted anything. */
class Recorder {
  /** The replica under test. */
  readonly replica: PbftReplica;
  /** Persist records, one group per step. */
  readonly groups: PersistRecord[][] = [];
  /** Messages waiting to be delivered to the replica, in order. */
  private readonly inbox: Message[] = [];
  /** Next timestamp per client. */
  private readonly timestamps = [1, 1, 1];

  constructor() {
    this.replica = makeReplica(c, ME, {
      checkpointInterval: 4,
      watermarkWindow: 8,
      requestTimeoutTicks: 10,
      retransmitTicks: 1_000_000,
      fetchTicks: 1_000_000,
    }).replica;
  }

  /** Delivers `msg`, then everything the peers answer, until the replica is quiet. */
  send(msg: Message): void {
    this.inbox.push(msg);
    for (let m = this.inbox.shift(); m !== undefined; m = this.inbox.shift())
      this.record(deliver(c, this.replica, m));
  }

  /** Ticks once, then delivers what the peers answer. */
  tick(): void {
    this.record(tick(this.replica, 1));
    const next = this.inbox.shift();
    if (next) this.send(next);
  }

  /** A fresh client request (clients 0 and 2 alternate, transferring to client 1). */
  request(): Message<'request'> {
    const client = this.timestamps[0]! <= this.timestamps[2]! ? 0 : 2;
    return request(c, client, this.timestamps[client]!++);
  }

  private record(outs: Output[]): void {
    const group = outs.flatMap((o) => (o.type === 'persist' ? [o.record] : []));
    if (group.length > 0) this.groups.push(group);
    for (const o of outs) if (o.type === 'broadcast') this.answer(o.msg as AnyMessage);
  }

  /** What the honest peers would send back for one of the replica's broadcasts. */
  private answer(m: AnyMessage): void {
    if (m.kind === 'pre-prepare' || m.kind === 'prepare') this.agree(m.body.view, m.body.seq, m.body.digest);
    else if (m.kind === 'checkpoint') {
      for (const id of PEERS) this.inbox.push(asReplica(c, id, 'checkpoint', m.body));
    } else if (m.kind === 'view-change') {
      const { newView, stableSeq, stableDigest, checkpointProof } = m.body;
      const body = { newView, stableSeq, stableDigest, checkpointProof, prepared: [] };
      for (const id of PEERS) this.inbox.push(asReplica(c, id, 'view-change', body));
    } else if (m.kind === 'new-view') {
      for (const bytes of m.body.prePrepares) {
        const r = openFrame(bytes, c.ctx);
        assert.ok(r.ok && r.value.kind === 'pre-prepare');
        const { view, seq, digest } = (r.value as Message<'pre-prepare'>).body;
        this.agree(view, seq, digest);
      }
    }
  }

  /** The peers' prepares and commits for (view, seq, digest). */
  private agree(view: number, seq: number, digest: Uint8Array): void {
    for (const kind of ['prepare', 'commit'] as const)
      for (const id of PEERS) this.inbox.push(asReplica(c, id, kind, { view, seq, digest }));
  }
}

/** Replica 1's persist groups over a run with checkpoints, a view change, and a turn as primary. */
function recordRun(): PersistRecord[][] {
  const r = new Recorder();
  // View 0: replica 0 proposes, replica 1 is a backup.
  for (let seq = 1; seq <= 32; seq++) r.send(prePrepare(c, 0, seq, [r.request()]));
  // A request the primary never orders: replica 1 times out and moves to view 1, whose primary it is.
  r.send(r.request());
  for (let i = 0; i < 12 && r.replica.view === 0; i++) r.tick();
  assert.equal(r.replica.view, 1, 'the view change happened');
  // View 1: replica 1 proposes each request it receives.
  for (let i = 0; i < 36; i++) r.send(r.request());
  return r.groups;
}

/** The identity (kind, view, seq) and seq of a vote; undefined for other kinds. */
function voteOf(m: AnyMessage): { readonly id: string; readonly seq: number } | undefined {
  if (m.kind === 'pre-prepare' || m.kind === 'prepare' || m.kind === 'commit')
    return { id: `${m.kind}/${m.body.view}/${m.body.seq}`, seq: m.body.seq };
  if (m.kind === 'checkpoint') return { id: `checkpoint/${m.body.seq}`, seq: m.body.seq };
  return undefined;
}

/**
 * What must survive any crash after `groups`: every executed batch (in `executed` or under the
 * stable checkpoint), every vote above the checkpoint, and the latest VIEW-CHANGE and NEW-VIEW.
 */
function assertNothingLost(state: DurableState, groups: readonly PersistRecord[][], at: number): void {
  const stableSeq = state.stable?.seq ?? 0;
  const executed = new Set(state.executed.map((e) => e.seq));
  const kept = new Set(state.signed.map((b) => toHex(b)));
  const latest = new Map<string, { readonly rank: number; readonly bytes: Uint8Array }>();
  for (const rec of groups.flat()) {
    if (rec.type === 'executed')
      assert.ok(
        rec.seq <= stableSeq || executed.has(rec.seq),
        `crash after group ${at}: executed ${rec.seq} lost`,
      );
    if (rec.type !== 'signed') continue;
    const m = rec.msg as AnyMessage;
    const vote = voteOf(m);
    if (vote && vote.seq > stableSeq)
      assert.ok(kept.has(toHex(m.bytes)), `crash after group ${at}: signed ${vote.id} lost`);
    const rank = m.kind === 'view-change' ? m.body.newView : m.kind === 'new-view' ? m.body.view : undefined;
    if (rank !== undefined && rank > (latest.get(m.kind)?.rank ?? -1))
      latest.set(m.kind, { rank, bytes: m.bytes });
  }
  for (const [kind, { bytes }] of latest)
    assert.ok(kept.has(toHex(bytes)), `crash after group ${at}: the latest ${kind} lost`);
}

/** Set in the child process of the kill -9 test: the directory it appends to until it is killed. */
const CHILD_DIR_ENV = 'BFTLEDGER_STORAGE_CRASH_CHILD_DIR';

/** The child of the kill -9 test: appends every group, acknowledging each on stdout, and never closes. */
async function appendUntilKilled(dir: string): Promise<void> {
  const store = await LevelStore.open(dir);
  for (const [i, g] of recordRun().entries()) {
    await store.append(g);
    process.stdout.write(`${i + 1}\n`);
  }
  setInterval(() => undefined, 1000);
}

/** Runs the child on `dir` and kills it with SIGKILL once it acknowledged `atLeast` groups. */
async function killMidStream(dir: string, atLeast: number): Promise<number> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, [CHILD_DIR_ENV]: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let acked = 0;
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) acked = Math.max(acked, Number(line));
    if (acked >= atLeast) child.kill('SIGKILL');
  });
  const [, signal] = await once(child, 'exit');
  assert.equal(signal, 'SIGKILL', 'the child was killed mid-stream');
  return acked;
}

const childDir = process.env[CHILD_DIR_ENV];
if (childDir !== undefined) await appendUntilKilled(childDir);
else
  describe('LevelStore crash points', () => {
    let root = '';
    const groups = recordRun();
    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'bftledger-crash-'));
    });
    after(async () => {
      await rm(root, { recursive: true, force: true });
    });

    test('the recorded run is realistic: hundreds of groups, several stable checkpoints, a view change', () => {
      const records = groups.flat();
      const count = (p: (r: PersistRecord) => boolean) => records.filter(p).length;
      assert.ok(groups.length >= 200, `${groups.length} groups`);
      assert.ok(count((r) => r.type === 'stable-checkpoint') >= 8);
      assert.ok(count((r) => r.type === 'executed') >= 60);
      assert.ok(count((r) => r.type === 'signed' && r.msg.kind === 'view-change') >= 1);
      assert.ok(count((r) => r.type === 'signed' && r.msg.kind === 'new-view') >= 1);
      assert.ok(
        count((r) => r.type === 'signed' && r.msg.kind === 'pre-prepare') >= 30,
        'proposals as primary',
      );
    });

    test('after a crash at every group boundary, the reopened store loads exactly the reference state', async () => {
      const dir = join(root, 'every-point');
      const memory = new MemoryStore();
      let store = await LevelStore.open(dir);
      assert.deepEqual(await store.load(), memory.loadSync(), 'empty');
      for (const [i, g] of groups.entries()) {
        await store.append(g);
        memory.appendSync(g);
        await store.close();
        store = await LevelStore.open(dir);
        const state = await store.load();
        assert.deepEqual(state, memory.loadSync(), `crash after group ${i + 1}`);
        assertNothingLost(state, groups.slice(0, i + 1), i + 1);
      }
      await store.close();
    });

    test('kill -9 of a process mid-stream: every acknowledged group survives, and the state is a group prefix', async (t) => {
      const dir = join(root, 'killed');
      const acked = await killMidStream(dir, Math.floor(groups.length / 2));
      const state = await reopenAndLoad(dir);
      // Groups acknowledged are all there; one in flight may or may not be: never a part of one.
      const memory = memoryAfter(groups.slice(0, acked));
      let prefix = acked;
      while (!isDeepStrictEqual(state, memory.loadSync()) && prefix < groups.length)
        memory.appendSync(groups[prefix++]!);
      assert.deepEqual(state, memory.loadSync(), `the state after some group >= ${acked}`);
      assertNothingLost(state, groups.slice(0, acked), acked);
      t.diagnostic(`killed after ${acked} acknowledged groups; the disk held ${prefix}`);
    });

    describe('damaged values are detected, dropped and counted; the rest loads', () => {
      // A crash point with several executed batches above the stable checkpoint.
      const k = lastIndexWhere(groups, (m) => m.loadSync().executed.length >= 3) + 1;
      const expected = memoryAfter(groups.slice(0, k)).loadSync();

      /** A store holding groups 1..k, closed, then one value rewritten through a raw handle. */
      async function damaged(
        name: string,
        pick: (keys: string[]) => string,
        mutate: (v: Uint8Array) => Uint8Array,
      ) {
        const dir = join(root, name);
        const store = await LevelStore.open(dir);
        for (const g of groups.slice(0, k)) await store.append(g);
        await store.close();
        const raw = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
        await raw.open();
        const key = pick(await raw.keys().all());
        const value = await raw.get(key);
        assert.ok(value, `key ${key} exists`);
        await raw.put(key, mutate(new Uint8Array(value)));
        await raw.close();
        return { dir, key };
      }

      test('a torn tail: the last executed batch truncated', async () => {
        const { dir } = await damaged(
          'torn-tail',
          (keys) => keys.filter((x) => x.startsWith('x/')).at(-1)!,
          (v) => v.subarray(0, v.length - 7),
        );
        const store = await LevelStore.open(dir);
        const state = await store.load();
        assert.equal(state.corrupt, 1);
        assert.deepEqual(state, { ...expected, executed: expected.executed.slice(0, -1), corrupt: 1 });
        // The replica catches up and the next stable checkpoint prunes the damaged record away.
        const next = groups.slice(k).find((g) => g.some((r) => r.type === 'stable-checkpoint'))!;
        const rest = groups.slice(k, groups.indexOf(next) + 1);
        for (const g of rest) await store.append(g);
        assert.deepEqual(await store.load(), memoryAfter(groups.slice(0, k).concat(rest)).loadSync());
        await store.close();
      });

      test('a flipped bit in an executed batch in the middle: the executed chain stops before it', async () => {
        const mid = (expected.stable?.seq ?? 0) + 2;
        const { dir } = await damaged(
          'mid-gap',
          (keys) => keys.find((x) => x === `x/${mid.toString(16).padStart(16, '0')}`)!,
          flip,
        );
        const state = await reopenAndLoad(dir);
        assert.deepEqual(state, { ...expected, executed: expected.executed.slice(0, 1), corrupt: 1 });
      });

      test('a damaged signed vote is dropped, the other votes load in order', async () => {
        const { dir } = await damaged('vote', (keys) => keys.filter((x) => x.startsWith('s/')).at(-1)!, flip);
        const state = await reopenAndLoad(dir);
        assert.equal(state.corrupt, 1);
        assert.equal(state.signed.length, expected.signed.length - 1);
        assert.deepEqual({ ...state, signed: [] }, { ...expected, signed: [], corrupt: 1 });
        const kept = new Set(expected.signed.map(toHex));
        assert.ok(state.signed.every((b) => kept.has(toHex(b))));
      });

      test('a damaged stable checkpoint: no checkpoint, and the executed batches above it go too', async () => {
        const { dir } = await damaged('checkpoint', () => 'cp', flip);
        const state = await reopenAndLoad(dir);
        assert.deepEqual(state, { ...expected, stable: undefined, executed: [], corrupt: 1 });
      });

      test('a value moved under another key fails its checksum', async () => {
        const dir = join(root, 'moved');
        const store = await LevelStore.open(dir);
        for (const g of groups.slice(0, k)) await store.append(g);
        await store.close();
        const raw = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
        await raw.open();
        const keys = (await raw.keys().all()).filter((x) => x.startsWith('x/'));
        await raw.put(keys.at(-1)!, (await raw.get(keys[0]!))!);
        await raw.close();
        const state = await reopenAndLoad(dir);
        assert.deepEqual(state, { ...expected, executed: expected.executed.slice(0, -1), corrupt: 1 });
      });
    });
  });

function flip(v: Uint8Array): Uint8Array {
  v[v.length - 1]! ^= 0x01;
  return v;
}

async function reopenAndLoad(dir: string): Promise<DurableState> {
  const store = await LevelStore.open(dir);
  const state = await store.load();
  await store.close();
  return state;
}

function memoryAfter(groups: readonly PersistRecord[][]): MemoryStore {
  const m = new MemoryStore();
  for (const g of groups) m.appendSync(g);
  return m;
}

/** Index of the last group after which the reference store satisfies `p`. */
function lastIndexWhere(groups: readonly PersistRecord[][], p: (m: MemoryStore) => boolean): number {
  const m = new MemoryStore();
  let found = -1;
  for (const [i, g] of groups.entries()) {
    m.appendSync(g);
    if (p(m)) found = i;
  }
  assert.ok(found >= 0);
  return found;
}
