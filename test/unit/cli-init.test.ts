/**
 * `bftledger init` and `bftledger keygen` as real processes: the JSON line they print, the files they
 * write and their modes, exit code 1 when they cannot proceed, exit code 2 and a clear message on bad
 * usage.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clusterPath, keyPath, loadCluster, loadSigner } from '../../src/config/index.js';
import { readKeyFile, toHex } from '../../src/crypto/index.js';
import { peerIdOf } from '../../src/net/identity.js';

/** The compiled CLI entry (this file runs from dist/test/unit/). */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** What a CLI run left behind. */
interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with `args` as a separate process. */
function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}

/** The permission bits of `p`. */
function modeOf(p: string): number {
  return fs.statSync(p).mode & 0o777;
}

let root = '';

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-cli-init-'));
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('bftledger init and keygen', { concurrency: true }, () => {
  it('writes a cluster, prints one JSON line, and refuses to overwrite without --force', async () => {
    const dir = path.join(root, 'net');
    const r = await cli('init', '--dir', dir, '--replicas', '4', '--clients', '3', '--base-port', '8100');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one line');
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    const cluster = loadCluster(dir);
    assert.deepEqual(summary, {
      dir,
      clusterId: toHex(cluster.clusterId),
      protocol: 'pbft',
      replicas: 4,
      f: 1,
      clients: 3,
      files: [
        ...[0, 1, 2, 3].map((i) => keyPath(dir, 'replica', i)),
        ...[0, 1, 2].map((i) => keyPath(dir, 'client', i)),
        clusterPath(dir),
      ],
    });
    assert.equal(cluster.replicas[3]?.address, '/ip4/127.0.0.1/tcp/8103');
    assert.equal(cluster.replicas[3]?.metricsPort, 8203);
    for (const i of [0, 1, 2, 3]) assert.equal(modeOf(keyPath(dir, 'replica', i)), 0o600);
    loadSigner(dir, 'client', 2, cluster);

    const again = await cli('init', '--dir', dir, '--replicas', '4');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /cluster\.json: already exists; refusing to replace an existing cluster/);
    assert.equal(again.stdout, '');
    assert.deepEqual(loadCluster(dir), cluster, 'untouched');

    const forced = await cli('init', '--dir', dir, '--replicas', '7', '--force', '--balance', '5');
    assert.equal(forced.status, 0, forced.stderr);
    const replaced = loadCluster(dir);
    assert.equal(replaced.n, 7);
    assert.equal(replaced.f, 2);
    assert.equal(replaced.genesis.accounts[0]?.balance, 5n);
    assert.notEqual(toHex(replaced.clusterId), toHex(cluster.clusterId));
  });

  it('exits 2 with a clear message on bad usage', async () => {
    const dir = path.join(root, 'unused');
    const cases: [string[], RegExp][] = [
      [['init', '--replicas', '4'], /required option '--dir <dir>' not specified/],
      [['init', '--dir', dir], /required option '--replicas <n>' not specified/],
      [['init', '--dir', dir, '--replicas', '0'], /--replicas.*expected an integer in \[1, 100\]/],
      [['init', '--dir', dir, '--replicas', 'four'], /--replicas.*expected an integer/],
      [['init', '--dir', dir, '--replicas', '4', '--f', '2'], /--f 2 needs --replicas >= 7/],
      [['init', '--dir', dir, '--replicas', '4', '--balance', '-1'], /--balance.*non-negative decimal/],
      [
        ['init', '--dir', dir, '--replicas', '4', '--base-port', '65500'],
        /option --base-port: expected an integer/,
      ],
      [['init', '--dir', dir, '--replicas', '4', '--replica', '3'], /unknown option '--replica'/],
      [['keygen'], /required option '--out <file>' not specified/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(...args)));
    for (const [i, [args, pattern]] of cases.entries()) {
      const r = runs[i];
      assert.ok(r);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.equal(r.stdout, '');
    }
    assert.equal(fs.existsSync(dir), false, 'nothing written');
  });

  it('prints help', async () => {
    const r = await cli('init', '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: bftledger init \[options\]/);
    assert.match(r.stdout, /--force/);
  });

  it('writes an owner-only key file and prints its public key and peer id', async () => {
    const file = path.join(root, 'extra', 'replica-4.json');
    const labelled = path.join(root, 'extra', 'ops.json');
    const [r, withLabel] = await Promise.all([
      cli('keygen', '--out', file),
      cli('keygen', '--out', labelled, '--label', 'client-9'),
    ]);
    assert.equal(r.status, 0, r.stderr);
    const printed = JSON.parse(r.stdout) as {
      publicKey: string;
      peerId: string;
      file: string;
      label: string;
    };
    const key = readKeyFile(file);
    assert.deepEqual(printed, {
      publicKey: toHex(key.publicKey),
      peerId: peerIdOf(key.publicKey),
      file,
      label: 'replica-4',
    });
    assert.equal(modeOf(file), 0o600);

    assert.equal(withLabel.status, 0, withLabel.stderr);
    assert.equal(readKeyFile(labelled).label, 'client-9');

    const again = await cli('keygen', '--out', file);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /replica-4\.json: already exists \(refusing to overwrite\)/);
    assert.equal(toHex(readKeyFile(file).publicKey), printed.publicKey, 'untouched');
  });
});
