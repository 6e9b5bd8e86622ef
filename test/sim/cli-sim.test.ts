/** `bftledger sim` end to end: the summary line, exit codes, usage errors, and the replay command. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { replayCommand } from '../../src/cli/sim.js';

/** The compiled CLI entry (this file runs from dist/test/sim/). */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs the CLI with `args`. */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bftledger sim', () => {
  it('prints a summary line and exits 0 on a clean campaign', () => {
    const r = cli('sim', '--seeds', '2', '--seed', '10', '--requests', '20', '--loss', '0.05');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout.trim(),
      /^seeds=2 replicas=4 committed=40 violations=0 failing-seeds=0 wall=\d+\.\ds sim-rate=\d+ req\/s$/,
    );
    assert.equal(r.stderr, '', 'no progress output when stderr is not a terminal');
  });

  it('prints one JSON report with --json', () => {
    const r = cli('sim', '--seeds', '1', '--requests', '8', '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      seeds: number;
      committed: number;
      violations: number;
      failingSeeds: unknown[];
    };
    assert.equal(doc.seeds, 1);
    assert.equal(doc.committed, 8);
    assert.equal(doc.violations, 0);
    assert.deepEqual(doc.failingSeeds, []);
  });

  it('exits 2 with a clear message on bad usage', () => {
    const cases: [string[], RegExp][] = [
      [['sim', '--replicas', '3'], /--replicas/],
      [['sim', '--loss', '0.5'], /--loss/],
      [['sim', '--dup', 'x'], /--dup/],
      [['sim', '--crypto', 'rsa'], /--crypto/],
      [['sim', '--min-delay', '9', '--max-delay', '2'], /--max-delay/],
      [['sim', '--no-such-option'], /unknown option/],
      [['no-such-command'], /unknown command/],
    ];
    for (const [args, pattern] of cases) {
      const r = cli(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    }
  });

  it('builds a replay command with every non-default option', () => {
    const options = {
      seeds: 300,
      seed: 1,
      replicas: 7,
      clients: 4,
      requests: 200,
      loss: 0.05,
      dup: 0,
      reorder: 0.1,
      minDelay: 1,
      maxDelay: 5,
      clientTimeout: 200,
      maxTime: 120_000,
      crypto: 'ed25519' as const,
      checkpointInterval: 8,
      crash: false,
      partition: false,
      faultPhase: 20_000,
      livenessBound: 30_000,
      byzantine: 0,
      behaviours: '',
      json: true,
    };
    assert.equal(
      replayCommand(options, 1234),
      'bftledger sim --seeds 1 --seed 1234 --replicas 7 --loss 0.05 --reorder 0.1 --crypto ed25519 --checkpoint-interval 8',
    );
    const faulty = { ...options, crash: true, partition: true, faultPhase: 5000, livenessBound: 9000 };
    assert.equal(
      replayCommand(faulty, 7),
      'bftledger sim --seeds 1 --seed 7 --replicas 7 --loss 0.05 --reorder 0.1 --crypto ed25519 --checkpoint-interval 8 ' +
        '--crash --partition --fault-phase 5000 --liveness-bound 9000',
    );
    assert.match(
      replayCommand({ ...faulty, byzantine: 1, behaviours: 'equivocate' }, 7),
      /--byzantine 1 --behaviours equivocate$/,
    );
  });

  it('runs a campaign with crashes and partitions and reports the fault figures', () => {
    const r = cli(
      'sim',
      '--seeds',
      '1',
      '--seed',
      '3',
      '--requests',
      '12',
      '--crash',
      '--partition',
      '--fault-phase',
      '3000',
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout.trim(),
      /^seeds=1 replicas=4 committed=12 violations=0 failing-seeds=0 wall=\d+\.\ds sim-rate=\d+ req\/s crashes=\d+ restarts=\d+ partitions=\d+ view-changes=\d+ state-transfers=\d+ liveness-passed=1\/1 converged=[01]\/1$/,
    );
  });
});
