/**
 * cluster.json validation: one table row per rule, each asserting the error code and the exact JSON
 * path it names, and the loader's handling of a missing or unparsable file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type ClusterJson,
  ConfigError,
  type ConfigErrorCode,
  clientViaOf,
  clusterPath,
  clusterToJson,
  initCluster,
  loadCluster,
  parseCluster,
  transportPeerOf,
} from '../../src/config/index.js';

/** Finds test/fixtures/<name> by walking up from this (possibly compiled) file. */
function fixturePath(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'test', 'fixtures', name);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`fixture ${name} not found`);
    dir = parent;
  }
}

/** The public key of the named Ed25519 edge-case vector. */
function vectorKey(name: string): string {
  const doc = JSON.parse(fs.readFileSync(fixturePath('ed25519-edge-cases.json'), 'utf8')) as {
    vectors: { name: string; publicKey: string }[];
  };
  const v = doc.vectors.find((x) => x.name === name);
  assert.ok(v, `vector ${name}`);
  return v.publicKey;
}

const SMALL_ORDER_KEY = vectorKey('identity-key-forgery');
const MIXED_ORDER_KEY = vectorKey('mixed-order-key');
const MAX_AMOUNT = (1n << 128n) - 1n;

let root = '';
/** A valid cluster.json document (4 replicas, 2 clients, base port 7000) that rows mutate copies of. */
let valid: ClusterJson;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-config-'));
  initCluster({ dir: path.join(root, 'base'), replicas: 4, clients: 2, basePort: 7000 });
  valid = JSON.parse(fs.readFileSync(clusterPath(path.join(root, 'base')), 'utf8')) as ClusterJson;
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Asserts that `fn` throws a ConfigError with this code and path whose message matches `pattern`. */
function assertConfigError(fn: () => unknown, code: ConfigErrorCode, at: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.path, at, err.message);
    assert.match(err.message, pattern);
    const prefix = at === '' ? 'cluster.json: ' : `cluster.json: ${at}: `;
    assert.ok(err.message.startsWith(prefix), `message names the file and path: ${err.message}`);
    return true;
  });
}

/** Element `i` of `list`, asserted to exist. */
function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  assert.ok(v !== undefined, `element ${i}`);
  return v;
}

/** A document under edit. */
type Doc = Record<string, unknown>;
/** Marks a field to delete. */
const DELETE = Symbol('delete');
/** Field edits by JSON path; a function value is computed from the document before the edits. */
type Edits = Record<string, unknown>;

/** The segments of a JSON path such as `replicas[2].publicKey`. */
function segments(jsonPath: string): string[] {
  return jsonPath.match(/[^.[\]]+/g) ?? [];
}

/** The value at `jsonPath` in `doc`. */
function get(doc: unknown, jsonPath: string): unknown {
  return segments(jsonPath).reduce<unknown>((o, key) => (o as Doc)[key], doc);
}

/** Sets (or, with DELETE, removes) the value at `jsonPath` in `doc`. */
function set(doc: unknown, jsonPath: string, value: unknown): void {
  const keys = segments(jsonPath);
  const last = keys.pop();
  assert.ok(last !== undefined);
  const parent = get(doc, keys.join('.')) as Doc;
  if (value === DELETE) delete parent[last];
  else parent[last] = value;
}

/** One validation rule: the edits that break a valid document, and the error they must cause. */
interface Row {
  readonly name: string;
  readonly edits: Edits;
  readonly path: string;
  readonly message: RegExp;
  readonly code: ConfigErrorCode;
}

/** A table row. */
function row(
  name: string,
  edits: Edits,
  path: string,
  message: RegExp,
  code: ConfigErrorCode = 'bad-config',
): Row {
  return { name, edits, path, message, code };
}

/** A copy of the valid document with `edits` applied. */
function edited(edits: Edits): unknown {
  const doc = structuredClone(valid);
  const values = Object.entries(edits).map(([p, v]) => [p, typeof v === 'function' ? v(doc) : v] as const);
  for (const [p, v] of values) set(doc, p, v);
  return doc;
}

