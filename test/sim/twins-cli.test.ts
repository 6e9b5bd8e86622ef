/** `bftledger twins` end to end: the summary line, the replay command of a failure, exit codes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry (this file runs from dist/test/sim/). */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs the CLI with `args`. */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bftledger twins', () => {
  it('runs a seeded sample and exits 0 when clean', () => {
    const r = cli('twins', '--sample', '3', '--seed', '9');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(
      r.stdout.trim(),
      /^scenarios=3 of=4096 replicas=4 twins=1 views=3 seed=9 violations=0 failing=0 .* wall=\d+\.\ds$/,
    );
  });

  it('prints a failing scenario with its schedule and replay command, and exits 1', () => {
    const r = cli('twins', '--twins', '2', '--from', '28', '--count', '1');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^FAIL scenario=28 violations=\d+: .*agreement: /m);
    assert.match(r.stdout, /schedule: v0\(primary 0\)\[0a 1a 2 \| 3 0b 1b\] v1\(primary 1\)\[all\]/);
    assert.match(r.stdout, /replay: bftledger twins --twins 2 --views 3 --from 28 --count 1$/m);
    assert.match(r.stdout, /scenarios=1 of=32768 .* failing=1 /);
  });

  it('refuses bad usage with exit 2', () => {
    assert.equal(cli('twins', '--views', '0').status, 2);
    assert.equal(cli('twins', '--sample', '2', '--from', '1').status, 2);
    assert.equal(cli('twins', '--twins', '5').status, 2);
  });
});
