/** The simulator-only keyed-hash scheme: round trip, per-principal separation, determinism. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyError, KeyedHashSigner, KeyedHashVerifier, toHex } from '../../src/crypto/index.js';

const utf8 = new TextEncoder();

describe('keyed-hash (simulator only)', () => {
  const alice = KeyedHashSigner.fromSeed(utf8.encode('seed-1/replica-0'));
  const bob = KeyedHashSigner.fromSeed(utf8.encode('seed-1/replica-1'));
  const aliceVerifier = KeyedHashVerifier.fromSeed(utf8.encode('seed-1/replica-0'));
  const bobVerifier = bob.toVerifier();
  const msg = utf8.encode('prepare v=0 n=1');

  it('signs and verifies; tags are 64 bytes', async () => {
    const sig = alice.sign(msg);
    assert.equal(sig.length, 64);
    assert.equal(aliceVerifier.verify(msg, sig), true);
    assert.equal(await aliceVerifier.verifyAsync(msg, sig), true);
    assert.equal(alice.toVerifier().verify(msg, sig), true);
    assert.deepEqual(aliceVerifier.publicKey, alice.publicKey);
    assert.equal(alice.publicKey.length, 32);
  });

  it("another principal's verifier rejects, and public keys differ", async () => {
    const sig = alice.sign(msg);
    assert.equal(bobVerifier.verify(msg, sig), false);
    assert.equal(await bobVerifier.verifyAsync(msg, sig), false);
    assert.notEqual(toHex(alice.publicKey), toHex(bob.publicKey));
  });

  it('rejects a changed message, a flipped bit and wrong lengths; never throws', () => {
    const sig = alice.sign(msg);
    assert.equal(aliceVerifier.verify(utf8.encode('prepare v=0 n=2'), sig), false);
    const bad = Uint8Array.from(sig);
    bad[10]! ^= 1;
    assert.equal(aliceVerifier.verify(msg, bad), false);
    for (const n of [0, 32, 63, 65]) assert.equal(aliceVerifier.verify(msg, new Uint8Array(n)), false);
    assert.equal(aliceVerifier.verify(msg, null as unknown as Uint8Array), false);
    assert.equal(aliceVerifier.verify(null as unknown as Uint8Array, sig), false);
  });

  it('is deterministic across instances', () => {
    const again = KeyedHashSigner.fromSeed(utf8.encode('seed-1/replica-0'));
    assert.equal(toHex(again.sign(msg)), toHex(alice.sign(msg)));
    assert.equal(toHex(again.publicKey), toHex(alice.publicKey));
    const fromSecret = KeyedHashSigner.fromSecret(new Uint8Array(32).fill(7));
    const fromSecret2 = KeyedHashSigner.fromSecret(new Uint8Array(32).fill(7));
    assert.equal(toHex(fromSecret.sign(msg)), toHex(fromSecret2.sign(msg)));
    assert.equal(
      KeyedHashVerifier.fromSecret(new Uint8Array(32).fill(7)).verify(msg, fromSecret.sign(msg)),
      true,
    );
  });

  it('refuses secrets that are not 32 bytes', () => {
    assert.throws(
      () => KeyedHashSigner.fromSecret(new Uint8Array(16)),
      (e: unknown) => e instanceof KeyError && e.code === 'bad-length',
    );
  });
});
