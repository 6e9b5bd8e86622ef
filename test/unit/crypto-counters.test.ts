/** Crypto cost accounting: what is counted per call, timing on and off, differences, calibration. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  type CryptoCounters,
  calibrateCrypto,
  cryptoCounters,
  cryptoDelta,
  cryptoSum,
  Ed25519Signer,
  Ed25519Verifier,
  resetCryptoCounters,
  setCryptoTiming,
  sha256,
  sha256Parts,
  zeroCryptoCounters,
} from '../../src/crypto/index.js';

const signer = Ed25519Signer.fromSecretKey(new Uint8Array(32).fill(3));
const verifier = Ed25519Verifier.fromPublicKey(signer.publicKey);
const msg = new TextEncoder().encode('a transfer of 1 unit');

describe('crypto counters', () => {
  beforeEach(() => {
    resetCryptoCounters();
    setCryptoTiming(true);
  });
  afterEach(() => setCryptoTiming(true));

  it('counts each signature, inline verification and hash, with the bytes hashed', () => {
    const sig = signer.sign(msg);
    assert.equal(verifier.verify(msg, sig), true);
    assert.equal(verifier.verify(msg, new Uint8Array(64)), false, 'a refused signature still costs a call');
    sha256(new Uint8Array(100));
    sha256Parts([new Uint8Array(10), new Uint8Array(22)]);
    const c = cryptoCounters();
    assert.deepEqual(c.count, { sign: 1, 'verify-inline': 2, 'verify-pool': 0, hash: 2 });
    assert.equal(c.hashBytes, 132);
    assert.ok(c.seconds.sign > 0 && c.seconds['verify-inline'] > 0 && c.seconds.hash > 0);
    assert.equal(c.seconds['verify-pool'], 0);
    assert.equal(c.timing, true);
  });

  it('counts pool verifications without timing them; a malformed signature never reaches the pool', async () => {
    const sig = signer.sign(msg);
    resetCryptoCounters();
    assert.equal(await verifier.verifyAsync(msg, sig), true);
    assert.equal(await verifier.verifyAsync(msg, new Uint8Array(63)), false);
    const c = cryptoCounters();
    assert.equal(c.count['verify-pool'], 1);
    assert.equal(c.count['verify-inline'], 0);
    assert.equal(c.seconds['verify-pool'], 0);
  });

  it('with timing off, counts on and adds no time', () => {
    assert.equal(setCryptoTiming(false), true);
    signer.sign(msg);
    sha256(msg);
    const c = cryptoCounters();
    assert.equal(c.count.sign, 1);
    assert.equal(c.count.hash, 1);
    assert.equal(c.seconds.sign, 0);
    assert.equal(c.seconds.hash, 0);
    assert.equal(c.timing, false);
  });

  it('reset sets everything back to zero', () => {
    signer.sign(msg);
    sha256(msg);
    resetCryptoCounters();
    assert.deepEqual(cryptoCounters(), zeroCryptoCounters());
  });

  it('differences and sums work op by op', () => {
    const a: CryptoCounters = {
      count: { sign: 1, 'verify-inline': 2, 'verify-pool': 3, hash: 4 },
      seconds: { sign: 0.5, 'verify-inline': 1, 'verify-pool': 0, hash: 2 },
      hashBytes: 10,
      timing: true,
    };
    const b: CryptoCounters = {
      count: { sign: 3, 'verify-inline': 2, 'verify-pool': 7, hash: 14 },
      seconds: { sign: 1.5, 'verify-inline': 1, 'verify-pool': 0, hash: 2.25 },
      hashBytes: 110,
      timing: false,
    };
    assert.deepEqual(cryptoDelta(a, b), {
      count: { sign: 2, 'verify-inline': 0, 'verify-pool': 4, hash: 10 },
      seconds: { sign: 1, 'verify-inline': 0, 'verify-pool': 0, hash: 0.25 },
      hashBytes: 100,
      timing: false,
    });
    const s = cryptoSum([a, b]);
    assert.deepEqual(s.count, { sign: 4, 'verify-inline': 4, 'verify-pool': 10, hash: 18 });
    assert.equal(s.hashBytes, 120);
    assert.equal(s.timing, false);
    assert.deepEqual(cryptoSum([]), zeroCryptoCounters());
  });
});

describe('calibrateCrypto', () => {
  it('gives a positive, finite cost for every op and leaves timing as it was', () => {
    setCryptoTiming(true);
    const c = calibrateCrypto({ roundMs: 5, rounds: 3 });
    for (const key of ['signSeconds', 'verifySeconds', 'sha256KbSeconds', 'timerSeconds'] as const) {
      assert.ok(Number.isFinite(c[key]) && c[key] > 0, `${key} = ${c[key]}`);
    }
    assert.ok(Number.isFinite(c.sha256CallSeconds) && c.sha256CallSeconds >= 0);
    assert.equal(c.messageBytes, 200);
    assert.equal(c.rounds, 3);
    assert.equal(cryptoCounters().timing, true);
  });
});
