/**
 * The crash-point test: one replica crashes right after every step that wrote to its store (half
 * the time before that step's messages left), restarting from the store alone on its next tick.
 * Hundreds of crash points must leave no violation: nothing it signs conflicts with what it signed
 * before a crash, nothing it executed is lost, and every client request completes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation, type SimResult } from '../../src/sim/index.js';

/** Asserts a clean run with every request done and at least `points` crash points at `replica`. */
function assertSurvived(r: SimResult, replica: number, requests: number, points: number): void {
  assert.deepEqual(r.violations, [], r.violations.slice(0, 5).join('\n'));
  assert.equal(r.committedRequests, requests);
  assert.ok(r.crashPoints >= points, `${r.crashPoints} crash points`);
  assert.equal(r.crashes, r.crashPoints, 'every crash was a crash point');
  assert.equal(r.restarts, r.crashes, 'every crash was followed by a restart');
  assert.equal(r.refusedOnRestart, 0, 'the store never gave back an envelope the boundary refuses');
  const me = r.replicas[replica]!;
  assert.equal(me.crashes, r.crashes);
  assert.ok(
    r.replicas.every((x) => x.digest === me.digest && x.lastExecuted === me.lastExecuted),
    'the crashing replica ends with the same ledger as the others',
  );
}

describe('crash points', () => {
  it('a backup crashing after every write: at least 200 crash points, no violation', () => {
    // K = 4: checkpoints, pruning and state transfers happen often between the crashes.
    const r = runSimulation({ seed: 21, crashEveryWrite: 3, configOverrides: { checkpointInterval: 4 } });
    assertSurvived(r, 3, 200, 200);
    assert.ok(r.replicas[3]!.stateTransfers > 0, 'it also caught up by state transfer');
  });

  it('the primary crashing after every write: at least 200 crash points, no violation', () => {
    // Two clients, no pause: the primary proposes one batch after another; short retransmit and
    // fetch timers let a primary that lost its collected votes finish each slot quickly.
    const r = runSimulation({
      seed: 22,
      crashEveryWrite: 0,
      clients: 2,
      requests: 240,
      thinkMs: 0,
      faultPhaseMs: 30_000,
      configOverrides: { retransmitTicks: 5, fetchTicks: 8 },
    });
    assertSurvived(r, 0, 240, 200);
  });
});
