/** The shared Ed25519 edge-case vectors: which keys are refused and which signatures our verifier accepts. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import {
  checkPublicKey,
  checkSignatureEncoding,
  Ed25519Signer,
  Ed25519Verifier,
  fromHex,
  KeyError,
  publicKeyOf,
  toHex,
} from '../../src/crypto/index.js';

/** One case of the vectors file. */
interface Vector {
  name: string;
  publicKey: string;
  message: string;
  signature: string;
  keyIsSmallOrder: boolean;
  keyIsTorsionFree: boolean;
}

/** Finds test/fixtures/<name> by walking up from this (possibly compiled) file. */
function fixturePath(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'test', 'fixtures', name);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`fixture ${name} not found`);
    dir = parent;
  }
}

const file = JSON.parse(fs.readFileSync(fixturePath('ed25519-edge-cases.json'), 'utf8')) as {
  privateKeyOfHonest: string;
  vectors: Vector[];
};

/** The vector called `name`. */
function vector(name: string): Vector {
  const v = file.vectors.find((x) => x.name === name);
  assert.ok(v, `vector ${name}`);
  return v;
}

/** A 64-byte signature (R || S) from two 32-byte halves. */
function sigOf(r: Uint8Array, s: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  out.set(r, 0);
  out.set(s, 32);
  return out;
}

const honest = vector('honest');
const honestVerifier = Ed25519Verifier.fromPublicKey(fromHex(honest.publicKey));

describe('Ed25519 edge-case vectors', () => {
  it('has the five expected cases', () => {
    assert.deepEqual(file.vectors.map((v) => v.name).sort(), [
      'honest',
      'identity-key-forgery',
      'malleated-S-plus-L',
      'mixed-order-key',
      'small-order-component-in-R',
    ]);
  });

  it('refuses small-order and non-torsion-free keys with the right code, accepts the others', () => {
    for (const v of file.vectors) {
      const pk = fromHex(v.publicKey);
      const expected = v.keyIsSmallOrder ? 'small-order' : v.keyIsTorsionFree ? null : 'not-torsion-free';
      for (const load of [() => checkPublicKey(pk), () => Ed25519Verifier.fromPublicKey(pk)]) {
        if (expected === null) load();
        else assert.throws(load, (e: unknown) => e instanceof KeyError && e.code === expected, v.name);
      }
    }
  });

  it('identity-key forgery: key refused, and the forged signature fails under a good key', () => {
    const v = vector('identity-key-forgery');
    assert.throws(() => Ed25519Verifier.fromPublicKey(fromHex(v.publicKey)), KeyError);
    const forged = fromHex(v.signature);
    assert.equal(honestVerifier.verify(fromHex(v.message), forged), false);
    assert.equal(honestVerifier.verify(fromHex(honest.message), forged), false);
    assert.equal(checkSignatureEncoding(forged), false);
  });

  it('honest signature verifies, and our signer reproduces it', () => {
    const msg = fromHex(honest.message);
    assert.equal(honestVerifier.verify(msg, fromHex(honest.signature)), true);
    const secretKey = fromHex(file.privateKeyOfHonest);
    assert.equal(toHex(publicKeyOf(secretKey)), honest.publicKey);
    assert.equal(toHex(Ed25519Signer.fromSecretKey(secretKey).sign(msg)), honest.signature);
  });

  it('malleated S + L is rejected', async () => {
    const v = vector('malleated-S-plus-L');
    const sig = fromHex(v.signature);
    assert.equal(checkSignatureEncoding(sig), false);
    assert.equal(honestVerifier.verify(fromHex(v.message), sig), false);
    assert.equal(await honestVerifier.verifyAsync(fromHex(v.message), sig), false);
  });

  it('a small-order component in R is rejected (under a good key)', async () => {
    const v = vector('small-order-component-in-R');
    const verifier = Ed25519Verifier.fromPublicKey(fromHex(v.publicKey));
    const sig = fromHex(v.signature);
    assert.equal(verifier.verify(fromHex(v.message), sig), false);
    assert.equal(await verifier.verifyAsync(fromHex(v.message), sig), false);
  });
});

describe('checkSignatureEncoding (pinned shape rules)', () => {
  const good = fromHex(honest.signature);
  const goodR = good.subarray(0, 32);
  const goodS = good.subarray(32);
  const order = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

  it('accepts an honest signature', () => {
    assert.equal(checkSignatureEncoding(good), true);
  });

  it('refuses every small-order R, canonical or with the sign bit flipped', () => {
    for (const hex of ED25519_TORSION_SUBGROUP) {
      const r = fromHex(hex);
      assert.ok(ed25519.Point.fromBytes(r).isSmallOrder());
      const flipped = Uint8Array.from(r);
      flipped[31]! ^= 0x80;
      for (const rr of [r, flipped]) {
        assert.equal(checkSignatureEncoding(sigOf(rr, goodS)), false, toHex(rr));
        assert.equal(checkSignatureEncoding(sigOf(rr, new Uint8Array(32))), false, toHex(rr));
        assert.equal(honestVerifier.verify(fromHex(honest.message), sigOf(rr, goodS)), false);
      }
    }
  });

  it('refuses R with y >= p', () => {
    for (const low of [0xed, 0xee, 0xf0, 0xff]) {
      const r = new Uint8Array(32).fill(0xff);
      r[0] = low;
      r[31] = 0x7f;
      assert.equal(checkSignatureEncoding(sigOf(r, goodS)), false);
      r[31] = 0xff;
      assert.equal(checkSignatureEncoding(sigOf(r, goodS)), false);
    }
    const below = new Uint8Array(32).fill(0xff);
    below[0] = 0xeb; // y = p - 2: canonical and not a small-order point
    below[31] = 0x7f;
    assert.equal(checkSignatureEncoding(sigOf(below, goodS)), true);
  });

  it('refuses S >= L and accepts S = L - 1', () => {
    assert.equal(checkSignatureEncoding(sigOf(goodR, order)), false);
    const overL = Uint8Array.from(order);
    overL[0]! += 1;
    assert.equal(checkSignatureEncoding(sigOf(goodR, overL)), false);
    assert.equal(checkSignatureEncoding(sigOf(goodR, new Uint8Array(32).fill(0xff))), false);
    const underL = Uint8Array.from(order);
    underL[0]! -= 1;
    assert.equal(checkSignatureEncoding(sigOf(goodR, underL)), true);
  });

  it('refuses wrong lengths and non-byte inputs', () => {
    for (const n of [0, 32, 63, 65, 128]) assert.equal(checkSignatureEncoding(new Uint8Array(n)), false);
    assert.equal(checkSignatureEncoding(null as unknown as Uint8Array), false);
  });
});
