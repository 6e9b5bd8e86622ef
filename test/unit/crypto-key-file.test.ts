/** Secret-key files: round trip, owner-only mode, refusal to overwrite, clear errors on corrupt files. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Ed25519Signer,
  generateSecretKey,
  KEY_FILE_TYPE,
  KeyError,
  publicKeyOf,
  readKeyFile,
  toHex,
  writeKeyFile,
} from '../../src/crypto/index.js';

let dir = '';
let counter = 0;

/** A fresh path inside the test directory. */
function freshPath(): string {
  counter++;
  return path.join(dir, `key-${counter}.json`);
}

/** The permission bits of `p`. */
function modeOf(p: string): number {
  return fs.statSync(p).mode & 0o777;
}

/** Asserts a KeyError 'bad-key-file' whose message names `p` and contains `reason`. */
function assertBadKeyFile(fn: () => unknown, p: string, reason: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof KeyError, `expected KeyError, got ${String(err)}`);
    assert.equal(err.code, 'bad-key-file');
    assert.ok(err.message.includes(p), `message names the file: ${err.message}`);
    assert.ok(err.message.includes(reason), `message says "${reason}": ${err.message}`);
    return true;
  });
}

/** Writes a key-file-shaped JSON document with the given field overrides. */
function writeDoc(p: string, fields: Record<string, unknown>): void {
  const secretKey = generateSecretKey();
  const doc = {
    type: KEY_FILE_TYPE,
    label: 'replica-0',
    publicKey: toHex(publicKeyOf(secretKey)),
    secretKey: toHex(secretKey),
    ...fields,
  };
  fs.writeFileSync(p, JSON.stringify(doc), { mode: 0o600 });
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-crypto-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('key files', () => {
  it('round-trips a key pair and label', () => {
    const p = freshPath();
    const secretKey = generateSecretKey();
    writeKeyFile(p, secretKey, 'replica-3');
    const read = readKeyFile(p);
    assert.deepEqual(read.secretKey, secretKey);
    assert.deepEqual(read.publicKey, publicKeyOf(secretKey));
    assert.equal(read.label, 'replica-3');
    assert.deepEqual(Ed25519Signer.fromSecretKey(read.secretKey).publicKey, read.publicKey);
    const doc = JSON.parse(fs.readFileSync(p, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc).sort(), ['label', 'publicKey', 'secretKey', 'type']);
    assert.equal(doc.type, 'bftledger-ed25519-secret');
  });

  it('creates the file with mode 0600, even under a permissive umask', () => {
    const p = freshPath();
    writeKeyFile(p, generateSecretKey(), 'a');
    assert.equal(modeOf(p), 0o600);
    const previous = process.umask(0);
    try {
      const q = freshPath();
      writeKeyFile(q, generateSecretKey(), 'b');
      assert.equal(modeOf(q), 0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('refuses to overwrite an existing file unless asked to', () => {
    const p = freshPath();
    const first = generateSecretKey();
    writeKeyFile(p, first, 'first');
    assertBadKeyFile(() => writeKeyFile(p, generateSecretKey(), 'second'), p, 'already exists');
    assert.deepEqual(readKeyFile(p).secretKey, first);
    fs.chmodSync(p, 0o644);
    const second = generateSecretKey();
    writeKeyFile(p, second, 'second', { overwrite: true });
    assert.deepEqual(readKeyFile(p).secretKey, second);
    assert.equal(readKeyFile(p).label, 'second');
    assert.equal(modeOf(p), 0o600);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left behind',
    );
  });

  it('overwrite also works when the file does not exist yet', () => {
    const p = freshPath();
    writeKeyFile(p, generateSecretKey(), 'x', { overwrite: true });
    assert.equal(modeOf(p), 0o600);
    assert.equal(readKeyFile(p).label, 'x');
  });

  it('refuses to write a secret key of the wrong length', () => {
    const p = freshPath();
    assert.throws(
      () => writeKeyFile(p, new Uint8Array(31), 'x'),
      (e: unknown) => e instanceof KeyError && e.code === 'bad-length',
    );
    assert.equal(fs.existsSync(p), false);
  });

  it('gives a clear bad-key-file error for missing and corrupt files', () => {
    const missing = freshPath();
    assertBadKeyFile(() => readKeyFile(missing), missing, 'cannot read');

    const badJson = freshPath();
    fs.writeFileSync(badJson, '{"type": "bftledger-ed25519-secret", ');
    assertBadKeyFile(() => readKeyFile(badJson), badJson, 'not valid JSON');

    const notObject = freshPath();
    fs.writeFileSync(notObject, '[1, 2]');
    assertBadKeyFile(() => readKeyFile(notObject), notObject, 'JSON object');

    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'something-else' }, '"type"'],
      [{ label: 7 }, '"label"'],
      [{ secretKey: 'ab'.repeat(31) }, '"secretKey" must be 64 hex characters, found 62'],
      [{ secretKey: 'ab'.repeat(33) }, '"secretKey" must be 64 hex characters'],
      [{ publicKey: 'ab'.repeat(16) }, '"publicKey" must be 64 hex characters'],
      [{ secretKey: `${'ab'.repeat(31)}zz` }, '"secretKey"'],
      [{ secretKey: 12 }, '"secretKey" must be a hex string'],
      [{ publicKey: toHex(publicKeyOf(generateSecretKey())) }, 'does not match'],
      [{ publicKey: `01${'00'.repeat(31)}` }, 'small-order'],
      [{ publicKey: '79fb080e0d45bc42f286bd25f90228cf30b35b16b2ef58fad7b7befd184637ce' }, 'torsion'],
    ];
    for (const [fields, reason] of cases) {
      const p = freshPath();
      writeDoc(p, fields);
      assertBadKeyFile(() => readKeyFile(p), p, reason);
    }
  });
});
