/**
 * Scripted fault scenarios, each a situation the view change, state transfer and durable storage
 * must survive. Every run must be free of violations AND show the specific outcome the scenario is
 * about (a view installed, a digest re-proposed, a liar skipped, a slot applied once...), observed
 * through the run's result and its output tap. One scenario also reads a subclass's view of its own
 * log, only to prove that the situation it is about really arose.
 *
 * The `todo` test is a situation the core does not handle yet: a replica that started a view change
 * alone keeps it (Castro & Liskov's rules: a VIEW-CHANGE cannot be withdrawn safely) and rejoins at
 * the next view change; it turns into a regression test once a safe rejoin exists.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PbftReplica } from '../../src/core/pbft/replica.js';
import type { Output, RecoveredState } from '../../src/core/pbft/types.js';
import { toHex } from '../../src/crypto/hex.js';
import { seal } from '../../src/messages/envelope.js';
import type { Message, VerifiedMessage } from '../../src/messages/types.js';
import { type FaultEvent, type ReplicaFactory, runSimulation, type SimResult } from '../../src/sim/index.js';

/** A replica that is honest except that every snapshot chunk it serves is corrupted (and re-signed). */
class SnapshotLiar extends PbftReplica {
  protected override emit(output: Output): void {
    if (output.type !== 'send' || output.msg.kind !== 'state-chunk' || output.msg.sender !== this.config.id) {
      super.emit(output);
      return;
    }
    const body = (output.msg as Message<'state-chunk'>).body;
    const data = body.data.length > 0 ? body.data.slice() : new Uint8Array(1);
    data[0] = (data[0] ?? 0) ^ 0xff;
    const msg = seal(this.deps.signer, this.config.cluster, 'state-chunk', this.config.id, { ...body, data });
    super.emit({ type: 'send', to: output.to, msg });
  }
}

/** Asserts a clean run, showing the violations otherwise. */
function assertClean(r: SimResult): void {
  assert.deepEqual(r.violations, [], `seed ${r.seed}: ${r.violations.slice(0, 5).join('\n')}`);
}

/** An honest replica: new, or recovered after a crash. */
function honest(...[config, deps, recovered]: Parameters<ReplicaFactory>): PbftReplica {
  return recovered ? PbftReplica.recover(config, deps, recovered) : new PbftReplica(config, deps);
}

/** One `executed` output as the tap saw it. */
interface Execution {
  /** The replica. */
  readonly replica: number;
  /** Its seq. */
  readonly seq: number;
  /** The view it committed in. */
  readonly view: number;
  /** Batch digest, hex. */
  readonly digest: string;
  /** Virtual time, ms. */
  readonly atMs: number;
}

/** A pre-prepare a replica signed (persisted before it could be sent). */
interface Proposal {
  /** The signer. */
  readonly replica: number;
  /** Its view. */
  readonly view: number;
  /** Its seq. */
  readonly seq: number;
  /** Batch digest, hex. */
  readonly digest: string;
}

/** Records executions and signed pre-prepares through the output tap. */
class Tap {
  /** Every execution. */
  readonly executions: Execution[] = [];
  /** Every pre-prepare signed. */
  readonly proposals: Proposal[] = [];
  /** The tap to pass as `onOutput`. */
  readonly onOutput = (replica: number, out: Output, atMs: number): void => {
    if (out.type === 'executed') {
      const { seq, view } = out;
      this.executions.push({ replica, seq, view, digest: toHex(out.digest), atMs });
    } else if (
      out.type === 'persist' &&
      out.record.type === 'signed' &&
      out.record.msg.kind === 'pre-prepare'
    ) {
      const body = (out.record.msg as VerifiedMessage<'pre-prepare'>).body;
      this.proposals.push({ replica, view: body.view, seq: body.seq, digest: toHex(body.digest) });
    }
  };
}

