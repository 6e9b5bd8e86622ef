/**
 * Ed25519 key material: the public-key check every replica applies when it loads a key, key
 * generation, and owner-only key files. The key check uses @noble/curves' point API because
 * node:crypto cannot tell a small-order or mixed-order key from a good one, and such keys let a
 * Byzantine principal make verifiers disagree (see the design notes on Ed25519).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromHex, toHex } from './hex.js';
import { KeyError } from './key-error.js';

export { fromHex, toHex } from './hex.js';
export { KeyError, type KeyErrorCode } from './key-error.js';

/** Byte length of an Ed25519 public key. */
export const PUBLIC_KEY_BYTES = 32;
/** Byte length of an Ed25519 secret key (the RFC 8032 seed). */
export const SECRET_KEY_BYTES = 32;
/** The `type` field that marks a bftledger secret-key file. */
export const KEY_FILE_TYPE = 'bftledger-ed25519-secret';
/** Key files larger than this are refused before parsing. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** Keys that passed `checkPublicKey` (hex), so loading a configuration again does not redo the curve work. */
const checkedKeys = new Set<string>();
/** Bound on `checkedKeys`: past it the set starts over (a check is only slower, never skipped wrongly). */
const MAX_CHECKED_KEYS = 1 << 18;

/**
 * Throws KeyError unless `bytes` is the canonical encoding of a prime-order-subgroup point other than
 * the identity. Both checks are needed: the identity is torsion-free yet small-order. A key that
 * passed once passes again without the point arithmetic (about a millisecond per key), which a
 * replica loading a cluster of many clients would otherwise pay on every load.
 */
export function checkPublicKey(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== PUBLIC_KEY_BYTES) {
    throw new KeyError('bad-length', `public key must be ${PUBLIC_KEY_BYTES} bytes`);
  }
  const hex = toHex(bytes);
  if (checkedKeys.has(hex)) return;
  checkPointEncoding(bytes);
  if (checkedKeys.size >= MAX_CHECKED_KEYS) checkedKeys.clear();
  checkedKeys.add(hex);
}

/** The curve checks of `checkPublicKey` for a 32-byte key. */
function checkPointEncoding(bytes: Uint8Array): void {
  let point: InstanceType<typeof ed25519.Point>;
  try {
    // zip215 = false: refuse y >= p and x = 0 with the sign bit set (non-canonical encodings).
    point = ed25519.Point.fromBytes(bytes, false);
  } catch (err) {
    throw new KeyError('bad-encoding', 'public key is not a valid point encoding', { cause: err });
  }
  if (toHex(point.toBytes()) !== toHex(bytes)) {
    throw new KeyError('bad-encoding', 'public key is not the canonical encoding of its point');
  }
  if (point.isSmallOrder()) throw new KeyError('small-order', 'public key is a small-order point');
  if (!point.isTorsionFree()) {
    throw new KeyError('not-torsion-free', 'public key has a small-order component (not torsion-free)');
  }
}

/** A fresh 32-byte Ed25519 secret key from the platform's secure random source. */
export function generateSecretKey(): Uint8Array {
  return ed25519.utils.randomSecretKey();
}

/** The 32-byte public key of a 32-byte secret key; throws KeyError 'bad-length' otherwise. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) {
    throw new KeyError('bad-length', `secret key must be ${SECRET_KEY_BYTES} bytes`);
  }
  return ed25519.getPublicKey(secretKey);
}

/** Options of `writeKeyFile`. */
export interface WriteKeyFileOptions {
  /** Replace an existing file (atomically) instead of refusing. */
  readonly overwrite?: boolean;
}

/** What `readKeyFile` returns: a validated key pair and its label. */
export interface KeyFileContents {
  /** The 32-byte secret key. */
  readonly secretKey: Uint8Array;
  /** The 32-byte public key, checked against the secret key and by `checkPublicKey`. */
  readonly publicKey: Uint8Array;
  /** Free-form name of the principal (e.g. "replica-0"). */
  readonly label: string;
}

/**
 * Writes a secret-key file readable by its owner only (mode 0600 whatever the umask). Refuses to
 * replace an existing file (KeyError 'bad-key-file') unless `options.overwrite` is set.
 */
