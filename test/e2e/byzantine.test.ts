/**
 * End-to-end against an equivocating primary: real processes, the primary started with
 * `--byzantine equivocate`. Assertions only through the client library and status.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TestNetwork, until } from './support.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('an equivocating primary: every transfer commits, honest replicas agree, hold evidence, and replace it', async () => {
  const net = await TestNetwork.start(4, 2, { 0: ['--byzantine', 'equivocate'] });
  try {
    const client = await net.client(1);
    for (let i = 0; i < 20; i++) assert.equal((await client.transfer('client-0', 1n)).result.code, 'ok');
    const read = await client.balance('client-0');
    assert.equal(read.result.balance, (1_000_000n + 20n).toString());
    let honest: Awaited<ReturnType<typeof net.statuses>> = [];
    await until('honest replicas agree and hold evidence', async () => {
      honest = (await net.statuses()).filter((s) => s.id !== 0);
      const digests = new Set(honest.map((s) => `${s.lastExecuted}:${s.stateDigest}`));
      return digests.size === 1 && honest.some((s) => (s.evidence ?? []).some((e) => e.replica === 0));
    });
    assert.ok(
      honest.every((s) => (s.view ?? 0) >= 1),
      'the equivocating primary was replaced',
    );
    const ev = honest.flatMap((s) => s.evidence ?? []).find((e) => e.replica === 0)!;
    const { stdout } = await promisify(execFile)(process.execPath, [
      MAIN,
      'evidence',
      'verify',
      ev.file,
      '--dir',
      net.dir,
    ]);
    assert.equal(JSON.parse(stdout).valid, true);
  } finally {
    await net.stop();
  }
});
