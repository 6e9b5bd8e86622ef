/**
 * Step-test helpers for the crash-fault core: a replica with its own ledger, a seeded Rng and a
 * memory store that every step's persist records go to (so a test can restart it from disk), and
 * messages sealed as a given replica or client and opened through the real crash-fault boundary.
 */
import assert from 'node:assert/strict';
import { cftConfig } from '../../src/core/cft/index.js';
import { CftReplica } from '../../src/core/cft/replica.js';
import type { CftConfig, CftInput, CftOutput, LogEntry } from '../../src/core/cft/types.js';
import { seededRng } from '../../src/core/prng.js';
import { sha256 } from '../../src/crypto/hash.js';
import { LedgerStateMachine } from '../../src/ledger/state-machine.js';
import { type CftBoundaryContext, openCftFrame, sealCft } from '../../src/messages/cft-boundary.js';
import type { CftMessage } from '../../src/messages/cft-types.js';
import type { CftBodyOf, CftKind } from '../../src/messages/schema.js';
import type { Message } from '../../src/messages/types.js';
import { CftMemoryStore } from '../../src/storage/cft-memory-store.js';
import { makeCluster, request, type TestCluster } from './cluster.js';

export { request };

/** A test cluster of `n` crash-fault replicas and three clients. */
export function makeCftCluster(n: number): TestCluster & { readonly cft: CftBoundaryContext } {
  const c = makeCluster(n);
  return { ...c, cft: { cluster: c.cluster, principals: c.ctx.principals } };
}

/** Small timeouts for step tests: heartbeat 2, elections after 5-8 ticks, a snapshot every 4 entries. */
export const TEST_OVERRIDES: Partial<CftConfig> = {
  heartbeatTicks: 2,
  electionTimeoutMinTicks: 5,
  electionTimeoutMaxTicks: 8,
  snapshotInterval: 4,
  maxBatch: 4,
  maxInflight: 2,
};

/** A replica under test: the core, its ledger and its disk. */
export interface Harness {
  replica: CftReplica;
  sm: LedgerStateMachine;
  readonly store: CftMemoryStore;
  readonly config: CftConfig;
  /** Steps the replica, persisting the step's records, and returns its outputs. */
  step(input: CftInput): CftOutput[];
  /** Crashes it and restarts it from its store alone (a fresh ledger). */
  restart(): void;
}

/** A replica `id` of cluster `c` with a memory store. */
export function makeCftReplica(
  c: TestCluster,
  id: number,
  overrides: Partial<CftConfig> = {},
  seed = 1,
): Harness {
  const config = cftConfig(c.n, id, c.cluster, { ...TEST_OVERRIDES, ...overrides });
  const store = new CftMemoryStore();
  const fresh = () => new LedgerStateMachine(c.genesis, sha256);
  const sm = fresh();
  const h: Harness = {
    replica: new CftReplica(config, { stateMachine: sm, rng: seededRng(seed) }),
    sm,
    store,
    config,
    step(input) {
      const outs = h.replica.step(input);
      store.appendSync(outs.flatMap((o) => (o.type === 'persist' ? [o.record] : [])));
      h.replica.assertInvariants();
      return outs;
    },
    restart() {
      h.sm = fresh();
      h.replica = CftReplica.recover(
        config,
        { stateMachine: h.sm, rng: seededRng(seed + 1) },
        store.loadSync(),
      );
      h.replica.assertInvariants();
    },
  };
  return h;
}

/** Delivers a message from replica `from` through the real boundary. */
export function deliver<K extends CftKind>(
  c: TestCluster & { cft: CftBoundaryContext },
  h: Harness,
  from: number,
  kind: K,
  body: CftBodyOf[K],
): CftOutput[] {
  const bytes = sealCft(c.cluster, { kind, sender: from, body } as CftMessage);
  const opened = openCftFrame(bytes, c.cft, { role: 'replica', id: from });
  assert.ok(opened.ok, `boundary refused ${kind}: ${opened.ok ? '' : `${opened.reason} ${opened.detail}`}`);
  assert.ok(opened.value.type === 'protocol');
  return h.step({ type: 'message', msg: opened.value.msg });
}

/** Delivers a client's request through the real boundary. */
export function submit(
  c: TestCluster & { cft: CftBoundaryContext },
  h: Harness,
  req: Message<'request'>,
): CftOutput[] {
  const opened = openCftFrame(req.bytes, c.cft, { role: 'client', id: req.sender });
  assert.ok(opened.ok && opened.value.type === 'request');
  return h.step({ type: 'request', request: opened.value.request });
}

/** Ticks `count` times; all outputs. */
export function tick(h: Harness, count: number): CftOutput[] {
  const out: CftOutput[] = [];
  for (let i = 0; i < count; i++) out.push(...h.step({ type: 'tick' }));
  return out;
}

/** Ticks until the replica stands for election (at most 100 ticks); all outputs. */
export function tickToElection(h: Harness): CftOutput[] {
  const out: CftOutput[] = [];
  for (let i = 0; i < 100 && !out.some((o) => o.type === 'election-started'); i++)
    out.push(...h.step({ type: 'tick' }));
  return out;
}

/** Makes `h` leader of the next term with votes from the lowest other ids; returns the outputs. */
export function elect(c: TestCluster & { cft: CftBoundaryContext }, h: Harness): CftOutput[] {
  const out = tickToElection(h);
  const term = h.replica.term;
  for (let r = 0; r < c.n && h.replica.role !== 'leader'; r++) {
    if (r !== h.config.id) out.push(...deliver(c, h, r, 'vote', { term, granted: true }));
  }
  assert.equal(h.replica.role, 'leader');
  return out;
}

/** Outputs of one type. */
export function ofType<T extends CftOutput['type']>(
  outs: CftOutput[],
  type: T,
): Extract<CftOutput, { type: T }>[] {
  return outs.filter((o): o is Extract<CftOutput, { type: T }> => o.type === type);
}

/** Messages of one kind sent or broadcast in `outs`, with their destination (-1: broadcast). */
export function sent<K extends CftKind>(outs: CftOutput[], kind: K): (CftMessage<K> & { to: number })[] {
  const out: (CftMessage<K> & { to: number })[] = [];
  for (const o of outs) {
    if ((o.type === 'send' || o.type === 'broadcast') && o.msg.kind === kind) {
      out.push({ ...(o.msg as CftMessage<K>), to: o.type === 'send' ? o.to : -1 });
    }
  }
  return out;
}

/** Wire entries for an append-entries: (term, requests) pairs. */
export function wire(
  entries: readonly { term: number; requests?: Message<'request'>[] }[],
): CftBodyOf['append-entries']['entries'] {
  return entries.map((e) => ({ term: e.term, requests: (e.requests ?? []).map((r) => r.bytes) }));
}

/** Index of the first output matching, or -1. */
export function indexOf(outs: CftOutput[], match: (o: CftOutput) => boolean): number {
  return outs.findIndex(match);
}

/** The log entries appended by persist records in `outs`. */
export function appended(outs: CftOutput[]): LogEntry[] {
  return outs.flatMap((o) =>
    o.type === 'persist' && o.record.type === 'append' ? [...o.record.entries] : [],
  );
}