export function writeKeyFile(
  filePath: string,
  secretKey: Uint8Array,
  label: string,
  options: WriteKeyFileOptions = {},
): void {
  const publicKey = publicKeyOf(secretKey);
  const body = `${JSON.stringify(
    { type: KEY_FILE_TYPE, label, publicKey: toHex(publicKey), secretKey: toHex(secretKey) },
    null,
    2,
  )}\n`;
  if (options.overwrite === true) {
    // Write a sibling temp file, then rename over the target: readers never see a partial file.
    const tmp = path.join(
      path.dirname(filePath),
      `.${path.basename(filePath)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    writeOwnerOnly(tmp, body);
    try {
      fs.renameSync(tmp, filePath);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw new KeyError('bad-key-file', `key file ${filePath}: cannot write: ${errMessage(err)}`, {
        cause: err,
      });
    }
    return;
  }
  writeOwnerOnly(filePath, body);
}

/** Creates `filePath` exclusively with mode 0600, writes `body` and syncs it; removes it on failure. */
function writeOwnerOnly(filePath: string, body: string): void {
  let fd: number;
  try {
    fd = fs.openSync(filePath, 'wx', 0o600);
  } catch (err) {
    const why = isErrno(err, 'EEXIST') ? 'already exists (refusing to overwrite)' : errMessage(err);
    throw new KeyError('bad-key-file', `key file ${filePath}: ${why}`, { cause: err });
  }
  try {
    // The umask may have narrowed (or, on odd systems, not applied) the mode: pin it explicitly.
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, body, 'utf8');
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(filePath, { force: true });
    throw new KeyError('bad-key-file', `key file ${filePath}: cannot write: ${errMessage(err)}`, {
      cause: err,
    });
  }
  fs.closeSync(fd);
}

/**
 * Reads and validates a secret-key file: JSON shape, hex lengths, an acceptable public key that
 * matches the secret key. Any problem is a KeyError 'bad-key-file' whose message names the file.
 */
export function readKeyFile(filePath: string): KeyFileContents {
  const fail: (why: string, cause?: unknown) => never = (why, cause) => {
    throw new KeyError('bad-key-file', `key file ${filePath}: ${why}`, { cause });
  };
  let text = '';
  try {
    if (fs.statSync(filePath).size > MAX_KEY_FILE_BYTES) fail(`larger than ${MAX_KEY_FILE_BYTES} bytes`);
    text = fs.readFileSync(filePath, 'utf8');
  } catch (err) {
    if (err instanceof KeyError) throw err;
    fail(`cannot read: ${errMessage(err)}`, err);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail('not valid JSON', err);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('expected a JSON object');
  const fields = doc as Record<string, unknown>;
  if (fields.type !== KEY_FILE_TYPE) fail(`"type" must be "${KEY_FILE_TYPE}"`);
  const label = fields.label;
  if (typeof label !== 'string') fail('"label" must be a string');
  const secretKey = hexField(fields, 'secretKey', SECRET_KEY_BYTES, fail);
  const publicKey = hexField(fields, 'publicKey', PUBLIC_KEY_BYTES, fail);
  try {
    checkPublicKey(publicKey);
  } catch (err) {
    fail(`"publicKey" refused: ${errMessage(err)}`, err);
  }
  if (toHex(publicKeyOf(secretKey)) !== toHex(publicKey)) {
    fail('"publicKey" does not match "secretKey"');
  }
  return { secretKey, publicKey, label };
}

/** Decodes the hex field `name` of a key file, which must hold exactly `bytes` bytes. */
function hexField(
  fields: Record<string, unknown>,
  name: string,
  bytes: number,
  fail: (why: string, cause?: unknown) => never,
): Uint8Array {
  const value = fields[name];
  if (typeof value !== 'string') return fail(`"${name}" must be a hex string`);
  if (value.length !== bytes * 2) {
    return fail(`"${name}" must be ${bytes * 2} hex characters, found ${value.length}`);
  }
  try {
    return fromHex(value);
  } catch (err) {
    return fail(`"${name}": ${errMessage(err)}`, err);
  }
}

/** True when `err` is a Node.js system error with the given errno code. */
function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** The message of an unknown thrown value. */
function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
