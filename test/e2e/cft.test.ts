/**
 * End-to-end: a crash-fault network of real replica processes on loopback, initialised and started
 * through the CLI, over the same libp2p transport as PBFT. Assertions go only through the client
 * library and the replicas' status and metrics.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { LedgerClient } from '../../src/client/ledger-client.js';
import { TestNetwork, until } from './support.js';

/** A crash-fault replica's /status (or an error object). */
type CftStatus = {
  id: number;
  protocol?: string;
  term?: number;
  role?: string;
  leader?: number | null;
  lastExecuted?: number;
  snapshotIndex?: number;
  stateDigest?: string;
  error?: string;
};

/** The running replicas' statuses among `ids`. */
async function statuses(net: TestNetwork, ids: readonly number[]): Promise<CftStatus[]> {
  return ((await net.statuses()) as CftStatus[]).filter((s) => ids.includes(s.id));
}

/** Waits until the replicas `ids` agree on a leader of one term; returns that leader and term. */
async function agreedLeader(
  net: TestNetwork,
  ids: readonly number[],
): Promise<{ leader: number; term: number }> {
  let found = { leader: -1, term: 0 };
  await until('the replicas agree on a leader', async () => {
    const all = await statuses(net, ids);
    const leaders = new Set(all.map((s) => s.leader));
    const terms = new Set(all.map((s) => s.term));
    const [leader] = leaders;
    const [term] = terms;
    if (all.some((s) => s.error) || leaders.size !== 1 || terms.size !== 1 || leader == null) return false;
    found = { leader, term: term ?? 0 };
    return true;
  });
  return found;
}

/** Waits until the replicas `ids` applied the same index with the same ledger digest. */
async function converged(net: TestNetwork, ids: readonly number[]): Promise<CftStatus[]> {
  let last: CftStatus[] = [];
  await until('replicas converge', async () => {
    last = await statuses(net, ids);
    const applied = new Set(last.map((s) => s.lastExecuted));
    const digests = new Set(last.map((s) => s.stateDigest));
    return last.every((s) => s.error === undefined) && applied.size === 1 && digests.size === 1;
  });
  return last;
}

/** `count` transfers of `amount` from the client's account to `to`; returns how many committed ok. */
async function transfers(c: LedgerClient, to: string, amount: bigint, count: number, done?: () => void) {
  let ok = 0;
  for (let i = 0; i < count; i++) {
    if ((await c.transfer(to, amount)).result.code === 'ok') ok++;
    done?.();
  }
  return ok;
}

/** A counter in a replica's Prometheus text. */
async function counter(net: TestNetwork, id: number, name: string): Promise<number> {
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(await net.metrics(id));
  return Number(m?.[1] ?? Number.NaN);
}

describe('a 3-replica crash-fault network over libp2p', { concurrency: false }, () => {
  const started: TestNetwork[] = [];
  after(async () => {
    await Promise.all(started.map((n) => n.stop()));
  });

  test('transfers from three clients commit with exact balances; every replica reports the same digest', async () => {
    const net = await TestNetwork.start(3, 3, {}, ['--protocol', 'cft']);
    started.push(net);
    const { leader } = await agreedLeader(net, [0, 1, 2]);
    const clients = await Promise.all([0, 1, 2].map((i) => net.client(i)));
    // Client i sends (i + 1) units to client i + 1, 40 times.
    const oks = await Promise.all(
      clients.map((c, i) => transfers(c, `client-${(i + 1) % 3}`, BigInt(i + 1), 40)),
    );
    assert.deepEqual(oks, [40, 40, 40]);
    const all = await converged(net, [0, 1, 2]);
    assert.ok(all.every((s) => s.protocol === 'cft' && s.leader === leader));
    assert.deepEqual(all.map((s) => s.role).sort(), ['follower', 'follower', 'leader']);
    for (let i = 0; i < 3; i++) {
      const expected = 1_000_000n - 40n * BigInt(i + 1) + 40n * BigInt(((i + 2) % 3) + 1);
      const read = await clients[1]!.balance(`client-${i}`);
      assert.equal(read.result.balance, expected.toString(), `client-${i}`);
    }
  });

  test('kill -9 of the leader under load: a new leader, every transfer completes; the killed replica restarts and catches up through a snapshot', async () => {
    const net = await TestNetwork.start(3, 3, {}, ['--protocol', 'cft', '--param', 'snapshotInterval=8']);
    started.push(net);
    const first = await agreedLeader(net, [0, 1, 2]);
    const clients = await Promise.all([0, 1, 2].map((i) => net.client(i)));
    let completed = 0;
    const load = Promise.all(
      clients.map((c, i) => transfers(c, `client-${(i + 1) % 3}`, 1n, 60, () => completed++)),
    );
    await until('some progress', async () => (await statuses(net, [first.leader]))[0]!.lastExecuted! >= 5);
    await net.kill(first.leader);
    const completedAtKill = completed;
    assert.deepEqual(await load, [60, 60, 60], 'every transfer completes');
    assert.ok(completedAtKill < 180, `the leader died under load (${completedAtKill} of 180 done)`);
    const survivors = [0, 1, 2].filter((id) => id !== first.leader);
    const second = await agreedLeader(net, survivors);
    assert.ok(second.term > first.term, `term ${second.term} > ${first.term}`);
    assert.notEqual(second.leader, first.leader);
    assert.ok(
      (await counter(net, second.leader, 'bftledger_pre_votes_total')) >= 1,
      'the new leader asked for pre-votes before standing',
    );

    // The new leader compacted its log past the killed replica's end. Kill it too (its queue of
    // frames for the dead replica dies with it), then restart both from their data directories:
    // the replica that stayed up or the restarted one leads, and sends the lagging one its snapshot.
    const lagging = first.leader;
    const behind = (await statuses(net, survivors)).every((s) => (s.snapshotIndex ?? 0) >= 8);
    assert.ok(behind, 'the survivors compacted their logs');
    await net.kill(second.leader);
    net.startReplica(second.leader);
    net.startReplica(lagging);
    await agreedLeader(net, [0, 1, 2]);
    assert.equal((await clients[0]!.transfer('client-1', 5n)).result.code, 'ok');
    const all = await converged(net, [0, 1, 2]);
    assert.ok((all[0]?.lastExecuted ?? 0) > 60);
    assert.ok(
      (await counter(net, lagging, 'bftledger_snapshots_installed_total')) >= 1,
      'caught up by snapshot',
    );
    const read = await clients[2]!.balance('client-1');
    assert.equal(read.result.balance, (1_000_000n + 5n).toString());
  });
});
