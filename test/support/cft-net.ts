/**
 * A few crash-fault replicas wired together in memory for storage and recovery tests: every message
 * a core sends is sealed and opened through the real crash-fault boundary and delivered in FIFO
 * order; a replica can be cut off (its traffic dropped both ways); each replica's persist records
 * are kept per step, as the groups a runtime would make durable. Deterministic: no clock, seeded
 * election timeouts.
 */
import assert from 'node:assert/strict';
import type { CftConfig, CftInput, CftOutput, CftPersistRecord } from '../../src/core/cft/types.js';
import { openCftFrame, sealCft } from '../../src/messages/cft-boundary.js';
import type { CftMessage } from '../../src/messages/cft-types.js';
import type { Message } from '../../src/messages/types.js';
import { type Harness, makeCftCluster, makeCftReplica, request as makeRequest } from './cft-cluster.js';

/** A message on its way. */
interface InFlight {
  readonly from: number;
  readonly to: number;
  readonly msg: CftMessage;
}

/** Crash-fault replicas connected in memory. */
export class CftTestNet {
  /** The cluster's keys and boundary context. */
  readonly c: ReturnType<typeof makeCftCluster>;
  /** The replicas by id. */
  readonly nodes: Harness[];
  /** Persist records per replica, one group per step that persisted anything. */
  readonly groups: CftPersistRecord[][][];
  /** Replicas cut off from every other. */
  readonly cut = new Set<number>();
  /** Messages sent and not yet delivered. */
  private readonly queue: InFlight[] = [];
  /** Next request timestamp per client. */
  private readonly timestamps: number[];

  constructor(n: number, overrides: Partial<CftConfig> = {}) {
    this.c = makeCftCluster(n);
    this.nodes = Array.from({ length: n }, (_, id) => makeCftReplica(this.c, id, overrides, 100 + id));
    this.groups = this.nodes.map(() => []);
    this.timestamps = this.c.clients.map(() => 1);
  }

  /** Steps replica `id`, keeps its persist group, and queues what it sends. */
  step(id: number, input: CftInput): CftOutput[] {
    const outs = this.nodes[id]!.step(input);
    const group = outs.flatMap((o) => (o.type === 'persist' ? [o.record] : []));
    if (group.length > 0) this.groups[id]!.push(group);
    for (const o of outs) {
      if (o.type === 'send') this.queue.push({ from: id, to: o.to, msg: o.msg });
      if (o.type === 'broadcast')
        for (let to = 0; to < this.nodes.length; to++)
          if (to !== id) this.queue.push({ from: id, to, msg: o.msg });
    }
    return outs;
  }

  /** Delivers queued messages (and what they cause) until none is left; cut-off traffic is dropped. */
  run(): void {
    for (let steps = 0; this.queue.length > 0; steps++) {
      assert.ok(steps < 100_000, 'the replicas went quiet');
      const m = this.queue.shift()!;
      if (this.cut.has(m.from) || this.cut.has(m.to)) continue;
      const opened = openCftFrame(sealCft(this.c.cluster, m.msg), this.c.cft, {
        role: 'replica',
        id: m.from,
      });
      assert.ok(opened.ok && opened.value.type === 'protocol', 'the boundary accepts a core message');
      this.step(m.to, { type: 'message', msg: opened.value.msg });
    }
  }

  /** Ticks replica `id` until it stands for election, then lets the votes travel. */
  elect(id: number): void {
    const h = this.nodes[id]!;
    for (let i = 0; i < 1000 && h.replica.role === 'follower'; i++) this.step(id, { type: 'tick' });
    this.run();
  }

  /** Ticks replica `id` `count` times, delivering after each tick. */
  tick(id: number, count: number): void {
    for (let i = 0; i < count; i++) {
      this.step(id, { type: 'tick' });
      this.run();
    }
  }

  /** A fresh transfer request of `client`, submitted to replica `id` through the boundary. */
  submit(id: number, client: number): Message<'request'> {
    const req = this.request(client);
    const opened = openCftFrame(req.bytes, this.c.cft, { role: 'client', id: client });
    assert.ok(opened.ok && opened.value.type === 'request');
    this.step(id, { type: 'request', request: opened.value.request });
    this.run();
    return req;
  }

  /** A fresh transfer of 1 from `client` to the next client. */
  request(client: number): Message<'request'> {
    const to = `client-${(client + 1) % this.c.clients.length}`;
    const ts = this.timestamps[client]!++;
    return makeRequest(this.c, client, ts, to);
  }
}

/**
 * A run seen from replica 1 of 3 (snapshot every 4 entries) that makes it persist every kind of
 * record: it leads and compacts; cut off with three uncommitted entries, it loses the leadership and
 * has that suffix truncated by the next leader (which replaces only two of them); cut off again, it falls behind the leader's snapshot and
 * installs it; finally it leads again. Returns the network (replica 1's groups are in `groups[1]`).
 */
export function recordedCftRun(): CftTestNet {
  const net = new CftTestNet(3, { maxBatch: 2, maxInflight: 3 });
  net.elect(1);
  assert.equal(net.nodes[1]!.replica.role, 'leader', 'replica 1 leads');
  for (let i = 0; i < 10; i++) net.submit(1, i % 3);
  net.cut.add(1);
  // Five requests make three uncommitted entries (one at once, then full batches of two).
  const before = net.nodes[1]!.replica.lastIndex;
  for (let i = 0; i < 5; i++) net.submit(1, i % 3);
  assert.equal(net.nodes[1]!.replica.lastIndex, before + 3);
  net.elect(0);
  assert.equal(net.nodes[0]!.replica.role, 'leader', 'replica 0 leads without replica 1');
  net.submit(0, 1);
  net.cut.delete(1);
  net.tick(0, 2);
  net.cut.add(1);
  for (let i = 0; i < 12; i++) net.submit(0, i % 3);
  net.cut.delete(1);
  // The leader resends a snapshot at most once per minimum election timeout (5 ticks here).
  net.tick(0, 8);
  assert.equal(net.nodes[1]!.replica.commitIndex, net.nodes[0]!.replica.commitIndex, 'replica 1 caught up');
  net.elect(1);
  assert.equal(net.nodes[1]!.replica.role, 'leader', 'replica 1 leads again');
  for (let i = 0; i < 9; i++) net.submit(1, i % 3);
  return net;
}
