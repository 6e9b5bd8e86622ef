/**
 * The crash-fault replica's durable store. Replica 1 of a 3-replica cluster runs the real CFT core
 * through a run that persists every kind of record (votes and terms, leader and follower appends, a
 * truncated suffix, snapshots taken and installed); its persist groups are appended to a
 * CftLevelStore. After every group the store is closed (a kill -9 right after that write) and
 * reopened: it must load exactly what the reference `CftMemoryStore` holds, and recovery (every
 * request re-verified through the boundary) must rebuild the same replica. A process killed with
 * SIGKILL mid-stream leaves a prefix of the groups. Damaged values are detected and dropped, and a
 * request whose signature does not verify is refused on recovery.
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
import { CftReplica } from '../../src/core/cft/replica.js';
import type { CftPersistRecord, CftRecoveredState } from '../../src/core/cft/types.js';
import { seededRng } from '../../src/core/prng.js';
import { sha256 } from '../../src/crypto/hash.js';
import { toHex } from '../../src/crypto/hex.js';
import { LedgerStateMachine } from '../../src/ledger/state-machine.js';
import { CftMemoryStore } from '../../src/storage/cft-memory-store.js';
import {
  type CftDurableState,
  CftLevelStore,
  encodeCftValue,
  entryKey,
  recoverCftState,
  StorageError,
} from '../../src/storage/index.js';
import { recordedCftRun } from '../support/cft-net.js';

const net = recordedCftRun();
/** Replica 1's persist groups over the run. */
const groups = net.groups[1]!;
const { c } = net;
const config = net.nodes[1]!.config;

/** A store's state with requests as hex: the two stores hold requests differently. */
function normal(s: CftDurableState | CftRecoveredState) {
  return {
    term: s.term,
    votedFor: s.votedFor,
    commit: s.commit,
    snapshot: s.snapshot,
    entries: s.entries.map((e) => ({
      index: e.index,
      term: e.term,
      requests: e.requests.map((r) => toHex(r instanceof Uint8Array ? r : r.bytes)),
    })),
  };
}

/** The reference store after `gs`. */
function memoryAfter(gs: readonly CftPersistRecord[][]): CftMemoryStore {
  const m = new CftMemoryStore();
  for (const g of gs) m.appendSync(g);
  return m;
}

/** What a replica restarted from `state` looks like. */
function restarted(state: CftRecoveredState) {
  const sm = new LedgerStateMachine(c.genesis, sha256);
  const r = CftReplica.recover(config, { stateMachine: sm, rng: seededRng(1) }, state);
  r.assertInvariants();
  const { term, commitIndex, lastApplied, lastIndex, snapshotIndex } = r;
  return { term, commitIndex, lastApplied, lastIndex, snapshotIndex, digest: toHex(sm.digest()) };
}

async function reopenAndLoad(dir: string): Promise<CftDurableState> {
  const store = await CftLevelStore.open(dir);
  const state = await store.load();
  await store.close();
  return state;
}

/** Set in the child process of the kill -9 test: the directory it appends to until it is killed. */
const CHILD_DIR_ENV = 'BFTLEDGER_CFT_STORAGE_CHILD_DIR';

