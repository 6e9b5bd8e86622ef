/**
 * cluster.json for the crash-fault protocol: `protocol: "cft"` with its own closed parameter list,
 * n >= 2f + 1, the core configuration derived from it, the PBFT default for a file that names no
 * protocol, and `bftledger init --protocol cft --param ...` as a real process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CFT_PARAMETER_DEFAULTS,
  type Cluster,
  type ClusterJson,
  ConfigError,
  cftConfigOf,
  clusterPath,
  clusterToJson,
  formatCluster,
  initCluster,
  loadCluster,
  PARAMETER_DEFAULTS,
  parseCluster,
  pbftConfigOf,
} from '../../src/config/index.js';
import { CFT_DEFAULTS } from '../../src/core/cft/index.js';

/** The compiled CLI entry (this file runs from dist/test/unit/). */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

let root = '';
/** A crash-fault cluster of 3 replicas and 2 clients. */
let cft: Cluster;
/** Its JSON document, which rows mutate copies of. */
let doc: ClusterJson;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-config-cft-'));
  cft = initCluster({ dir: path.join(root, 'base'), replicas: 3, clients: 2, protocol: 'cft' }).cluster;
  doc = clusterToJson(cft);
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Asserts a ConfigError 'bad-config' at `jsonPath` whose message matches `pattern`. */
function assertBadConfig(fn: () => unknown, jsonPath: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, 'bad-config', err.message);
    assert.equal(err.path, jsonPath, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

/** A copy of the crash-fault document with parameters changed (undefined deletes one). */
function withParameters(changes: Record<string, unknown>): unknown {
  const copy = structuredClone(doc) as unknown as { parameters: Record<string, unknown> };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete copy.parameters[name];
    else copy.parameters[name] = value;
  }
  return copy;
}

