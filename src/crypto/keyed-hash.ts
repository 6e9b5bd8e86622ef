/**
 * Keyed-hash "signatures" for the deterministic simulator only.
 *
 * THIS IS NOT A SIGNATURE SCHEME. The verifier holds the signer's secret and recomputes the tag, so
 * anyone who can verify can also forge. It exists because the simulator runs thousands of seeds, each
 * with every principal simulated inside one process, where Ed25519 would dominate the run time and
 * unforgeability between principals is enforced by the simulator itself. A replica or client process
 * must never use it: they use `Ed25519Signer` / `Ed25519Verifier`.
 *
 * Tag = HMAC-SHA512(secret, data), 64 bytes like an Ed25519 signature. The 32-byte "public key"
 * is SHA-256("pub" || secret): distinct per principal, so it can index principals as real keys do.
 */
import * as nodeCrypto from 'node:crypto';
import { sha256Parts } from './hash.js';
import { KeyError } from './key-error.js';
import type { Signer, Verifier } from './types.js';

/** Byte length of a keyed-hash secret. */
const SECRET_BYTES = 32;
/** Byte length of a keyed-hash tag (matches an Ed25519 signature). */
const TAG_BYTES = 64;
/** Domain tag for deriving a secret from a seed. */
const SECRET_DOMAIN = new TextEncoder().encode('bftledger/keyed-hash/secret');
/** Domain tag for deriving the public identifier from a secret. */
const PUBLIC_DOMAIN = new TextEncoder().encode('pub');

/** The 32-byte secret derived from a principal's seed (any length). */
function secretFromSeed(seed: Uint8Array): Uint8Array {
  return sha256Parts([SECRET_DOMAIN, seed]);
}

/** Checks a secret's length and returns a private copy. */
function ownSecret(secret: Uint8Array): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length !== SECRET_BYTES) {
    throw new KeyError('bad-length', `keyed-hash secret must be ${SECRET_BYTES} bytes`);
  }
  return Uint8Array.from(secret);
}

/** HMAC-SHA512 of `data` under `secret`. */
function tag(secret: Uint8Array, data: Uint8Array): Uint8Array {
  const buf = nodeCrypto.createHmac('sha512', secret).update(data).digest();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Simulator-only signer: HMAC-SHA512 under a per-principal secret. NOT a signature scheme. */
export class KeyedHashSigner implements Signer {
  /** SHA-256("pub" || secret): this principal's identifier, in the place of a public key. */
  readonly publicKey: Uint8Array;
  /** The shared secret (also held by the matching verifier). */
  readonly #secret: Uint8Array;

  private constructor(secret: Uint8Array) {
    this.#secret = secret;
    this.publicKey = sha256Parts([PUBLIC_DOMAIN, secret]);
  }

  /** The signer of the principal whose seed is `seed` (any length; e.g. sim seed || principal id). */
  static fromSeed(seed: Uint8Array): KeyedHashSigner {
    return new KeyedHashSigner(secretFromSeed(seed));
  }

  /** The signer for an explicit 32-byte secret; throws KeyError 'bad-length' otherwise. */
  static fromSecret(secret: Uint8Array): KeyedHashSigner {
    return new KeyedHashSigner(ownSecret(secret));
  }

  /** The verifier that accepts exactly this signer's tags. */
  toVerifier(): KeyedHashVerifier {
    return KeyedHashVerifier.fromSecret(this.#secret);
  }

  /** The 64-byte tag HMAC-SHA512(secret, data); deterministic. */
  sign(data: Uint8Array): Uint8Array {
    return tag(this.#secret, data);
  }
}

/** Simulator-only verifier: recomputes the tag, so it could forge. NOT a signature verifier. */
export class KeyedHashVerifier implements Verifier {
  /** SHA-256("pub" || secret), equal to the matching signer's `publicKey`. */
  readonly publicKey: Uint8Array;
  /** The shared secret. */
  readonly #secret: Uint8Array;

  private constructor(secret: Uint8Array) {
    this.#secret = secret;
    this.publicKey = sha256Parts([PUBLIC_DOMAIN, secret]);
  }

  /** The verifier of the principal whose seed is `seed`. */
  static fromSeed(seed: Uint8Array): KeyedHashVerifier {
    return new KeyedHashVerifier(secretFromSeed(seed));
  }

  /** The verifier for an explicit 32-byte secret; throws KeyError 'bad-length' otherwise. */
  static fromSecret(secret: Uint8Array): KeyedHashVerifier {
    return new KeyedHashVerifier(ownSecret(secret));
  }

  /** True when `signature` is this principal's tag of `data` (constant-time compare); never throws. */
  verify(data: Uint8Array, signature: Uint8Array): boolean {
    try {
      if (!(signature instanceof Uint8Array) || signature.length !== TAG_BYTES) return false;
      return nodeCrypto.timingSafeEqual(tag(this.#secret, data), signature);
    } catch {
      return false;
    }
  }

  /** Resolves to `verify` (there is nothing worth moving off the event loop). */
  verifyAsync(data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return Promise.resolve(this.verify(data, signature));
  }
}