/** The child of the kill -9 test: appends every group, acknowledging each on stdout, and never closes. */
async function appendUntilKilled(dir: string): Promise<void> {
  const store = await CftLevelStore.open(dir);
  for (const [i, g] of groups.entries()) {
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
  describe('CftLevelStore', () => {
    let root = '';
    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'bftledger-cft-store-'));
    });
    after(async () => {
      await rm(root, { recursive: true, force: true });
    });

    test('the recorded run persists every kind of record', () => {
      const kinds = new Set(groups.flat().map((r) => (r.type === 'snapshot' ? `snapshot ${r.how}` : r.type)));
      assert.deepEqual([...kinds].sort(), [
        'append',
        'hard-state',
        'snapshot installed',
        'snapshot taken',
        'truncate',
      ]);
      assert.ok(groups.length >= 40, `${groups.length} groups`);
    });

    test('after a crash at every group boundary it loads what the reference holds, and recovers the same replica', async () => {
      const dir = join(root, 'every-point');
      const memory = new CftMemoryStore();
      let store = await CftLevelStore.open(dir);
      for (const [i, g] of groups.entries()) {
        await store.append(g);
        memory.appendSync(g);
        await store.close();
        store = await CftLevelStore.open(dir);
        const durable = await store.load();
        const expected = memory.loadSync();
        assert.deepEqual(normal(durable), normal(expected), `crash after group ${i + 1}`);
        assert.equal(durable.corrupt, 0);
        const { state, refused } = await recoverCftState(durable, c.ctx);
        assert.equal(refused, 0);
        assert.deepEqual(restarted(state), restarted(expected), `replica restarted after group ${i + 1}`);
      }
      await store.close();
      // Compaction and truncation deleted what they dropped: the disk holds no other entry.
      const raw = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
      await raw.open();
      const keys = (await raw.keys().all()).filter((k) => k.startsWith('e/'));
      await raw.close();
      assert.deepEqual(
        keys,
        memory.loadSync().entries.map((e) => entryKey(e.index)),
      );
    });

    test('kill -9 of a process mid-stream: every acknowledged group survives, and the state is a group prefix', async (t) => {
      const dir = join(root, 'killed');
      const acked = await killMidStream(dir, Math.floor(groups.length / 2));
      const state = normal(await reopenAndLoad(dir));
      const memory = memoryAfter(groups.slice(0, acked));
      let prefix = acked;
      while (!isDeepStrictEqual(state, normal(memory.loadSync())) && prefix < groups.length)
        memory.appendSync(groups[prefix++]!);
      assert.deepEqual(state, normal(memory.loadSync()), `the state after some group >= ${acked}`);
      t.diagnostic(`killed after ${acked} acknowledged groups; the disk held ${prefix}`);
    });

    describe('damage is detected and dropped; recovery refuses what does not verify', () => {
      // A crash point with a snapshot and at least three entries after it.
      const k =
        groups.findLastIndex((_, i) => {
          const s = memoryAfter(groups.slice(0, i + 1)).loadSync();
          return s.snapshot !== undefined && s.entries.length >= 3;
        }) + 1;
      const expected = memoryAfter(groups.slice(0, k)).loadSync();

      /** A store holding groups 1..k, closed, then the value under `key` rewritten through a raw handle. */
      async function damaged(name: string, key: string, mutate: (v: Uint8Array) => Uint8Array) {
        const dir = join(root, name);
        const store = await CftLevelStore.open(dir);
        for (const g of groups.slice(0, k)) await store.append(g);
        await store.close();
        const raw = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
        await raw.open();
        const value = await raw.get(key);
        assert.ok(value, `key ${key} exists`);
        await raw.put(key, mutate(new Uint8Array(value)));
        await raw.close();
        return dir;
      }
      const lastEntry = () => expected.entries.at(-1)!;
      const secondEntry = () => expected.entries[1]!;

      test('a torn last entry: the log ends before it', async () => {
        const dir = await damaged('torn', entryKey(lastEntry().index), (v) => v.subarray(0, v.length - 5));
        const state = await reopenAndLoad(dir);
        assert.equal(state.corrupt, 1);
        assert.deepEqual(normal(state), normal({ ...expected, entries: expected.entries.slice(0, -1) }));
      });

      test('a flipped bit in an entry in the middle: the log ends before it', async () => {
        const dir = await damaged('mid', entryKey(secondEntry().index), flip);
        const state = await reopenAndLoad(dir);
        assert.equal(state.corrupt, 1);
        assert.deepEqual(normal(state), normal({ ...expected, entries: expected.entries.slice(0, 1) }));
      });

      test('a damaged snapshot: no snapshot, and the log after it goes too (it cannot be applied)', async () => {
        const dir = await damaged('snapshot', 'snap', flip);
        const state = await reopenAndLoad(dir);
        assert.equal(state.corrupt, 1);
        assert.deepEqual(normal(state), normal({ ...expected, snapshot: undefined, entries: [] }));
      });

      test('a damaged hard state reads as a fresh one (term 0, no vote, commit 0)', async () => {
        const dir = await damaged('hard', 'h', flip);
        const state = await reopenAndLoad(dir);
        assert.equal(state.corrupt, 1);
        assert.deepEqual(normal(state), normal({ ...expected, term: 0, votedFor: undefined, commit: 0 }));
      });

      test('a value moved under another key fails its checksum', async () => {
        const dir = join(root, 'moved');
        const store = await CftLevelStore.open(dir);
        for (const g of groups.slice(0, k)) await store.append(g);
        await store.close();
        const raw = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
        await raw.open();
        await raw.put(entryKey(lastEntry().index), (await raw.get(entryKey(secondEntry().index)))!);
        await raw.close();
        const state = await reopenAndLoad(dir);
        assert.equal(state.corrupt, 1);
        assert.deepEqual(normal(state), normal({ ...expected, entries: expected.entries.slice(0, -1) }));
      });

      test('a request with a forged signature under a valid checksum is refused on recovery; the log ends before it', async () => {
        const victim = expected.entries.find((e) => e.requests.length > 0)!;
        const forged = victim.requests.map((r, i) => {
          const bytes = r.bytes.slice();
          if (i === 0) bytes[bytes.length - 1]! ^= 0x01;
          return bytes;
        });
        const key = entryKey(victim.index);
        const value = encodeCftValue(key, { type: 'entry', entry: { ...victim, requests: forged } });
        const dir = await damaged('forged', key, () => value);
        const durable = await reopenAndLoad(dir);
        assert.equal(durable.corrupt, 0, 'the checksum holds');
        const { state, refused, droppedEntries } = await recoverCftState(durable, c.ctx);
        const kept = expected.entries.filter((e) => e.index < victim.index);
        assert.equal(refused, 1);
        assert.equal(droppedEntries, expected.entries.length - kept.length);
        assert.deepEqual(normal(state), normal({ ...expected, entries: kept }));
      });
    });

    test('typed errors: a directory held by an open store is locked; a closed store refuses appends', async () => {
      const dir = join(root, 'locked');
      const store = await CftLevelStore.open(dir);
      await assert.rejects(
        CftLevelStore.open(dir),
        (e: unknown) => e instanceof StorageError && e.code === 'locked',
      );
      await store.close();
      await assert.rejects(
        store.append(groups[0]!),
        (e: unknown) => e instanceof StorageError && e.code === 'io',
      );
    });
  });

function flip(v: Uint8Array): Uint8Array {
  v[v.length - 1]! ^= 0x01;
  return v;
}
