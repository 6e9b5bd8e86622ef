/**
 * Key files of a network directory and `initCluster`: owner-only modes, `loadSigner` checking the key
 * file against cluster.json, refusal to overwrite an existing cluster, and option checks.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ConfigError,
  type ConfigErrorCode,
  clusterPath,
  initCluster,
  keyPath,
  loadCluster,
  loadKey,
  loadSigner,
} from '../../src/config/index.js';
import { Ed25519Verifier, toHex } from '../../src/crypto/index.js';

let root = '';
let counter = 0;

/** A fresh, not yet existing network directory path. */
function freshDir(): string {
  counter++;
  return path.join(root, `net-${counter}`);
}

/** The permission bits of `p`. */
function modeOf(p: string): number {
  return fs.statSync(p).mode & 0o777;
}

/** Asserts a ConfigError with this code whose message matches `pattern`. */
function assertConfigError(fn: () => unknown, code: ConfigErrorCode, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-config-keys-'));
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('initCluster key files', () => {
  it('writes one owner-only key file per principal, in an owner-only directory', () => {
    const dir = freshDir();
    const result = initCluster({ dir, replicas: 4, clients: 3, basePort: 7000 });
    const keyFiles = result.files.filter((f) => f !== clusterPath(dir));
    assert.equal(keyFiles.length, 7);
    assert.equal(result.files.at(-1), clusterPath(dir), 'cluster.json is written last');
    for (const file of keyFiles) assert.equal(modeOf(file), 0o600, file);
    assert.equal(modeOf(path.join(dir, 'keys')), 0o700);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'keys')).sort(), [
      'client-0.json',
      'client-1.json',
      'client-2.json',
      'replica-0.json',
      'replica-1.json',
      'replica-2.json',
      'replica-3.json',
    ]);
    assert.equal(keyPath(dir, 'replica', 2), path.join(dir, 'keys', 'replica-2.json'));
  });

  it('loadSigner signs with the key cluster.json names', () => {
    const dir = freshDir();
    const { cluster } = initCluster({ dir, replicas: 4, clients: 1, basePort: 7000 });
    for (const [role, id, expected] of [
      ['replica', 3, cluster.replicas[3]?.publicKey],
      ['client', 0, cluster.clients[0]?.publicKey],
    ] as const) {
      assert.ok(expected);
      const signer = loadSigner(dir, role, id);
      assert.equal(toHex(signer.publicKey), toHex(expected));
      const data = new TextEncoder().encode('hello');
      assert.ok(Ed25519Verifier.fromPublicKey(expected).verify(data, signer.sign(data)));
      assert.equal(loadKey(dir, role, id, cluster).secretKey.length, 32);
    }
  });

  it('loadSigner refuses a key file that does not match cluster.json', () => {
    const dir = freshDir();
    initCluster({ dir, replicas: 4, clients: 1, basePort: 7000 });
    fs.copyFileSync(keyPath(dir, 'replica', 1), keyPath(dir, 'replica', 0));
    assertConfigError(
      () => loadSigner(dir, 'replica', 0),
      'bad-key',
      /replica-0\.json: public key [0-9a-f]{64} does not match cluster\.json replicas\[0\]\.publicKey [0-9a-f]{64}/,
    );
  });

  it('loadSigner refuses a missing, a group-readable or a corrupt key file, and an unknown id', () => {
    const dir = freshDir();
    initCluster({ dir, replicas: 4, clients: 2, basePort: 7000 });
    fs.rmSync(keyPath(dir, 'client', 1));
    assertConfigError(
      () => loadSigner(dir, 'client', 1),
      'missing',
      /client-1\.json: no key file for client 1/,
    );
    fs.chmodSync(keyPath(dir, 'replica', 2), 0o640);
    assertConfigError(() => loadSigner(dir, 'replica', 2), 'bad-key', /readable by others \(mode 0640\)/);
    fs.writeFileSync(keyPath(dir, 'replica', 3), '{"type": "nope"}', { mode: 0o600 });
    assertConfigError(() => loadSigner(dir, 'replica', 3), 'bad-key', /replica-3\.json: "type" must be/);
    assertConfigError(() => loadSigner(dir, 'replica', 4), 'bad-config', /no replica 4/);
  });
});

describe('initCluster refusals', () => {
  it('refuses to overwrite an existing cluster unless asked, then replaces it', () => {
    const dir = freshDir();
    const first = initCluster({ dir, replicas: 4, clients: 1, basePort: 7000 });
    const before = fs.readFileSync(clusterPath(dir), 'utf8');
    assertConfigError(
      () => initCluster({ dir, replicas: 4, clients: 1, basePort: 7000 }),
      'exists',
      /cluster\.json: already exists; refusing to replace an existing cluster/,
    );
    assert.equal(fs.readFileSync(clusterPath(dir), 'utf8'), before, 'untouched');
    loadSigner(dir, 'replica', 0);
    const second = initCluster({ dir, replicas: 4, clients: 1, basePort: 7000, overwrite: true });
    assert.notEqual(toHex(second.cluster.clusterId), toHex(first.cluster.clusterId));
    assert.deepEqual(loadCluster(dir), second.cluster);
    assert.equal(
      toHex(loadSigner(dir, 'replica', 0).publicKey),
      toHex(second.cluster.replicas[0]?.publicKey ?? new Uint8Array()),
    );
    assert.equal(modeOf(keyPath(dir, 'replica', 0)), 0o600);
  });

  it('refuses when only a stray key file exists, and writes nothing', () => {
    const dir = freshDir();
    fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
    fs.writeFileSync(keyPath(dir, 'client', 0), 'old', { mode: 0o600 });
    assertConfigError(
      () => initCluster({ dir, replicas: 4, clients: 1, basePort: 7000 }),
      'exists',
      /client-0\.json: already exists/,
    );
    assert.deepEqual(fs.readdirSync(path.join(dir, 'keys')), ['client-0.json']);
    assert.equal(fs.existsSync(clusterPath(dir)), false);
  });

  it('refuses options that cannot make a cluster, naming the option', () => {
    const cases: [Parameters<typeof initCluster>[0], string, RegExp][] = [
      [{ dir: freshDir(), replicas: 4, f: 2 }, 'f', /f = 2 needs at least 7 replicas under pbft, found 4/],
      [{ dir: freshDir(), replicas: 0 }, 'replicas', /expected an integer in \[1, 100\]/],
      [{ dir: freshDir(), replicas: 4, clients: 0 }, 'clients', /expected an integer/],
      [{ dir: freshDir(), replicas: 4, basePort: 65500 }, 'basePort', /expected an integer in \[1, 65432\]/],
      [{ dir: freshDir(), replicas: 4, startingBalance: -1n }, 'startingBalance', /must be >= 0/],
      [
        { dir: freshDir(), replicas: 4, clients: 2, startingBalance: 1n << 127n },
        'startingBalance',
        /2\^128/,
      ],
    ];
    for (const [options, option, pattern] of cases) {
      assert.throws(
        () => initCluster(options),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.equal(err.code, 'bad-config');
          assert.equal(err.path, option);
          assert.match(err.detail, pattern);
          return true;
        },
      );
      assert.equal(fs.existsSync(options.dir), false, 'nothing written');
    }
  });

  it('uses f = floor((n - 1) / 3) by default and accepts a smaller f', () => {
    assert.equal(initCluster({ dir: freshDir(), replicas: 7 }).cluster.f, 2);
    assert.equal(initCluster({ dir: freshDir(), replicas: 7, f: 1 }).cluster.f, 1);
    assert.equal(initCluster({ dir: freshDir(), replicas: 1 }).cluster.f, 0);
  });
});
