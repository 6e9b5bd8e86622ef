/**
 * Persist-before-send for the crash-fault runtime: the output pipeline with the crash-fault barrier
 * rule, fed by the real core. A vote, an acknowledgement and a leader's append-entries wait until
 * the term, vote and entries they depend on are durable; a leader's reply to a client (its group
 * holds only a commit-index change) does not wait for a sync. The store is the reference memory
 * store behind a gate the test opens, so "not yet durable" is a state the test controls.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CftOutput, CftPersistRecord } from '../../src/core/cft/types.js';
import { cftBarrier } from '../../src/node/cft-barrier.js';
import { type GroupStore, OutputPipeline } from '../../src/node/output-pipeline.js';
import { CftMemoryStore } from '../../src/storage/cft-memory-store.js';
import { deliver, elect, makeCftCluster, makeCftReplica, request, submit } from '../support/cft-cluster.js';

/** The memory store behind a gate: appends complete only when the test releases them. */
class GatedStore implements GroupStore<CftPersistRecord> {
  /** The durable state. */
  readonly durable = new CftMemoryStore();
  /** Appends waiting for the gate, in order. */
  private readonly waiting: (() => void)[] = [];

  append(records: readonly CftPersistRecord[]): Promise<void> {
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.durable.appendSync(records);
        resolve();
      }),
    );
  }

  /** Makes every waiting append durable. */
  release(): void {
    for (const done of this.waiting.splice(0)) done();
  }

  /** Appends not yet durable. */
  get pending(): number {
    return this.waiting.length;
  }
}

/** Turns until queued work settles as far as it can (setImmediate flushes, promise chains). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** A pipeline on a gated store; `sent` lists the kinds that left, in order. */
function pipelineFor(start: { term: number; votedFor: number | undefined }) {
  const store = new GatedStore();
  const sent: string[] = [];
  const pipeline = new OutputPipeline<CftPersistRecord>(
    store,
    (err) => assert.fail(String(err)),
    undefined,
    cftBarrier(start),
  );
  const carry = (outs: CftOutput[]) => {
    for (const o of outs) {
      if (o.type === 'persist') pipeline.persist(o.record);
      else if (o.type === 'send' || o.type === 'broadcast' || o.type === 'reply')
        pipeline.send(() => sent.push(o.msg.kind));
    }
  };
  return { store, sent, pipeline, carry };
}

describe('crash-fault persist-before-send', () => {
  const c = makeCftCluster(3);

  test('a vote leaves only once the vote (and the term it is in) is durable', async () => {
    const h = makeCftReplica(c, 0);
    const p = pipelineFor({ term: 0, votedFor: undefined });
    p.carry(deliver(c, h, 1, 'request-vote', { term: 1, lastIndex: 0, lastTerm: 0 }));
    await settle();
    assert.deepEqual(p.sent, [], 'held back');
    assert.equal(p.store.pending, 1);
    p.store.release();
    await settle();
    assert.deepEqual(p.sent, ['vote']);
    assert.deepEqual(
      { term: p.store.durable.loadSync().term, votedFor: p.store.durable.loadSync().votedFor },
      { term: 1, votedFor: 1 },
    );
  });

  test("a follower's acknowledgement waits for the entries it acknowledges", async () => {
    const h = makeCftReplica(c, 0);
    const p = pipelineFor({ term: 0, votedFor: undefined });
    const entries = [{ term: 1, requests: [request(c, 0, 1).bytes] }];
    p.carry(
      deliver(c, h, 1, 'append-entries', { term: 1, prevIndex: 0, prevTerm: 0, leaderCommit: 0, entries }),
    );
    await settle();
    assert.deepEqual(p.sent, []);
    p.store.release();
    await settle();
    assert.deepEqual(p.sent, ['append-ack']);
    assert.equal(p.store.durable.loadSync().entries.length, 1);
  });

  test("a leader's entries are durable before it sends them; its reply does not wait for the commit's sync", async () => {
    const h = makeCftReplica(c, 0);
    elect(c, h);
    const term = h.replica.term;
    // The new leader's no-op commits first (until then it batches requests instead of proposing).
    deliver(c, h, 1, 'append-ack', { term, success: true, index: 1 });
    assert.equal(h.replica.commitIndex, 1);
    const p = pipelineFor({ term, votedFor: 0 });
    p.carry(submit(c, h, request(c, 1, 1)));
    await settle();
    assert.deepEqual(p.sent, [], 'append-entries held back until the entry is durable');
    p.store.release();
    await settle();
    assert.deepEqual(p.sent, ['append-entries', 'append-entries']);
    // A follower acknowledges: the entry commits, the leader applies it and replies.
    const outs = deliver(c, h, 1, 'append-ack', { term, success: true, index: h.replica.lastIndex });
    assert.ok(outs.some((o) => o.type === 'persist' && o.record.type === 'hard-state'));
    p.carry(outs);
    await settle();
    assert.equal(p.store.pending, 1, 'the commit index is not durable yet');
    assert.deepEqual(p.sent.slice(2), ['cft-reply'], 'the reply left anyway');
    p.store.release();
    await p.pipeline.settled();
  });
});
