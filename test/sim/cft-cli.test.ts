/** `bftledger sim --protocol cft` end to end: the summary line, exit codes, refusals, the replay command. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { replayCommand, type SimCliOptions } from '../../src/cli/sim.js';

/** The compiled CLI entry (this file runs from dist/test/sim/). */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs the CLI with `args`. */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bftledger sim --protocol cft', () => {
  it('runs a crash-fault campaign with crashes and partitions and reports elections and snapshot installs', () => {
    const r = cli(
      'sim',
      '--protocol',
      'cft',
      '--seeds',
      '2',
      '--replicas',
      '3',
      '--requests',
      '30',
      '--crash',
      '--partition',
      '--fault-phase',
      '4000',
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout.trim(),
      /^seeds=2 replicas=3 committed=60 violations=0 failing-seeds=0 wall=\d+\.\ds sim-rate=\d+ req\/s crashes=\d+ restarts=\d+ partitions=\d+ elections=\d+ snapshot-installs=\d+ liveness-passed=2\/2 converged=[012]\/2$/,
    );
  });

  it('refuses Byzantine options, unknown protocols and too few replicas with exit code 2', () => {
    const cases: [string[], RegExp][] = [
      [['sim', '--protocol', 'cft', '--byzantine', '1'], /--byzantine .*--protocol pbft.*crash/],
      [['sim', '--protocol', 'cft', '--behaviours', 'silent'], /--protocol pbft/],
      [['sim', '--protocol', 'raft'], /--protocol/],
      [['sim', '--protocol', 'cft', '--replicas', '2'], /--replicas/],
      [['sim', '--replicas', '3'], /--replicas must be at least 4 for pbft/],
    ];
    for (const [args, pattern] of cases) {
      const r = cli(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    }
  });

  it('replays a crash-fault seed with --protocol cft, and a PBFT seed without it', () => {
    const options: SimCliOptions = {
      protocol: 'cft',
      seeds: 500,
      seed: 1,
      replicas: 5,
      clients: 4,
      requests: 200,
      loss: 0,
      dup: 0,
      reorder: 0,
      minDelay: 1,
      maxDelay: 5,
      clientTimeout: 200,
      maxTime: 120_000,
      crypto: 'keyed-hash',
      checkpointInterval: 16,
      crash: true,
      partition: true,
      faultPhase: 20_000,
      livenessBound: 30_000,
      byzantine: 0,
      behaviours: '',
      json: false,
    };
    assert.equal(
      replayCommand(options, 42),
      'bftledger sim --seeds 1 --seed 42 --protocol cft --replicas 5 --crash --partition',
    );
    assert.equal(
      replayCommand({ ...options, protocol: 'pbft' }, 42),
      'bftledger sim --seeds 1 --seed 42 --replicas 5 --crash --partition',
    );
  });
});
