/**
 * End-to-end against Byzantine replicas: real processes, one started with `--byzantine equivocate`
 * (the primary) or `--byzantine bad-view-change` (the next primary). Assertions only through the
 * client library, status, metrics and `bftledger evidence verify`.
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

test('a new primary that forges its NEW-VIEW: honest replicas keep verifiable forged-certificate evidence against it', async () => {
  const net = await TestNetwork.start(4, 2, { 1: ['--byzantine', 'bad-view-change'] });
  try {
    const client = await net.client(1);
    assert.equal((await client.transfer('client-0', 1n)).result.code, 'ok');
    // With the primary gone, the next request times out into view 1, whose primary is the liar. Two
    // faults is more than f, so nothing need commit: only the evidence is awaited.
    await net.kill(0);
    void client.transfer('client-0', 1n).catch(() => undefined);
    let held: { replica: number; kind: string; file: string }[] = [];
    await until('an honest replica holds forged-certificate evidence against replica 1', async () => {
      const honest = (await net.statuses()).filter((s) => s.id === 2 || s.id === 3);
      held = honest.flatMap((s) => s.evidence ?? []).filter((e) => e.kind === 'forged-certificate');
      return held.length > 0;
    });
    assert.ok(
      held.every((e) => e.replica === 1),
      JSON.stringify(held),
    );
    const { stdout } = await promisify(execFile)(process.execPath, [
      MAIN,
      'evidence',
      'verify',
      held[0]!.file,
      '--dir',
      net.dir,
    ]);
    const verdict = JSON.parse(stdout);
    assert.equal(verdict.valid, true);
    assert.equal(verdict.replica, 1);
    assert.match(await net.metrics(2), /bftledger_evidence_total\{kind="forged-certificate"\} [1-9]/);
  } finally {
    await net.stop();
  }
});