/** The value at `jsonPath` of the document being edited, as a string. */
const from = (jsonPath: string) => (doc: unknown) => String(get(doc, jsonPath));

const ROWS: Row[] = [
  row('n < 3f + 1', { f: 2 }, 'f', /f = 2 needs at least 7 replicas under pbft, found 4/),
  row('negative f', { f: -1 }, 'f', /expected an integer/),
  row('no replicas', { f: 0, replicas: [] }, 'f', /needs at least 1 replicas/),
  row(
    'small-order replica key (identity vector)',
    { 'replicas[2].publicKey': SMALL_ORDER_KEY },
    'replicas[2].publicKey',
    /small-order key refused/,
    'bad-key',
  ),
  row(
    'mixed-order client key (vector)',
    { 'clients[1].publicKey': MIXED_ORDER_KEY },
    'clients[1].publicKey',
    /mixed-order key refused/,
    'bad-key',
  ),
  row(
    'small-order account owner',
    { 'genesis.accounts[0].owner': SMALL_ORDER_KEY },
    'genesis.accounts[0].owner',
    /small-order key refused/,
    'bad-key',
  ),
  row(
    'mixed-order issuer',
    { 'genesis.issuers': [MIXED_ORDER_KEY] },
    'genesis.issuers[0]',
    /mixed-order key refused/,
    'bad-key',
  ),
  row(
    'uppercase hex key',
    { 'replicas[0].publicKey': (d: unknown) => from('replicas[0].publicKey')(d).toUpperCase() },
    'replicas[0].publicKey',
    /lowercase hex/,
    'bad-key',
  ),
  row(
    'short key',
    { 'replicas[1].publicKey': 'abcd' },
    'replicas[1].publicKey',
    /expected 64 hex/,
    'bad-key',
  ),
  row(
    'wrong peer id',
    { 'replicas[0].peerId': from('replicas[1].peerId') },
    'replicas[0].peerId',
    /does not match publicKey \(expected 12D3KooW/,
  ),
  row(
    'duplicate replica key',
    {
      'replicas[3].publicKey': from('replicas[0].publicKey'),
      'replicas[3].peerId': from('replicas[0].peerId'),
    },
    'replicas[3].publicKey',
    /duplicate public key [0-9a-f]{64} \(also at replicas\[0\]\.publicKey\)/,
  ),
  row(
    'client reusing a replica key',
    {
      'clients[0].publicKey': from('replicas[1].publicKey'),
      'clients[0].peerId': from('replicas[1].peerId'),
    },
    'clients[0].publicKey',
    /duplicate public key/,
  ),
  row(
    'duplicate listener port',
    { 'replicas[2].address': '/ip4/127.0.0.1/tcp/7001' },
    'replicas[2].address',
    /duplicate port 7001 on 127\.0\.0\.1 \(also at replicas\[1\]\.address\)/,
  ),
  row(
    'metrics port on a listener port',
    { 'replicas[0].metricsPort': 7000 },
    'replicas[0].metricsPort',
    /duplicate port 7000/,
  ),
  row(
    'not a TCP multiaddr',
    { 'replicas[1].address': '/ip4/127.0.0.1/udp/7001' },
    'replicas[1].address',
    /expected a TCP multiaddr/,
  ),
  row(
    'bad IPv4 address',
    { 'replicas[1].address': '/ip4/127.0.0.256/tcp/7001' },
    'replicas[1].address',
    /bad IPv4 address/,
  ),
  row('replica ids out of order', { 'replicas[1].id': 2 }, 'replicas[1].id', /expected 1, found 2/),
  row('client ids out of order', { 'clients[0].id': 1 }, 'clients[0].id', /expected 0, found 1/),
  row('duplicate client name', { 'clients[1].name': 'client-0' }, 'clients[1].name', /duplicate client name/),
  row('client via itself', { 'clients[1].via': 1 }, 'clients[1].via', /cannot share its own connection/),
  row('client via an unknown client', { 'clients[1].via': 5 }, 'clients[1].via', /no client 5/),
  row('client via a non-integer', { 'clients[1].via': '0' }, 'clients[1].via', /expected an integer/),
  row(
    'client via a client that itself connects via another',
    { 'clients[0].via': 1, 'clients[1].via': 0 },
    'clients[0].via',
    /client 1 itself connects via client 0/,
  ),
  row(
    'duplicate account name',
    { 'genesis.accounts[1].name': 'client-0' },
    'genesis.accounts[1].name',
    /duplicate account name/,
  ),
  row(
    'key-shaped account name of another key',
    { 'genesis.accounts[0].name': from('clients[1].publicKey') },
    'genesis.accounts[0].name',
    /must be the hex of its owner key/,
  ),
  ...['-5', '01', '1e6', '1.5', ' 7', '', (MAX_AMOUNT + 1n).toString(), 1000].map((balance) =>
    row(
      `bad balance ${JSON.stringify(balance)}`,
      { 'genesis.accounts[1].balance': balance },
      'genesis.accounts[1].balance',
      typeof balance === 'number' ? /expected a decimal string/ : /non-negative decimal integer|at most/,
    ),
  ),
  row(
    'balances summing past 2^128 - 1',
    {
      'genesis.accounts[0].balance': MAX_AMOUNT.toString(),
      'genesis.accounts[1].balance': MAX_AMOUNT.toString(),
    },
    'genesis.accounts',
    /sum past 2\^128 - 1/,
  ),
  row(
    'unknown top-level field',
    { paramters: {} },
    'paramters',
    /unknown field \(did you mean "parameters"\?\)/,
  ),
  row(
    'misspelt replica field',
    { 'replicas[0].metricPort': 7100, 'replicas[0].metricsPort': DELETE },
    'replicas[0].metricPort',
    /unknown field \(did you mean "metricsPort"\?\)/,
  ),
  row('unknown parameter', { 'parameters.batchSize': 10 }, 'parameters.batchSize', /unknown field/),
  row(
    'unsignedRequests other than true',
    { 'parameters.unsignedRequests': false },
    'parameters.unsignedRequests',
    /must be true when present/,
  ),
  row('missing field', { 'clients[0].peerId': DELETE }, 'clients[0].peerId', /missing/),
  row(
    'cluster id of 15 bytes',
    { clusterId: (d: unknown) => from('clusterId')(d).slice(2) },
    'clusterId',
    /expected 32 hex characters \(16 bytes\), found 30/,
  ),
  row(
    'unsupported protocol',
    { protocol: 'raft' },
    'protocol',
    /unsupported protocol "raft" \(expected one of pbft, cft\)/,
  ),
  row('unsupported version', { version: 2 }, 'version', /unsupported format version 2/),
  row(
    'watermark window not a multiple of K',
    { 'parameters.watermarkWindow': 200 },
    'parameters.watermarkWindow',
    /must be a multiple of checkpointInterval \(128\), found 200/,
  ),
  ...(
    [
      ['maxBatch', 0],
      ['maxBatch', 1.5],
      ['maxBatch', 513],
      ['tickMs', '10'],
      ['maxInflight', 257],
      ['maxViewTimeoutTicks', 99],
      ['maxQueueBytes', 1024],
      ['maxFrameBytes', 64 * 1024],
    ] as const
  ).map(([name, value]) =>
    row(
      `parameter ${name} = ${JSON.stringify(value)}`,
      { [`parameters.${name}`]: value },
      `parameters.${name}`,
      /expected an integer in \[/,
    ),
  ),
];

describe('cluster.json validation', () => {
  for (const row of ROWS) {
    it(`refuses: ${row.name}`, () => {
      const doc = edited(row.edits);
      assertConfigError(() => parseCluster(doc, 'cluster.json'), row.code, row.path, row.message);
    });
  }

  it('refuses a document that is not an object', () => {
    assertConfigError(
      () => parseCluster([], 'cluster.json'),
      'bad-config',
      '',
      /expected an object, found an array/,
    );
  });

  it('accepts the valid document and ip6 / dns addresses', () => {
    const doc = structuredClone(valid);
    at(doc.replicas, 0).address = '/ip6/::1/tcp/7000';
    at(doc.replicas, 1).address = '/dns4/replica-1.example.org/tcp/7000';
    const cluster = parseCluster(doc, 'cluster.json');
    assert.equal(at(cluster.replicas, 1).host, 'replica-1.example.org');
    assert.equal(at(cluster.replicas, 1).port, 7000);
  });

  it('names a missing file with code "missing" and bad JSON with "bad-config"', () => {
    const dir = path.join(root, 'empty');
    fs.mkdirSync(dir);
    assert.throws(
      () => loadCluster(dir),
      (err: unknown) =>
        err instanceof ConfigError && err.code === 'missing' && err.source === clusterPath(dir),
    );
    fs.writeFileSync(clusterPath(dir), '{"version": 1,');
    assert.throws(
      () => loadCluster(dir),
      (err: unknown) =>
        err instanceof ConfigError && err.code === 'bad-config' && /not valid JSON/.test(err.message),
    );
  });
});

describe('clients sharing a connection (via)', () => {
  it('init --clients-per-connection writes blocks via their first client; the loader keeps them', () => {
    const dir = path.join(root, 'shared');
    initCluster({ dir, replicas: 4, clients: 7, clientsPerConnection: 3, basePort: 7000 });
    const doc = JSON.parse(fs.readFileSync(clusterPath(dir), 'utf8')) as ClusterJson;
    assert.deepEqual(
      doc.clients.map((c) => c.via),
      [undefined, 0, 0, undefined, 3, 3, undefined],
    );
    const cluster = loadCluster(dir);
    assert.deepEqual(
      cluster.clients.map((c) => c.via),
      [undefined, 0, 0, undefined, 3, 3, undefined],
    );
    assert.deepEqual(clusterToJson(cluster).clients, doc.clients);
    assert.deepEqual(
      [...clientViaOf(cluster)],
      [
        [1, 0],
        [2, 0],
        [4, 3],
        [5, 3],
      ],
    );
  });

  it('routes a client to its own peer, or to the peer of the client it connects via', () => {
    const cluster = parseCluster(
      { ...structuredClone(valid), clients: [at(valid.clients, 0), { ...at(valid.clients, 1), via: 0 }] },
      'cluster.json',
    );
    assert.equal(transportPeerOf(cluster, 0), at(valid.clients, 0).peerId);
    assert.equal(transportPeerOf(cluster, 1), at(valid.clients, 0).peerId);
    assert.equal(at(cluster.clients, 1).peerId, at(valid.clients, 1).peerId, 'its own identity is unchanged');
    assert.equal(transportPeerOf(cluster, 2), undefined);
    assert.equal(
      transportPeerOf(parseCluster(structuredClone(valid), 'cluster.json'), 1),
      at(valid.clients, 1).peerId,
    );
  });

  it('init refuses a block size outside 1..clients', () => {
    assert.throws(
      () =>
        initCluster({ dir: path.join(root, 'bad-block'), replicas: 4, clients: 2, clientsPerConnection: 3 }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.path === 'clientsPerConnection' &&
        /expected an integer in \[1, 2\], found 3/.test(err.message),
    );
  });
});

describe('unsignedRequests (benchmark networks only)', () => {
  /** The field as parsed (PBFT parameters only have it). */
  const unsignedOf = (c: { parameters: object }) =>
    (c.parameters as { unsignedRequests?: true }).unsignedRequests;

  it('is absent from what init writes and off when absent', () => {
    assert.equal(Object.hasOwn(valid.parameters, 'unsignedRequests'), false);
    assert.equal(unsignedOf(parseCluster(structuredClone(valid), 'cluster.json')), undefined);
  });

  it('is read when true, and written by initCluster only when asked for', () => {
    const doc = structuredClone(valid) as ClusterJson & { parameters: { unsignedRequests?: true } };
    doc.parameters.unsignedRequests = true;
    assert.equal(unsignedOf(parseCluster(doc, 'cluster.json')), true);
    const dir = path.join(root, 'unsigned');
    initCluster({ dir, replicas: 4, clients: 2, basePort: 7000, parameters: { unsignedRequests: true } });
    assert.equal(unsignedOf(loadCluster(dir)), true);
  });
});
