/**
 * A small cluster for step tests: keys for n replicas and some clients (the cheap keyed-hash scheme),
 * the boundary context, a genesis ledger, and helpers that seal messages as a given principal and
 * open them through the real boundary, so a test feeds the core exactly what the runtime would.
 */
import assert from 'node:assert/strict';
import { pbftConfig } from '../../src/core/pbft/index.js';
import { PbftReplica } from '../../src/core/pbft/replica.js';
import type { Output, PbftConfig } from '../../src/core/pbft/types.js';
import { sha256 } from '../../src/crypto/hash.js';
import { KeyedHashSigner } from '../../src/crypto/keyed-hash.js';
import type { Signer, Verifier } from '../../src/crypto/types.js';
import { encodeTransfer, type Genesis } from '../../src/ledger/index.js';
import { LedgerStateMachine } from '../../src/ledger/state-machine.js';
import { batchDigestWith } from '../../src/messages/batch.js';
import { type BoundaryContext, openFrame } from '../../src/messages/boundary.js';
import { seal } from '../../src/messages/envelope.js';
import { sealMessage } from '../../src/messages/reply-batch.js';
import type { BodyOf, Kind } from '../../src/messages/schema.js';
import type { AnyVerified, Message, VerifiedMessage } from '../../src/messages/types.js';

/** Keys, context and genesis of a test cluster. */
export interface TestCluster {
  readonly n: number;
  readonly f: number;
  readonly cluster: Uint8Array;
  readonly replicas: Signer[];
  readonly clients: Signer[];
  readonly ctx: BoundaryContext;
  readonly genesis: Genesis;
}

function signerFor(role: string, i: number): KeyedHashSigner {
  return KeyedHashSigner.fromSeed(new TextEncoder().encode(`step-test/${role}/${i}`));
}

/** A cluster of n replicas and `clients` clients, each client owning `client-i` with 1000 units. */
export function makeCluster(n: number, clients = 3): TestCluster {
  const f = Math.floor((n - 1) / 3);
  const cluster = new Uint8Array(16).fill(7);
  const replicas = Array.from({ length: n }, (_, i) => signerFor('replica', i));
  const clientSigners = Array.from({ length: clients }, (_, i) => signerFor('client', i));
  const replicaVerifiers: Verifier[] = replicas.map((s) => s.toVerifier());
  const clientVerifiers: Verifier[] = clientSigners.map((s) => s.toVerifier());
  const ctx: BoundaryContext = {
    cluster,
    principals: { n, f, replica: (id) => replicaVerifiers[id], client: (id) => clientVerifiers[id] },
  };
  const genesis: Genesis = {
    accounts: clientSigners.map((s, i) => ({ name: `client-${i}`, owner: s.publicKey, balance: 1000n })),
    issuers: [clientSigners[0]!.publicKey],
    clients: clientSigners.map((s) => s.publicKey),
  };
  return { n, f, cluster, replicas, clients: clientSigners, ctx, genesis };
}

/** A replica of the cluster with its own ledger. */
export function makeReplica(
  c: TestCluster,
  id: number,
  overrides: Partial<PbftConfig> = {},
): { replica: PbftReplica; sm: LedgerStateMachine } {
  const sm = new LedgerStateMachine(c.genesis, sha256);
  const config = pbftConfig(c.n, id, c.cluster, { checkpointInterval: 4, watermarkWindow: 8, ...overrides });
  return {
    replica: new PbftReplica(config, { signer: c.replicas[id]!, stateMachine: sm, hash: sha256 }),
    sm,
  };
}

/** Seals a body as replica `id`. */
export function asReplica<K extends Kind>(c: TestCluster, id: number, kind: K, body: BodyOf[K]): Message<K> {
  return sealMessage(c.replicas[id]!, sha256, c.cluster, kind, id, body);
}

/** A client's request: a transfer of `amount` from its account to `to`. */
export function request(c: TestCluster, client: number, timestamp: number, to = 'client-1', amount = 1n) {
  const op = encodeTransfer(`client-${client}`, to, amount);
  return seal(c.clients[client]!, c.cluster, 'request', client, { client, timestamp, op });
}

/** Opens a sealed message through the real boundary; fails the test when it is rejected. */
export function open<K extends Kind>(c: TestCluster, msg: Message<K>): VerifiedMessage<K> {
  const r = openFrame(msg.bytes, c.ctx);
  assert.ok(r.ok, `boundary rejected ${msg.kind}: ${r.ok ? '' : `${r.reason} ${r.detail ?? ''}`}`);
  return r.value as unknown as VerifiedMessage<K>;
}

/** Delivers a message (through the boundary) and returns the outputs. */
export function deliver(c: TestCluster, replica: PbftReplica, msg: Message): Output[] {
  return replica.step({ type: 'message', msg: open(c, msg) as AnyVerified });
}

/** A primary's pre-prepare for `requests` at (view, seq). */
export function prePrepare(c: TestCluster, view: number, seq: number, requests: Message<'request'>[]) {
  const bytes = requests.map((r) => r.bytes);
  const digest = batchDigestWith(sha256, bytes);
  return asReplica(c, view % c.n, 'pre-prepare', { view, seq, digest, requests: bytes });
}

/** Outputs of one type. */
export function ofType<T extends Output['type']>(outs: Output[], type: T): Extract<Output, { type: T }>[] {
  return outs.filter((o): o is Extract<Output, { type: T }> => o.type === type);
}

/** Messages of one kind sent or broadcast in `outs`. */
export function sent<K extends Kind>(outs: Output[], kind: K): Message<K>[] {
  const out: Message<K>[] = [];
  for (const o of outs)
    if ((o.type === 'send' || o.type === 'broadcast') && o.msg.kind === kind) out.push(o.msg as Message<K>);
  return out;
}

/** Ticks a replica `count` times and returns all outputs. */
export function tick(replica: PbftReplica, count: number): Output[] {
  const out: Output[] = [];
  for (let i = 0; i < count; i++) out.push(...replica.step({ type: 'tick' }));
  return out;
}
