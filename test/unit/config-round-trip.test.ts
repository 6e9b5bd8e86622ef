/** cluster.json round trip: init -> load gives the same values, and what the runtime derives from it. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Cluster,
  ConfigError,
  clientOf,
  clusterPath,
  findClient,
  findReplica,
  formatCluster,
  genesisOf,
  initCluster,
  loadCluster,
  PARAMETER_DEFAULTS,
  parseCluster,
  pbftConfigOf,
  quorumOf,
  replicaOf,
} from '../../src/config/index.js';
import { PBFT_DEFAULTS } from '../../src/core/pbft/index.js';
import { toHex } from '../../src/crypto/index.js';
import { peerIdOf } from '../../src/net/identity.js';

let root = '';
/** A cluster of 4 replicas and 2 clients with base port 7000. */
let valid: Cluster;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-config-rt-'));
  valid = initCluster({ dir: path.join(root, 'base'), replicas: 4, clients: 2, basePort: 7000 }).cluster;
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Element `i` of `list`, asserted to exist. */
function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  assert.ok(v !== undefined, `element ${i}`);
  return v;
}

/** Asserts a ConfigError 'bad-config' at `jsonPath` whose message matches `pattern`. */
function assertBadConfig(fn: () => unknown, jsonPath: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, 'bad-config');
    assert.equal(err.path, jsonPath);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('cluster.json round trip', () => {
  it('init -> load gives the same values, and writing it back gives the same file', () => {
    const dir = path.join(root, 'round-trip');
    const result = initCluster({ dir, replicas: 5, clients: 3, basePort: 9100, startingBalance: 42n });
    const loaded = loadCluster(dir);
    assert.deepEqual(loaded, result.cluster);
    assert.equal(formatCluster(loaded), fs.readFileSync(clusterPath(dir), 'utf8'));
    assert.equal(loaded.n, 5);
    assert.equal(loaded.f, 1);
    assert.equal(loaded.protocol, 'pbft');
    assert.equal(loaded.clusterId.length, 16);
    assert.deepEqual(loaded.parameters, PARAMETER_DEFAULTS);
    for (const r of loaded.replicas) {
      assert.equal(r.address, `/ip4/127.0.0.1/tcp/${9100 + r.id}`);
      assert.equal(r.metricsPort, 9200 + r.id);
      assert.equal(r.peerId, peerIdOf(r.publicKey));
    }
    assert.deepEqual(
      loaded.genesis.accounts.map((a) => [a.name, toHex(a.owner), a.balance]),
      loaded.clients.map((c) => [`client-${c.id}`, toHex(c.publicKey), 42n]),
    );
    assert.deepEqual(loaded.genesis.issuers, [at(loaded.clients, 0).publicKey]);
  });

  it('derives the genesis, the PBFT configuration and the quorum', () => {
    const cluster = valid;
    const genesis = genesisOf(cluster);
    assert.deepEqual(
      genesis.clients,
      cluster.clients.map((c) => c.publicKey),
    );
    assert.equal(genesis.accounts.length, 2);
    assert.equal(at(genesis.accounts, 1).balance, 1_000_000n);
    const config = pbftConfigOf(cluster, 3);
    assert.deepEqual(config, { n: 4, f: 1, id: 3, cluster: cluster.clusterId, ...PBFT_DEFAULTS });
    assert.equal(quorumOf(cluster), 3);
    assertBadConfig(() => pbftConfigOf(cluster, 4), 'replicas', /no replica 4 \(ids are 0\.\.3\)/);
    const wide = parseCluster({ ...JSON.parse(formatCluster(valid)), f: 0 }, 'cluster.json');
    assert.equal(quorumOf(wide), 3, 'n = 4, f = 0: ceil((n + f + 1) / 2)');
  });

  it('finds replicas and clients by id or name', () => {
    const cluster = valid;
    assert.equal(findReplica(cluster, 2)?.id, 2);
    assert.equal(findReplica(cluster, 9), undefined);
    assert.equal(replicaOf(cluster, 1).port, 7001);
    assert.equal(findClient(cluster, 'client-1')?.id, 1);
    assert.equal(findClient(cluster, 1)?.name, 'client-1');
    assert.equal(findClient(cluster, 'nobody'), undefined);
    assertBadConfig(() => clientOf(cluster, 'nobody'), 'clients', /no client "nobody"/);
  });
});
