/**
 * Sharing a connection between clients: which client a replica's frame is for (read from the
 * frame itself, never from the connection), and how the benchmark deals clients to processes so
 * that the clients of one connection always run in the same process.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { dealClients } from '../../src/bench/run.js';
import { addresseeOf } from '../../src/client/connection.js';
import { LedgerClient } from '../../src/client/ledger-client.js';
import { initCluster, loadKey, loadSigner } from '../../src/config/index.js';
import { sha256 } from '../../src/crypto/hash.js';
import { encodeResult, ResultCode } from '../../src/ledger/index.js';
import { sealCft } from '../../src/messages/cft-boundary.js';
import { seal } from '../../src/messages/envelope.js';
import { sealReplies } from '../../src/messages/reply-batch.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-connection-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('addresseeOf', () => {
  const dir = path.join(root, 'net');
  const { cluster } = initCluster({ dir, replicas: 4, clients: 8 });
  const replica = loadSigner(dir, 'replica', 2, cluster);
  const result = encodeResult(ResultCode.ok, 5n);
  /** Replica 2's reply to client 6: leaf 1 of a batch of three replies under one signature. */
  const batchReply = () =>
    sealReplies(replica, sha256, cluster.clusterId, 2, { view: 0, seq: 3 }, [
      { client: 4, timestamp: 2, result },
      { client: 6, timestamp: 9, result },
      { client: 5, timestamp: 7, result },
    ])[1]!;

  test('names the client of a PBFT reply, a crash-fault reply and a redirect', () => {
    assert.equal(addresseeOf(batchReply().bytes), 6);
    const cftReply = sealCft(cluster.clusterId, {
      kind: 'cft-reply',
      sender: 1,
      body: { term: 2, client: 5, timestamp: 9, index: 4, result },
    });
    assert.equal(addresseeOf(cftReply), 5);
    const redirect = sealCft(cluster.clusterId, {
      kind: 'redirect',
      sender: 1,
      body: { term: 2, client: 7, timestamp: 9, leader: 0 },
    });
    assert.equal(addresseeOf(redirect), 7);
  });

  test('names nobody for other kinds, garbage, truncated or padded frames', () => {
    const client = loadSigner(dir, 'client', 3, cluster);
    const request = seal(client, cluster.clusterId, 'request', 3, {
      client: 3,
      timestamp: 1,
      op: new Uint8Array(4),
    });
    assert.equal(addresseeOf(request.bytes), undefined, 'a request is not addressed to a client');
    assert.equal(addresseeOf(new Uint8Array(0)), undefined);
    assert.equal(addresseeOf(new Uint8Array(300).fill(0xff)), undefined);
    const reply = batchReply().bytes;
    assert.equal(addresseeOf(reply.subarray(0, reply.length - 1)), undefined);
    assert.equal(addresseeOf(new Uint8Array([...reply, 0])), undefined);
  });
});

describe('connectShared refuses before it connects', () => {
  test('an empty list, a client listed twice, or a client of another connection', async () => {
    const dir = path.join(root, 'refusals');
    const { cluster } = initCluster({ dir, replicas: 4, clients: 4, clientsPerConnection: 2 });
    const member = (id: number) => ({ id, signer: loadSigner(dir, 'client', id, cluster) });
    const secretKey = loadKey(dir, 'client', 0, cluster).secretKey;
    await assert.rejects(
      LedgerClient.connectShared({ cluster, clients: [], secretKey }),
      /at least one client/,
    );
    await assert.rejects(
      LedgerClient.connectShared({ cluster, clients: [member(0), member(1), member(1)], secretKey }),
      /listed twice/,
    );
    await assert.rejects(
      LedgerClient.connectShared({ cluster, clients: [member(0), member(2)], secretKey }),
      /client 2 connects with its own key/,
    );
  });
});

describe('dealClients', () => {
  test('deals whole connections round robin; clients on their own connections one by one', () => {
    const shared = initCluster({
      dir: path.join(root, 'shared'),
      replicas: 4,
      clients: 10,
      clientsPerConnection: 3,
    });
    assert.deepEqual(dealClients(shared.cluster, 10, 2), [
      [0, 1, 2, 6, 7, 8],
      [3, 4, 5, 9],
    ]);
    assert.deepEqual(dealClients(shared.cluster, 4, 4), [[0, 1, 2], [3], [], []]);
    const own = initCluster({ dir: path.join(root, 'own'), replicas: 4, clients: 5 });
    assert.deepEqual(dealClients(own.cluster, 5, 2), [
      [0, 2, 4],
      [1, 3],
    ]);
  });
});