describe('fault scenarios', () => {
  it('the primary crashes under load: a view change installs, every client request completes', () => {
    const schedule: FaultEvent[] = [{ atMs: 400, type: 'crash', replicas: [0] }];
    const r = runSimulation({ seed: 11, requests: 80, thinkMs: 60, faultPhaseMs: 5000, schedule });
    assertClean(r);
    assert.ok(r.maxView >= 1, `max view ${r.maxView}`);
    assert.ok(r.newViews >= 3, 'the three live replicas installed the new view');
    assert.equal(r.committedRequests, 80);
    assert.equal(r.crashes, 1);
    assert.equal(r.restarts, 1, 'the old primary was restarted at the end of the fault phase');
    assert.ok(r.converged, 'the restarted old primary joined the new view');
    assert.ok(r.livenessPassed);
  });

  it(
    'a request committed at 2f+1 replicas survives two consecutive view changes in which the next ' +
      'primary was cut off from those replicas (the committed digest is re-proposed, never replaced)',
    () => {
      const tap = new Tap();
      const schedule: FaultEvent[] = [
        // View 0: replicas 1 and 2, the primaries of views 1 and 2, hear nothing; the rest commit.
        { atMs: 0, type: 'isolate', id: 'next-primaries', replicas: [1, 2] },
        // View 1: the primary 0 crashes; 1 comes back and must build the new view from the VIEW-CHANGEs.
        { atMs: 400, type: 'crash', replicas: [0] },
        { atMs: 400, type: 'heal', id: 'next-primaries' },
        { atMs: 400, type: 'isolate', id: 'third-primary', replicas: [2] },
        // View 2: the primary 1 crashes; 2 comes back and must do it again.
        { atMs: 3500, type: 'crash', replicas: [1] },
        { atMs: 3500, type: 'heal', id: 'third-primary' },
        { atMs: 3500, type: 'restart', replicas: [0] },
        { atMs: 6000, type: 'restart', replicas: [1] },
      ];
      const r = runSimulation({
        seed: 1,
        replicas: 7,
        clients: 2,
        requests: 40,
        thinkMs: 400,
        faultPhaseMs: 8000,
        drainMs: 2000,
        // No checkpoint becomes stable, so the slot stays in every VIEW-CHANGE's certificates.
        configOverrides: { checkpointInterval: 64 },
        schedule,
        onOutput: tap.onOutput,
      });
      assertClean(r);
      assert.ok(r.maxView >= 2, `max view ${r.maxView}`);
      assert.equal(r.committedRequests, 40);
      assert.ok(r.converged, 'all seven replicas end in one view');
      const first = tap.executions.filter((e) => e.seq === 1);
      const inView0 = first.filter((e) => e.view === 0).map((e) => e.replica);
      assert.deepEqual(
        [...inView0].sort(),
        [0, 3, 4, 5, 6],
        'seq 1 committed in view 0 at exactly the 2f + 1 that could talk',
      );
      const committed = first[0]!.digest;
      assert.ok(
        first.every((e) => e.digest === committed),
        'every replica executed the same digest at seq 1',
      );
      assert.deepEqual(new Set(first.map((e) => e.replica)), new Set([0, 1, 2, 3, 4, 5, 6]));
      for (const [primary, view] of [
        [1, 1],
        [2, 2],
      ] as const) {
        const proposed = tap.proposals.filter((p) => p.replica === primary && p.view === view && p.seq === 1);
        assert.equal(proposed.length > 0, true, `replica ${primary} re-proposed seq 1 in view ${view}`);
        assert.ok(
          proposed.every((p) => p.digest === committed),
          `view ${view} kept the digest`,
        );
      }
    },
  );

  it(
    'staggered partitions during a view change, then healing: all correct replicas reach the same ' +
      'view and commit (no view-change deadlock)',
    () => {
      const faultPhaseMs = 8000;
      const schedule: FaultEvent[] = [
        // The primary is cut off: the backups change view.
        { atMs: 300, type: 'isolate', id: 'primary', replicas: [0] },
        // While they do, the new primary cannot reach the others (one-way)...
        { atMs: 1400, type: 'partition', id: 'a', groups: [[1], [2, 3]], oneWay: true },
        // ...then replica 2 is cut off both ways, and the first cut heals.
        { atMs: 2200, type: 'partition', id: 'b', groups: [[2], [1, 3]] },
        { atMs: 3000, type: 'heal', id: 'a' },
        { atMs: 4000, type: 'heal', id: 'b' },
        // The primary of view 1 goes mute; the old primary comes back; a second view change runs.
        { atMs: 4600, type: 'partition', id: 'c', groups: [[1], [0, 2, 3]], oneWay: true },
        { atMs: 5000, type: 'heal', id: 'primary' },
        { atMs: 6500, type: 'heal', id: 'c' },
      ];
      for (const seed of [3, 4, 5]) {
        const tap = new Tap();
        const r = runSimulation({
          seed,
          requests: 60,
          thinkMs: 200,
          faultPhaseMs,
          drainMs: 1500,
          schedule,
          onOutput: tap.onOutput,
        });
        assertClean(r);
        assert.equal(r.committedRequests, 60);
        assert.ok(r.maxView >= 2, `seed ${seed}: max view ${r.maxView}`);
        const views = r.replicas.map((x) => x.view);
        assert.equal(new Set(views).size, 1, `seed ${seed}: final views ${JSON.stringify(views)}`);
        assert.ok(r.converged, `seed ${seed}: no replica is left changing view`);
        const last = new Set(r.replicas.map((x) => x.lastExecuted));
        assert.equal(last.size, 1, `seed ${seed}: every replica executed up to the same seq`);
        for (let replica = 0; replica < 4; replica++) {
          const after = tap.executions.filter((e) => e.replica === replica && e.atMs > faultPhaseMs);
          assert.ok(after.length > 0, `seed ${seed}: replica ${replica} executed new requests after healing`);
        }
      }
    },
  );

  it('a backup cut off both ways while the others change view learns the new view after healing', () => {
    const r = runSimulation({
      seed: 3,
      requests: 60,
      thinkMs: 200,
      faultPhaseMs: 8000,
      drainMs: 5000,
      schedule: [
        { atMs: 300, type: 'isolate', id: 'primary', replicas: [0] },
        { atMs: 1400, type: 'partition', id: 'a', groups: [[1], [2, 3]], oneWay: true },
        { atMs: 2200, type: 'partition', id: 'b', groups: [[2], [1, 3]] },
        { atMs: 3000, type: 'heal', id: 'a' },
        { atMs: 4000, type: 'heal', id: 'b' },
        // Symmetric this time: the primary of view 1 hears nothing of the change to view 2.
        { atMs: 4600, type: 'partition', id: 'c', groups: [[1], [0, 2, 3]] },
        { atMs: 5000, type: 'heal', id: 'primary' },
        { atMs: 6500, type: 'heal', id: 'c' },
      ],
    });
    assertClean(r);
    const views = r.replicas.map((x) => x.view);
    assert.equal(new Set(views).size, 1, JSON.stringify(views));
  });

  it(
    'a backup that lagged behind several checkpoints catches up by state transfer, and a peer that ' +
      'serves a wrong snapshot is detected and skipped',
    () => {
      const liar = 0;
      const lagging = 3;
      const factory: ReplicaFactory = (config, deps, recovered) =>
        config.id === liar ? new SnapshotLiar(config, deps) : honest(config, deps, recovered);
      const r = runSimulation({
        seed: 1,
        requests: 120,
        thinkMs: 40,
        faultPhaseMs: 4000,
        drainMs: 500,
        faulty: [liar],
        configOverrides: { checkpointInterval: 4 },
        replicaFactory: factory,
        schedule: [
          { atMs: 100, type: 'isolate', id: 'lag', replicas: [lagging] },
          { atMs: 2500, type: 'heal', id: 'lag' },
        ],
      });
      assertClean(r);
      assert.equal(r.committedRequests, 120);
      const behind = r.replicas[lagging]!;
      assert.ok(behind.stateTransfers >= 1, 'the lagging replica installed a snapshot');
      assert.ok(
        r.badPeers.some((b) => b.replica === lagging && b.peer === liar),
        `bad peers: ${JSON.stringify(r.badPeers)}`,
      );
      assert.ok(
        r.replicas.every((x) => x.digest === behind.digest && x.lastExecuted === behind.lastExecuted),
      );
      assert.equal(behind.applied + behind.heldByTransfer, 120, 'every request reached it exactly once');
    },
  );

  it('the same sequence number arriving by the commit path and by state transfer is applied exactly once', () => {
    const overlaps: { readonly to: number; readonly committed: readonly number[] }[] = [];
    const replica = 3;
    const missed = 6;
    /** Never receives the pre-prepare for seq 6 (as if every copy were lost); records its transfers. */
    class MissesOnePrePrepare extends PbftReplica {
      protected override onPrePrepare(msg: VerifiedMessage<'pre-prepare'>): void {
        if (msg.body.seq !== missed) super.onPrePrepare(msg);
      }
      protected override onStateChunk(msg: VerifiedMessage<'state-chunk'>): void {
        const to = this.fetch?.target.seq ?? 0;
        const before = this.executed;
        const committed = [...this.slots.values()]
          .filter((s) => s.committed && s.seq > before && s.seq <= to)
          .map((s) => s.seq);
        super.onStateChunk(msg);
        if (this.executed !== before) overlaps.push({ to, committed });
      }
    }
    const r = runSimulation({
      seed: 2,
      requests: 80,
      drainMs: 500,
      configOverrides: { checkpointInterval: 4 },
      replicaFactory: (config, deps, recovered?: RecoveredState) =>
        config.id === replica ? new MissesOnePrePrepare(config, deps) : honest(config, deps, recovered),
    });
    assertClean(r);
    assert.equal(r.committedRequests, 80);
    assert.ok(
      overlaps.some((o) => o.committed.length > 0),
      `a transfer covered slots the replica had committed: ${JSON.stringify(overlaps)}`,
    );
    const x = r.replicas[replica]!;
    assert.ok(x.stateTransfers >= 1);
    assert.ok(x.heldByTransfer > 0 && x.applied > 0);
    assert.equal(
      x.applied + x.heldByTransfer,
      80,
      'each request applied once: by execution or by the snapshot',
    );
    assert.ok(r.replicas.every((y) => y.digest === x.digest));
  });

  it('a backup that timed out alone into a higher view rejoins the others after healing', {
    todo:
      'core: a replica that started a view change alone (no f + 1 support) stays in view-change mode ' +
      'for that view after healing, as long as the current primary works; it rejoins only at the next ' +
      'view change (see the final report)',
  }, () => {
    const r = runSimulation({
      seed: 9,
      requests: 60,
      thinkMs: 200,
      faultPhaseMs: 8000,
      drainMs: 1500,
      schedule: [
        { atMs: 300, type: 'isolate', id: 'primary', replicas: [0] },
        { atMs: 1400, type: 'partition', id: 'a', groups: [[1], [2, 3]], oneWay: true },
        { atMs: 2200, type: 'partition', id: 'b', groups: [[2], [1, 3]] },
        { atMs: 3000, type: 'heal', id: 'a' },
        // Replica 3 hears everyone but nobody hears it: nobody can progress, and it times out alone.
        { atMs: 3800, type: 'partition', id: 'c', groups: [[3], [1, 2]], oneWay: true },
        { atMs: 4600, type: 'heal', id: 'b' },
        { atMs: 5400, type: 'heal', id: 'c' },
        { atMs: 6000, type: 'heal', id: 'primary' },
      ],
    });
    assertClean(r);
    assert.equal(
      new Set(r.replicas.map((x) => x.view)).size,
      1,
      JSON.stringify(r.replicas.map((x) => x.view)),
    );
  });

  it('a fault-free run across many checkpoint boundaries performs zero view changes', () => {
    const k = 8;
    const r = runSimulation({ seed: 5, requests: 600, configOverrides: { checkpointInterval: k } });
    assertClean(r);
    assert.equal(r.committedRequests, 600);
    assert.equal(r.viewChanges, 0);
    assert.equal(r.newViews, 0);
    assert.equal(r.maxView, 0);
    assert.ok(
      r.executedBatches > 20 * k,
      `executed ${r.executedBatches} seqs, ${Math.floor(r.executedBatches / k)} checkpoints`,
    );
    assert.equal(r.crashes + r.partitions, 0);
  });
});
