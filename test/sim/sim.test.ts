/**
 * Simulation campaigns against the real PBFT core: a reliable network, a lossy, duplicating and
 * reordering one (n = 4 and n = 7), determinism of a seeded run, the replica-factory hook (a
 * replica with a corrupted state machine is caught, and tolerated once declared faulty), Ed25519
 * keys, and option validation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PbftReplica } from '../../src/core/pbft/replica.js';
import type { StateMachine } from '../../src/core/types.js';
import { encodeMint } from '../../src/ledger/ops.js';
import {
  resolveOptions,
  runCampaign,
  runSimulation,
  SimOptionError,
  type SimOptions,
} from '../../src/sim/index.js';

/** The faulty network of the campaign tests. */
const LOSSY = { loss: 0.05, dup: 0.05, reorder: 0.1 } as const;
/** Requests per seed in the campaign (keeps the test well under a minute on a slow machine). */
const CAMPAIGN_REQUESTS = 120;

/** A state machine that executes every request as a mint of 1 to client-0 (a Byzantine ledger). */
function corrupting(inner: StateMachine): StateMachine {
  return {
    execute: (client, timestamp, _op, seq) =>
      inner.execute(client, timestamp, encodeMint('client-0', 1n), seq),
    lastReply: (client) => inner.lastReply(client),
    digest: () => inner.digest(),
    snapshot: () => inner.snapshot(),
    restore: (snapshot, expected) => inner.restore(snapshot, expected),
  };
}

/** Options whose replica 2 runs the honest core over a corrupted ledger. */
function corruptReplica2(extra: Partial<SimOptions> = {}): SimOptions {
  return {
    seed: 3,
    requests: 80,
    replicaFactory: (config, deps) =>
      new PbftReplica(
        config,
        config.id === 2 ? { ...deps, stateMachine: corrupting(deps.stateMachine) } : deps,
      ),
    ...extra,
  };
}

describe('simulation', () => {
  it('a reliable network completes every request with no violation', () => {
    const r = runSimulation({ seed: 1 });
    assert.deepEqual(r.violations, []);
    assert.equal(r.committedRequests, 200);
    assert.ok(r.executedBatches > 0);
    assert.equal(r.dropped.loss, 0);
    assert.equal(r.duplicated, 0);
    // As in the runtime, votes arriving after their phase's quorum are dropped before verification.
    assert.ok((r.ignored['surplus-vote'] ?? 0) > 0, 'surplus votes were skipped');
  });

  it('a lossy, duplicating, reordering network: 20 seeds n = 4, 5 seeds n = 7, all clean and complete', () => {
    const requests = CAMPAIGN_REQUESTS;
    const four = runCampaign(
      { replicas: 4, requests, ...LOSSY },
      Array.from({ length: 20 }, (_, i) => 100 + i),
    );
    assert.deepEqual(four.failing, []);
    assert.equal(four.committedRequests, 20 * requests);
    assert.ok(four.stateTransfers + four.viewChanges > 0, 'recovery paths were exercised');
    const seven = runCampaign({ replicas: 7, requests, ...LOSSY }, [1, 2, 3, 4, 5]);
    assert.deepEqual(seven.failing, []);
    assert.equal(seven.committedRequests, 5 * requests);
    // The faults really happened.
    assert.ok(four.messages > 0 && four.virtualMs > 0);
  });

  it('is deterministic: the same seed twice gives identical results', () => {
    const options: SimOptions = { seed: 77, replicas: 4, requests: 120, ...LOSSY };
    const a = runSimulation(options);
    const b = runSimulation(options);
    assert.deepEqual(a, b);
    assert.equal(a.fingerprint, b.fingerprint);
    assert.ok(a.dropped.loss > 0 && a.duplicated > 0 && a.reordered > 0, 'faults were injected');
    const c = runSimulation({ ...options, seed: 78 });
    assert.notEqual(c.fingerprint, a.fingerprint);
  });

  it('catches a replica whose ledger diverges, and tolerates it once declared faulty', () => {
    const caught = runSimulation(corruptReplica2());
    assert.ok(caught.violations.length > 0);
    assert.ok(
      caught.violations.some((v) => /^(reply|checkpoint|agreement): /.test(v) && v.includes('replica 2')),
      caught.violations.join('\n'),
    );
    const tolerated = runSimulation(corruptReplica2({ faulty: [2], stopOnViolation: false }));
    assert.deepEqual(tolerated.violations, []);
    assert.equal(tolerated.committedRequests, 80);
  });

  it('runs with Ed25519 keys', () => {
    const r = runSimulation({ seed: 5, crypto: 'ed25519', requests: 40, loss: 0.05 });
    assert.deepEqual(r.violations, []);
    assert.equal(r.committedRequests, 40);
  });

  it('reports liveness when the time limit is too short', () => {
    const r = runSimulation({ seed: 1, maxTimeMs: 30 });
    assert.ok(r.violations.length > 0);
    assert.ok(
      r.violations.every((v) => v.startsWith('liveness: ')),
      r.violations.join('\n'),
    );
  });

  it('validates options with clear messages', () => {
    const bad: [Partial<SimOptions>, RegExp][] = [
      [{ replicas: 3 }, /replicas/],
      [{ loss: 0.5 }, /loss/],
      [{ dup: 1 }, /dup/],
      [{ reorder: -0.1 }, /reorder/],
      [{ minDelayMs: 5, maxDelayMs: 2 }, /maxDelayMs/],
      [{ configOverrides: { checkpointInterval: 16, watermarkWindow: 40 } }, /multiple/],
      [{ seed: -1 }, /seed/],
      [{ faulty: [9] }, /faulty/],
    ];
    for (const [options, pattern] of bad) {
      assert.throws(
        () => resolveOptions({ seed: 1, ...options }),
        (e: unknown) => e instanceof SimOptionError && pattern.test(e.message),
        JSON.stringify(options),
      );
    }
    assert.equal(resolveOptions({ seed: 1 }).f, 1);
    assert.equal(resolveOptions({ seed: 1, replicas: 7 }).f, 2);
  });
});
