/**
 * End-to-end: real replica processes on loopback, started through the CLI, over libp2p (TCP,
 * Noise, yamux). Assertions go only through the client library and the replicas' status/metrics.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { LedgerClient } from '../../src/client/ledger-client.js';
import { generateSecretKey } from '../../src/crypto/keys.js';
import { startTransport } from '../../src/net/node.js';
import { colocatedVerifyMode } from '../../src/node/verify-mode.js';
import { type Status, TestNetwork, until } from './support.js';

/** Client `from` transfers `amount` to client `to`, `count` times; returns how many committed ok. */
async function transfers(c: LedgerClient, to: string, amount: bigint, count: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < count; i++) {
    const out = await c.transfer(to, amount);
    if (out.result.code === 'ok') ok++;
  }
  return ok;
}

/** Waits until every running replica executed the same sequence number, and returns the statuses. */
async function converged(net: TestNetwork, ids: number[]): Promise<Status[]> {
  let last: Status[] = [];
  await until('replicas converge', async () => {
    last = (await net.statuses()).filter((s) => ids.includes(s.id));
    const seqs = new Set(last.map((s) => s.lastExecuted));
    const digests = new Set(last.map((s) => s.stateDigest));
    return last.every((s) => s.error === undefined) && seqs.size === 1 && digests.size === 1;
  });
  return last;
}

