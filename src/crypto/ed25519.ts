/**
 * Ed25519 on the native path (node:crypto, OpenSSL), with pinned acceptance rules.
 *
 * Libraries disagree on which Ed25519 signatures are valid (small-order keys, small-order components,
 * non-canonical encodings). In a BFT system that disagreement is an attack: a Byzantine principal can
 * craft a message some honest replicas accept and others reject. So every replica verifies through
 * this one verifier, whose rules are: the key passed `checkPublicKey` when it was loaded; the signature
 * is 64 bytes; S is canonical (S < L); R is a canonical encoding (y < p) and not one of the
 * small-order points; and then OpenSSL's cofactorless check must pass.
 *
 * KeyObjects are built once per key: turning raw bytes into one costs about as much as a verify.
 */
import * as nodeCrypto from 'node:crypto';
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { countSign, countVerifyInline, countVerifyPool, cryptoStart } from './counters.js';
import { fromHex } from './hex.js';
import { checkPublicKey, KeyError, PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from './keys.js';
import type { Signer, Verifier } from './types.js';

/** Byte length of an Ed25519 signature (R || S). */
export const SIGNATURE_BYTES = 64;

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420');
/** DER prefix of an SPKI Ed25519 public key; the 32-byte key follows. */
const SPKI_PREFIX = fromHex('302a300506032b6570032100');

/** The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const ORDER_LE = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

/**
 * Every encoding of a small-order point that has y < p: the 8 canonical ones, plus the two
 * non-canonical ones with x = 0 and the sign bit set (flipping the sign bit of the other six gives
 * their negations, already listed). Encodings with y >= p are refused separately.
 */
const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = (() => {
  const seen = new Map<string, Uint8Array>();
  for (const hex of ED25519_TORSION_SUBGROUP) {
    const canonical = fromHex(hex);
    const flipped = Uint8Array.from(canonical);
    flipped[31] = (flipped[31] ?? 0) ^ 0x80;
    seen.set(hex, canonical);
    seen.set(Buffer.from(flipped).toString('hex'), flipped);
  }
  return [...seen.values()];
})();

/** A plain Uint8Array view over a Buffer's bytes (no copy). */
function plain(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Concatenation of a DER prefix and a 32-byte key. */
function der(prefix: Uint8Array, key: Uint8Array): Buffer {
  const out = Buffer.alloc(prefix.length + key.length);
  out.set(prefix, 0);
  out.set(key, prefix.length);
  return out;
}

/** True when the little-endian scalar in `sig[32..64]` is below the group order L. */
function isCanonicalS(sig: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = sig[32 + i] ?? 0;
    const l = ORDER_LE[i] ?? 0;
    if (s !== l) return s < l;
  }
  return false; // S == L
}

/** True when the y coordinate encoded in `sig[0..32]` (sign bit masked) is at least p = 2^255 - 19. */
function isNonCanonicalY(sig: Uint8Array): boolean {
  if (((sig[31] ?? 0) & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (sig[i] !== 0xff) return false;
  return (sig[0] ?? 0) >= 0xed;
}

/** True when `sig[0..32]` equals one of the small-order point encodings. */
function isSmallOrderR(sig: Uint8Array): boolean {
  outer: for (const enc of SMALL_ORDER_ENCODINGS) {
    for (let i = 0; i < 32; i++) if (sig[i] !== enc[i]) continue outer;
    return true;
  }
  return false;
}

/**
 * The pinned shape rules checked before the curve arithmetic: 64 bytes, canonical S, canonical R
 * that is not a small-order point. Never throws; false for anything that is not a Uint8Array.
 */
export function checkSignatureEncoding(signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
  return isCanonicalS(signature) && !isNonCanonicalY(signature) && !isSmallOrderR(signature);
}

/** Signs with node:crypto from a private KeyObject built once from the 32-byte seed. */
export class Ed25519Signer implements Signer {
  /** The 32-byte public key matching the secret key. */
  readonly publicKey: Uint8Array;
  /** The native private key; the raw seed is not kept. */
  readonly #privateKey: nodeCrypto.KeyObject;

  private constructor(privateKey: nodeCrypto.KeyObject, publicKey: Uint8Array) {
    this.#privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /** A signer for a 32-byte RFC 8032 secret key (seed); throws KeyError 'bad-length' otherwise. */
  static fromSecretKey(secretKey: Uint8Array): Ed25519Signer {
    if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) {
      throw new KeyError('bad-length', `secret key must be ${SECRET_KEY_BYTES} bytes`);
    }
    const der8 = der(PKCS8_PREFIX, secretKey);
    const privateKey = nodeCrypto.createPrivateKey({ key: der8, format: 'der', type: 'pkcs8' });
    der8.fill(0);
    const spki = nodeCrypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    const publicKey = new Uint8Array(spki.subarray(spki.length - PUBLIC_KEY_BYTES));
    return new Ed25519Signer(privateKey, publicKey);
  }

  /** The deterministic 64-byte RFC 8032 signature of `data`. */
  sign(data: Uint8Array): Uint8Array {
    const t0 = cryptoStart();
    const signature = plain(nodeCrypto.sign(null, data, this.#privateKey));
    countSign(t0);
    return signature;
  }
}

/** Verifies with node:crypto under the pinned rules, from a public KeyObject built once. */
export class Ed25519Verifier implements Verifier {
  /** The 32-byte public key, which passed `checkPublicKey`. */
  readonly publicKey: Uint8Array;
  /** The native public key. */
  readonly #key: nodeCrypto.KeyObject;

  private constructor(key: nodeCrypto.KeyObject, publicKey: Uint8Array) {
    this.#key = key;
    this.publicKey = publicKey;
  }

  /** A verifier for `publicKey`; throws KeyError if `checkPublicKey` refuses it. */
  static fromPublicKey(publicKey: Uint8Array): Ed25519Verifier {
    checkPublicKey(publicKey);
    const copy = Uint8Array.from(publicKey);
    const key = nodeCrypto.createPublicKey({ key: der(SPKI_PREFIX, copy), format: 'der', type: 'spki' });
    return new Ed25519Verifier(key, copy);
  }

  /** True only for a valid signature under the pinned rules; never throws. */
  verify(data: Uint8Array, signature: Uint8Array): boolean {
    const t0 = cryptoStart();
    try {
      if (!checkSignatureEncoding(signature)) return false;
      return nodeCrypto.verify(null, data, this.#key, signature);
    } catch {
      return false;
    } finally {
      countVerifyInline(t0);
    }
  }

  /** Same answer as `verify`, computed on libuv's thread pool; never rejects. */
  verifyAsync(data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return new Promise((resolve) => {
      try {
        if (!checkSignatureEncoding(signature)) {
          resolve(false);
          return;
        }
        countVerifyPool();
        nodeCrypto.verify(null, data, this.#key, signature, (err, ok) =>
          resolve(err === null && ok === true),
        );
      } catch {
        resolve(false);
      }
    });
  }
}
