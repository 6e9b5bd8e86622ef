/**
 * End-to-end: clients configured `via` another (`init --clients-per-connection`) share one
 * connection per replica. Real replica processes on loopback, both protocols: every client's
 * transfers commit over the shared connection, replies reach the right client, balances are exact,
 * a client on its own connection sees the same ledger, and a key that is not the configured
 * connection's is refused before anything is sent.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ClientError, LedgerClient } from '../../src/client/ledger-client.js';
import { loadKey, loadSigner } from '../../src/config/cluster.js';
import { TestNetwork } from './support.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = promisify(execFile);

/** Clients 0..3 share client 0's connection; client 4 connects with its own key. */
const SHARED = [0, 1, 2, 3];
const OWN = 4;
const TRANSFERS = 8;
const OPENING = 1_000_000n;

/** Runs the shared-connection scenario on a network of `n` replicas initialised with `initArgs`. */
async function scenario(n: number, initArgs: readonly string[]): Promise<void> {
  const net = await TestNetwork.start(n, 5, {}, ['--clients-per-connection', '4', ...initArgs]);
  after(() => net.stop());
  assert.deepEqual(
    net.cluster.clients.map((c) => c.via),
    [undefined, 0, 0, 0, undefined],
  );

  // A key other than the configured connection's is refused: replies would go elsewhere.
  await assert.rejects(
    LedgerClient.connectShared({
      cluster: net.cluster,
      clients: [{ id: 1, signer: loadSigner(net.dir, 'client', 1, net.cluster) }],
      secretKey: loadKey(net.dir, 'client', 1, net.cluster).secretKey,
    }),
    /client 1 connects via client 0/,
  );

  const shared = await net.sharedClients(SHARED);
  const results = await Promise.all(
    shared.map(async (client, i) => {
      const outcomes = [];
      for (let k = 0; k < TRANSFERS; k++)
        outcomes.push(await client.transfer(`client-${OWN}`, BigInt(i + 1)));
      return outcomes;
    }),
  );
  for (const [i, outcomes] of results.entries()) {
    for (const o of outcomes) assert.equal(o.result.code, 'ok', `client ${i}`);
    // The last reply is this client's own: its balance after its own transfers.
    assert.equal(outcomes.at(-1)?.result.balance, (OPENING - BigInt(TRANSFERS * (i + 1))).toString());
  }

  const own = await net.client(OWN);
  const received = SHARED.reduce((sum, i) => sum + TRANSFERS * (i + 1), 0);
  assert.equal((await own.balance(`client-${OWN}`)).result.balance, (OPENING + BigInt(received)).toString());

  // A client closed while the others keep the connection sends nothing more; the others go on.
  await shared[3]!.close();
  await assert.rejects(shared[3]!.transfer(`client-${OWN}`, 1n), (err: unknown) => {
    assert.ok(err instanceof ClientError && err.code === 'closed');
    return true;
  });
  assert.equal((await shared[0]!.transfer(`client-${OWN}`, 1n)).result.code, 'ok');
  assert.equal(
    (await own.balance(`client-${OWN}`)).result.balance,
    (OPENING + BigInt(received) + 1n).toString(),
    'only the open client moved money',
  );

  // The command line connects a `via` client with its connection's identity (the shared one is idle now).
  await Promise.all(shared.map((c) => c.close()));
  const cli = await run(process.execPath, [
    MAIN,
    'client',
    '--dir',
    net.dir,
    '--as',
    'client-2',
    'balance',
    'client-2',
  ]);
  const line = JSON.parse(cli.stdout) as { balance: string };
  assert.equal(line.balance, (OPENING - BigInt(TRANSFERS * 3)).toString());
}

describe('clients sharing a connection', () => {
  test('pbft, 4 replicas', () => scenario(4, []));
  test('crash-fault, 3 replicas', () => scenario(3, ['--protocol', 'cft']));
});
