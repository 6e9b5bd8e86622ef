/** Hashing, hex, public-key checks, and Ed25519 against @noble/curves on deterministic inputs. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  checkPublicKey,
  Ed25519Signer,
  Ed25519Verifier,
  fromHex,
  generateSecretKey,
  KeyError,
  type KeyErrorCode,
  publicKeyOf,
  sha256,
  sha256Parts,
  toHex,
} from '../../src/crypto/index.js';

const utf8 = new TextEncoder();

/** Deterministic pseudo-random bytes: SHA-256 in counter mode over (label, index). */
function detBytes(label: string, index: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const idx = new Uint8Array(4);
  new DataView(idx.buffer).setUint32(0, index);
  for (let block = 0, off = 0; off < length; block++, off += 32) {
    const ctr = new Uint8Array(4);
    new DataView(ctr.buffer).setUint32(0, block);
    out.set(sha256Parts([utf8.encode(label), idx, ctr]).subarray(0, length - off), off);
  }
  return out;
}

/** Asserts that `fn` throws a KeyError with `code`. */
function throwsKeyError(fn: () => unknown, code: KeyErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof KeyError && err.code === code);
}

describe('sha256', () => {
  it('matches known answers and returns a plain Uint8Array', () => {
    assert.equal(
      toHex(sha256(new Uint8Array(0))),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    const abc = sha256(utf8.encode('abc'));
    assert.equal(toHex(abc), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(Object.getPrototypeOf(abc), Uint8Array.prototype);
    assert.equal(abc.length, 32);
  });

  it('sha256Parts equals the hash of the concatenation', () => {
    for (let i = 0; i < 50; i++) {
      const parts = [0, 1, 2, 3].map((j) => detBytes('parts', i * 4 + j, (i * 37 + j * 11) % 200));
      const whole = createHash('sha256');
      for (const p of parts) whole.update(p);
      const got = sha256Parts(parts);
      assert.equal(toHex(got), whole.digest('hex'));
      assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype);
    }
    assert.deepEqual(sha256Parts([]), sha256(new Uint8Array(0)));
  });
});

describe('hex', () => {
  it('round-trips and writes lowercase', () => {
    const b = detBytes('hex', 0, 40);
    assert.deepEqual(fromHex(toHex(b)), b);
    assert.equal(toHex(Uint8Array.of(0, 0xab, 0xff)), '00abff');
    assert.deepEqual(fromHex('00ABff'), Uint8Array.of(0, 0xab, 0xff));
    assert.deepEqual(fromHex(''), new Uint8Array(0));
    assert.equal(toHex(b.subarray(3, 5)), toHex(Uint8Array.of(b[3]!, b[4]!)));
  });

  it('refuses odd lengths, non-hex characters and non-strings', () => {
    for (const bad of ['0', 'abc', '0g', 'zz', ' 00', '00 ', '0x00', '+1', '-1', 'é0', '00\n']) {
      throwsKeyError(() => fromHex(bad), 'bad-encoding');
    }
    throwsKeyError(() => fromHex(undefined as unknown as string), 'bad-encoding');
  });
});

describe('checkPublicKey', () => {
  it('accepts generated keys', () => {
    for (let i = 0; i < 5; i++) checkPublicKey(publicKeyOf(generateSecretKey()));
  });

  it('remembers only keys that passed: a refused key is refused again, every time', () => {
    const good = publicKeyOf(generateSecretKey());
    checkPublicKey(good);
    checkPublicKey(Uint8Array.from(good));
    const bad = fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
    for (let i = 0; i < 3; i++) throwsKeyError(() => checkPublicKey(bad), 'bad-encoding');
  });

  it('refuses wrong lengths', () => {
    for (const n of [0, 31, 33, 64]) throwsKeyError(() => checkPublicKey(new Uint8Array(n)), 'bad-length');
    throwsKeyError(() => checkPublicKey('00' as unknown as Uint8Array), 'bad-length');
  });

  it('refuses non-canonical encodings and non-points', () => {
    // y = p (a non-canonical zero), y = p + 1 (a non-canonical identity), x = 0 with the sign bit set.
    const nonCanonical = [
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      '0100000000000000000000000000000000000000000000000000000000000080',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    ];
    for (const hex of nonCanonical) throwsKeyError(() => checkPublicKey(fromHex(hex)), 'bad-encoding');
    let found = 0;
    for (let y = 2; found < 5; y++) {
      const enc = new Uint8Array(32);
      enc[0] = y;
      let onCurve = true;
      try {
        ed25519.Point.fromBytes(enc);
      } catch {
        onCurve = false;
      }
      if (onCurve) continue;
      found++;
      throwsKeyError(() => checkPublicKey(enc), 'bad-encoding');
    }
  });

  it('publicKeyOf refuses secret keys that are not 32 bytes', () => {
    throwsKeyError(() => publicKeyOf(new Uint8Array(31)), 'bad-length');
    throwsKeyError(() => Ed25519Signer.fromSecretKey(new Uint8Array(33)), 'bad-length');
  });
});

describe('Ed25519 against @noble/curves', () => {
  it('200 deterministic keys and messages: identical signatures, cross-verified', () => {
    for (let i = 0; i < 200; i++) {
      const secretKey = detBytes('key', i, 32);
      const message = detBytes('msg', i, (i * 13) % 300);
      const signer = Ed25519Signer.fromSecretKey(secretKey);
      const publicKey = ed25519.getPublicKey(secretKey);
      assert.deepEqual(signer.publicKey, publicKey);
      assert.deepEqual(publicKeyOf(secretKey), publicKey);
      const ours = signer.sign(message);
      const theirs = ed25519.sign(message, secretKey);
      assert.equal(toHex(ours), toHex(theirs), `signature ${i}`);
      assert.equal(Object.getPrototypeOf(ours), Uint8Array.prototype);
      const verifier = Ed25519Verifier.fromPublicKey(publicKey);
      assert.equal(verifier.verify(message, theirs), true);
      assert.equal(ed25519.verify(ours, message, publicKey, { zip215: false }), true);
    }
  });

  it('rejects a wrong message, a wrong key and a flipped bit', () => {
    const signer = Ed25519Signer.fromSecretKey(detBytes('key', 1000, 32));
    const other = Ed25519Verifier.fromPublicKey(publicKeyOf(detBytes('key', 1001, 32)));
    const verifier = Ed25519Verifier.fromPublicKey(signer.publicKey);
    const message = utf8.encode('pre-prepare v=1 n=7');
    const sig = signer.sign(message);
    assert.equal(verifier.verify(message, sig), true);
    assert.equal(verifier.verify(utf8.encode('pre-prepare v=1 n=8'), sig), false);
    assert.equal(other.verify(message, sig), false);
    for (let bit = 0; bit < 512; bit += 7) {
      const bad = Uint8Array.from(sig);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      assert.equal(verifier.verify(message, bad), false, `bit ${bit}`);
    }
  });

  it('copies the public key it was given', () => {
    const pk = publicKeyOf(detBytes('key', 2000, 32));
    const verifier = Ed25519Verifier.fromPublicKey(pk);
    const before = toHex(verifier.publicKey);
    pk[0]! ^= 1;
    assert.equal(toHex(verifier.publicKey), before);
  });
});

describe('Ed25519Verifier robustness', () => {
  const signer = Ed25519Signer.fromSecretKey(detBytes('key', 3000, 32));
  const verifier = Ed25519Verifier.fromPublicKey(signer.publicKey);

  it('never throws on garbage signatures (lengths 0..100) and returns false', () => {
    for (let len = 0; len <= 100; len++) {
      for (let k = 0; k < 3; k++) {
        const data = detBytes('data', len * 3 + k, len);
        const sig = detBytes('garbage', len * 3 + k, len);
        assert.equal(verifier.verify(data, sig), false, `length ${len}`);
      }
    }
    const weird: unknown[] = [null, undefined, 'x'.repeat(64), 42, {}, [], new ArrayBuffer(64)];
    const msg = utf8.encode('m');
    for (const w of weird) {
      assert.equal(verifier.verify(msg, w as Uint8Array), false);
      assert.equal(verifier.verify(w as Uint8Array, signer.sign(msg)), false);
    }
  });

  it('verifyAsync matches verify on 100 cases and never rejects', async () => {
    for (let i = 0; i < 100; i++) {
      const data = detBytes('async-data', i, i * 3);
      let sig = signer.sign(data);
      if (i % 4 === 1) sig = Uint8Array.from(sig, (b, j) => (j === i % 64 ? b ^ 0x40 : b));
      if (i % 4 === 2) sig = detBytes('async-garbage', i, i % 2 === 0 ? 64 : i);
      if (i % 4 === 3) sig = signer.sign(detBytes('async-other', i, 10));
      const sync = verifier.verify(data, sig);
      assert.equal(await verifier.verifyAsync(data, sig), sync, `case ${i}`);
      assert.equal(sync, i % 4 === 0, `case ${i}`);
    }
    assert.equal(await verifier.verifyAsync(utf8.encode('m'), null as unknown as Uint8Array), false);
    assert.equal(await verifier.verifyAsync(null as unknown as Uint8Array, new Uint8Array(64)), false);
  });
});
