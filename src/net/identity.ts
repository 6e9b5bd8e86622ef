/**
 * Maps our Ed25519 keys to libp2p identities. The libp2p private key is derived from the same
 * 32-byte seed as the principal's signing key, so a node's peer id is a function of its public
 * key and the Noise handshake authenticates the principal.
 */
import './polyfill.js';
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { peerIdFromPublicKey } from '@libp2p/peer-id';

/** Length of a raw Ed25519 public key and of a secret seed, in bytes. */
const ED25519_KEY_BYTES = 32;

/** The libp2p peer id (string form) of the principal with this raw 32-byte Ed25519 public key. */
export function peerIdOf(publicKey: Uint8Array): string {
  if (publicKey.byteLength !== ED25519_KEY_BYTES) {
    throw new RangeError(`an Ed25519 public key has ${ED25519_KEY_BYTES} bytes, got ${publicKey.byteLength}`);
  }
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString();
}

/** The libp2p private key for a 32-byte Ed25519 secret seed (deterministic: same seed, same key). */
export async function privateKeyOf(secretKey: Uint8Array): Promise<Ed25519PrivateKey> {
  if (secretKey.byteLength !== ED25519_KEY_BYTES) {
    throw new RangeError(`an Ed25519 secret key has ${ED25519_KEY_BYTES} bytes, got ${secretKey.byteLength}`);
  }
  return generateKeyPairFromSeed('Ed25519', secretKey);
}
