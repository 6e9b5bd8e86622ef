/** Where replicas verify signatures: the mode names, the environment fallback and the co-location rule. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { colocatedVerifyMode, isVerifyMode, verifyModeFromEnv } from '../../src/node/verify-mode.js';

describe('verify mode', () => {
  test('replicas at least as many as the cores verify inline; with spare cores, auto', () => {
    assert.equal(colocatedVerifyMode(4, 2), 'inline');
    assert.equal(colocatedVerifyMode(4, 4), 'inline');
    assert.equal(colocatedVerifyMode(4, 8), 'auto');
    assert.equal(colocatedVerifyMode(1, 2), 'auto');
  });

  test('names the three modes only; BFTLEDGER_VERIFY falls back to auto', () => {
    assert.ok(isVerifyMode('inline') && isVerifyMode('pool') && isVerifyMode('auto'));
    assert.ok(!isVerifyMode('sync') && !isVerifyMode(''));
    const saved = process.env.BFTLEDGER_VERIFY;
    try {
      process.env.BFTLEDGER_VERIFY = 'pool';
      assert.equal(verifyModeFromEnv(), 'pool');
      process.env.BFTLEDGER_VERIFY = 'fast';
      assert.equal(verifyModeFromEnv(), 'auto');
      delete process.env.BFTLEDGER_VERIFY;
      assert.equal(verifyModeFromEnv(), 'auto');
    } finally {
      if (saved === undefined) delete process.env.BFTLEDGER_VERIFY;
      else process.env.BFTLEDGER_VERIFY = saved;
    }
  });
});
