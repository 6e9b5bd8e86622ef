/** The crypto module's public surface: hashing, key checks and key files, Ed25519, simulator tags, cost counters. */
export { type CalibrateOptions, type CryptoCalibration, calibrateCrypto } from './calibrate.js';
export {
  CRYPTO_OPS,
  type CryptoCounters,
  type CryptoOp,
  cryptoCounters,
  cryptoDelta,
  cryptoSum,
  resetCryptoCounters,
  setCryptoTiming,
  zeroCryptoCounters,
} from './counters.js';
export { checkSignatureEncoding, Ed25519Signer, Ed25519Verifier, SIGNATURE_BYTES } from './ed25519.js';
export { SHA256_BYTES, sha256, sha256Parts } from './hash.js';
export { fromHex, toHex } from './hex.js';
export { KeyError, type KeyErrorCode } from './key-error.js';
export { KeyedHashSigner, KeyedHashVerifier } from './keyed-hash.js';
export {
  checkPublicKey,
  generateSecretKey,
  KEY_FILE_TYPE,
  type KeyFileContents,
  PUBLIC_KEY_BYTES,
  publicKeyOf,
  readKeyFile,
  SECRET_KEY_BYTES,
  type WriteKeyFileOptions,
  writeKeyFile,
} from './keys.js';
export type { Signer, Verifier } from './types.js';