describe('a 4-replica network over libp2p', { concurrency: false }, () => {
  const started: TestNetwork[] = [];
  after(async () => {
    await Promise.all(started.map((n) => n.stop()));
  });

  test('500 transfers from 4 clients commit; every replica reports the same digest; balances are exact', async () => {
    const net = await TestNetwork.start(4, 4);
    started.push(net);
    const clients = await Promise.all([0, 1, 2, 3].map((i) => net.client(i)));
    // Client i sends (i + 1) units to client i + 1, 125 times.
    const oks = await Promise.all(
      clients.map((c, i) => transfers(c, `client-${(i + 1) % 4}`, BigInt(i + 1), 125)),
    );
    assert.deepEqual(oks, [125, 125, 125, 125]);
    const statuses = await converged(net, [0, 1, 2, 3]);
    assert.ok((statuses[0]?.lastExecuted ?? 0) >= 1);
    for (let i = 0; i < 4; i++) {
      const expected = 1_000_000n - 125n * BigInt(i + 1) + 125n * BigInt(((i + 3) % 4) + 1);
      const read = await clients[0]!.balance(`client-${i}`);
      assert.equal(read.result.balance, expected.toString(), `client-${i}`);
    }
    // Backup 1's runtime: votes past a quorum were dropped unverified, and with the replicas sharing
    // this machine's cores no signature went to the thread pool (colocatedVerifyMode).
    const m = await net.metrics(1);
    const counter = (re: RegExp) => Number(re.exec(m)?.[1] ?? Number.NaN);
    assert.ok(
      counter(/^bftledger_surplus_votes_total\{kind="commit"\} (\d+)/m) > 0,
      'surplus commits skipped',
    );
    assert.ok(counter(/^bftledger_crypto_ops_total\{op="verify-inline"\} (\d+)/m) > 0);
    if (colocatedVerifyMode(4) === 'inline')
      assert.equal(counter(/^bftledger_crypto_ops_total\{op="verify-pool"\} (\d+)/m), 0);
  });

  test('kill -9 of the primary under load: a view change, every transfer completes, the restarted replica catches up', async () => {
    const net = await TestNetwork.start(4, 3);
    started.push(net);
    const clients = await Promise.all([0, 1, 2].map((i) => net.client(i)));
    const load = Promise.all(clients.map((c) => transfers(c, 'client-0', 1n, 40)));
    await until('some progress', async () => ((await net.statuses())[1]?.lastExecuted ?? 0) >= 5);
    await net.kill(0);
    const oks = await load;
    assert.deepEqual(
      oks,
      [0, 40, 40],
      'client-0 paying itself is refused (self-transfer); the others all commit',
    );
    const after = (await net.statuses()).filter((s) => s.id !== 0);
    assert.ok(
      after.every((s) => (s.view ?? 0) >= 1),
      'the survivors changed view',
    );
    net.startReplica(0);
    await clients[1]!.transfer('client-2', 1n);
    const all = await converged(net, [0, 1, 2, 3]);
    assert.equal(all[0]?.view, all[1]?.view);
  });

  test('all four replicas killed with kill -9 mid-load and restarted: every committed transfer is still in the ledger', async () => {
    const net = await TestNetwork.start(4, 2);
    started.push(net);
    const [a, b] = await Promise.all([net.client(0), net.client(1)]);
    let committed = 0;
    const load = (async () => {
      for (let i = 0; i < 60; i++) if ((await a!.transfer('client-1', 2n)).result.code === 'ok') committed++;
    })();
    // Progress as the client saw it: a replica's lastExecuted can run ahead of the replies in flight.
    await until('some progress', () => committed >= 10);
    await Promise.all([0, 1, 2, 3].map((id) => net.kill(id)));
    const seenBeforeKill = committed;
    for (let id = 0; id < 4; id++) net.startReplica(id);
    await load;
    assert.ok(seenBeforeKill >= 10);
    assert.equal(committed, 60, 'the transfer in flight completes after the restart');
    const read = await b!.balance('client-1');
    assert.equal(read.result.balance, (1_000_000n + 2n * 60n).toString());
  });

  test('a peer not in the configuration is refused; garbage and oversized frames are counted and the replica keeps running', async () => {
    const net = await TestNetwork.start(4, 2);
    started.push(net);
    const r0 = net.cluster.replicas[0]!;
    const stranger = await startTransport({
      secretKey: generateSecretKey(),
      listen: [],
      peers: [{ peerId: r0.peerId, addrs: [r0.address] }],
      maxFrameBytes: 8 << 20,
      maxQueueBytes: 16 << 20,
      onFrame: () => undefined,
    });
    stranger.send(r0.peerId, randomBytes(100));
    const c1 = net.cluster.clients[1]!;
    const { loadKey } = await import('../../src/config/cluster.js');
    const insider = await startTransport({
      secretKey: loadKey(net.dir, 'client', 1, net.cluster).secretKey,
      listen: [],
      peers: [{ peerId: r0.peerId, addrs: [r0.address] }],
      maxFrameBytes: 8 << 20,
      maxQueueBytes: 16 << 20,
      onFrame: () => undefined,
    });
    try {
      assert.equal(insider.peerId, c1.peerId);
      for (let i = 0; i < 50; i++) insider.send(r0.peerId, randomBytes(1 + i * 7));
      insider.send(r0.peerId, new Uint8Array(5 << 20)); // above the 4 MiB frame cap
      await until('rejects counted', async () => {
        const m = await net.metrics(0);
        const refused = Number(/bftledger_transport\{counter="connectionsRefused"\} (\d+)/.exec(m)?.[1] ?? 0);
        const rejected = [...m.matchAll(/bftledger_messages_rejected_total\{reason="[^"]+"\} (\d+)/g)].reduce(
          (sum, x) => sum + Number(x[1]),
          0,
        );
        return refused >= 1 && rejected >= 40;
      });
      const client = await net.client(0);
      assert.equal((await client.transfer('client-1', 1n)).result.code, 'ok', 'still committing');
    } finally {
      await stranger.stop();
      await insider.stop();
    }
  });
});

describe('a 7-replica network (f = 2)', () => {
  test('with two replicas killed (the primary among them) the network keeps committing', async () => {
    const net = await TestNetwork.start(7, 2);
    try {
      const client = await net.client(0);
      assert.equal((await client.transfer('client-1', 1n)).result.code, 'ok');
      await net.kill(0);
      await net.kill(5);
      assert.equal(await transfers(client, 'client-1', 1n, 10), 10);
      const alive = (await net.statuses()).filter((s) => s.error === undefined);
      assert.equal(alive.length, 5);
      assert.ok(alive.every((s) => (s.view ?? 0) >= 1));
    } finally {
      await net.stop();
    }
  });
});