describe('a crash-fault cluster.json', () => {
  it('init writes n = 2f + 1 with the CFT defaults; it loads back the same and writes back the same file', () => {
    assert.equal(cft.protocol, 'cft');
    assert.equal(cft.f, 1);
    assert.deepEqual(cft.parameters, CFT_PARAMETER_DEFAULTS);
    const dir = path.join(root, 'base');
    assert.deepEqual(loadCluster(dir), cft);
    assert.equal(formatCluster(loadCluster(dir)), fs.readFileSync(clusterPath(dir), 'utf8'));
    const five = initCluster({ dir: path.join(root, 'five'), replicas: 5, clients: 1, protocol: 'cft' });
    assert.equal(five.cluster.f, 2, 'f = floor((n - 1) / 2)');
  });

  it('gives the CFT core its configuration, and refuses to give a PBFT one', () => {
    const config = cftConfigOf(cft, 2);
    assert.deepEqual(config, { ...CFT_DEFAULTS, n: 3, id: 2, cluster: cft.clusterId });
    assertBadConfig(() => pbftConfigOf(cft, 0), 'protocol', /the cluster runs cft, not pbft/);
    const pbft = initCluster({ dir: path.join(root, 'pbft'), replicas: 4, clients: 1 }).cluster;
    assertBadConfig(() => cftConfigOf(pbft, 0), 'protocol', /the cluster runs pbft, not cft/);
  });

  it('init passes parameter changes through, and the loader refuses a PBFT parameter', () => {
    const changed = initCluster({
      dir: path.join(root, 'changed'),
      replicas: 3,
      clients: 1,
      protocol: 'cft',
      parameters: { snapshotInterval: 8, heartbeatTicks: 5 },
    }).cluster;
    assert.deepEqual(changed.parameters, {
      ...CFT_PARAMETER_DEFAULTS,
      snapshotInterval: 8,
      heartbeatTicks: 5,
    });
    assertBadConfig(
      () =>
        initCluster({
          dir: path.join(root, 'mixed'),
          replicas: 3,
          clients: 1,
          protocol: 'cft',
          parameters: { checkpointInterval: 8 },
        }),
      'parameters.checkpointInterval',
      /unknown field/,
    );
  });

  // Documents are built when a test runs: `doc` exists only once `before` ran.
  const rows: [string, () => unknown, string, RegExp][] = [
    ['n < 2f + 1', () => ({ ...doc, f: 2 }), 'f', /f = 2 needs at least 5 replicas under cft, found 3/],
    [
      'a PBFT parameter',
      () => withParameters({ checkpointInterval: 128 }),
      'parameters.checkpointInterval',
      /unknown field/,
    ],
    [
      'a missing parameter',
      () => withParameters({ snapshotInterval: undefined }),
      'parameters.snapshotInterval',
      /missing/,
    ],
    [
      'an election timeout not above the heartbeat',
      () => withParameters({ heartbeatTicks: 100 }),
      'parameters.electionTimeoutMinTicks',
      /expected an integer in \[101, /,
    ],
    [
      'an election timeout range upside down',
      () => withParameters({ electionTimeoutMaxTicks: 99 }),
      'parameters.electionTimeoutMaxTicks',
      /expected an integer in \[100, /,
    ],
    [
      'more entries per append than the wire allows',
      () => withParameters({ maxAppendEntries: 257 }),
      'parameters.maxAppendEntries',
      /expected an integer in \[1, 256\]/,
    ],
    [
      'a frame cap below the largest append-entries',
      () => withParameters({ maxFrameBytes: 1024 * 1024 }),
      'parameters.maxFrameBytes',
      /expected an integer in \[1114112, /,
    ],
    [
      'a zero snapshot interval',
      () => withParameters({ snapshotInterval: 0 }),
      'parameters.snapshotInterval',
      /\[1, /,
    ],
  ];
  for (const [name, json, at, pattern] of rows) {
    it(`refuses ${name}`, () => {
      assertBadConfig(() => parseCluster(json(), 'cluster.json'), at, pattern);
    });
  }

  it('reads a file that names no protocol as PBFT, and refuses CFT parameters in it', () => {
    const pbft = clusterToJson(initCluster({ dir: path.join(root, 'old'), replicas: 4, clients: 1 }).cluster);
    const { protocol: _, ...old } = pbft;
    const loaded = parseCluster(old, 'cluster.json');
    assert.equal(loaded.protocol, 'pbft');
    assert.deepEqual(loaded.parameters, PARAMETER_DEFAULTS);
    const { protocol: __, ...oldCft } = doc;
    assertBadConfig(() => parseCluster(oldCft, 'cluster.json'), 'f', /needs at least 4 replicas under pbft/);
    assertBadConfig(
      () => parseCluster({ ...oldCft, f: 0 }, 'cluster.json'),
      'parameters.maxAppendEntries',
      /unknown field/,
    );
  });
});

/** Runs the CLI with `args`; resolves with its exit status and output. */
function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

describe('bftledger init --protocol cft', { concurrency: true }, () => {
  it('writes a crash-fault cluster with the parameters given by --param', async () => {
    const dir = path.join(root, 'cli');
    const r = await cli(
      'init',
      '--dir',
      dir,
      '--replicas',
      '3',
      '--protocol',
      'cft',
      '--param',
      'snapshotInterval=8',
    );
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { protocol: string; f: number; replicas: number };
    assert.deepEqual([summary.protocol, summary.f, summary.replicas], ['cft', 1, 3]);
    const loaded = loadCluster(dir);
    assert.ok(loaded.protocol === 'cft');
    assert.equal(loaded.parameters.snapshotInterval, 8);
  });

  for (const [name, args, message] of [
    [
      'too few replicas for f',
      ['--replicas', '3', '--f', '2'],
      /--f 2 needs --replicas >= 5 \(2f \+ 1 under cft\)/,
    ],
    ['a PBFT parameter', ['--replicas', '3', '--param', 'watermarkWindow=8'], /not a cft parameter/],
    [
      'a parameter out of range',
      ['--replicas', '3', '--param', 'snapshotInterval=0'],
      /--param snapshotInterval: expected an integer/,
    ],
    ['a malformed --param', ['--replicas', '3', '--param', 'snapshotInterval'], /expected NAME=INTEGER/],
  ] as const) {
    it(`refuses ${name} as bad usage (exit 2)`, async () => {
      const dir = path.join(root, `bad-${name.replace(/\W+/g, '-')}`);
      const r = await cli('init', '--dir', dir, '--protocol', 'cft', ...args);
      assert.equal(r.status, 2, r.stdout);
      assert.match(r.stderr, message);
      assert.equal(fs.existsSync(clusterPath(dir)), false, 'nothing written');
    });
  }

  it('refuses an unknown protocol', async () => {
    const r = await cli('init', '--dir', path.join(root, 'raft'), '--replicas', '3', '--protocol', 'raft');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /expected one of pbft, cft/);
  });
});
