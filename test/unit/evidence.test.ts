/**
 * Evidence: the core reports two validly signed, conflicting messages of one replica for one slot,
 * and an evidence file re-verifies with the replica's public key alone.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ed25519Signer } from '../../src/crypto/ed25519.js';
import { generateSecretKey } from '../../src/crypto/keys.js';
import { evidenceFile, verifyEvidence } from '../../src/evidence/evidence.js';
import { seal } from '../../src/messages/envelope.js';
import {
  asReplica,
  deliver,
  makeCluster,
  makeReplica,
  ofType,
  prePrepare,
  request,
} from '../support/cluster.js';

const c = makeCluster(4);

describe('evidence of equivocation', () => {
  test('rule: a second pre-prepare for the same (view, seq) with another digest yields evidence against the primary', () => {
    const { replica } = makeReplica(c, 2);
    const first = prePrepare(c, 0, 1, [request(c, 1, 1)]);
    const second = prePrepare(c, 0, 1, [request(c, 2, 1)]);
    deliver(c, replica, first);
    const [ev] = ofType(deliver(c, replica, second), 'evidence');
    assert.equal(ev?.replica, 0);
    assert.deepEqual(ev?.first.bytes, first.bytes);
    assert.deepEqual(ev?.second.bytes, second.bytes);
    assert.equal(ofType(deliver(c, replica, second), 'evidence').length, 0, 'reported once per slot');
  });

  test('rule: conflicting prepares, commits and checkpoints of one replica yield evidence', () => {
    const { replica } = makeReplica(c, 1);
    const d1 = new Uint8Array(32).fill(1);
    const d2 = new Uint8Array(32).fill(2);
    deliver(c, replica, asReplica(c, 3, 'prepare', { view: 0, seq: 1, digest: d1 }));
    assert.equal(
      ofType(deliver(c, replica, asReplica(c, 3, 'prepare', { view: 0, seq: 1, digest: d2 })), 'evidence')
        .length,
      1,
    );
    deliver(c, replica, asReplica(c, 2, 'commit', { view: 0, seq: 2, digest: d1 }));
    assert.equal(
      ofType(deliver(c, replica, asReplica(c, 2, 'commit', { view: 0, seq: 2, digest: d2 })), 'evidence')
        .length,
      1,
    );
    deliver(c, replica, asReplica(c, 0, 'checkpoint', { seq: 4, stateDigest: d1 }));
    const cp = ofType(
      deliver(c, replica, asReplica(c, 0, 'checkpoint', { seq: 4, stateDigest: d2 })),
      'evidence',
    );
    assert.equal(cp[0]?.replica, 0);
  });

  test('an evidence file re-verifies with the public key alone; tampering, agreement or another slot is refused', () => {
    const secret = generateSecretKey();
    const signer = Ed25519Signer.fromSecretKey(secret);
    const cluster = new Uint8Array(16).fill(3);
    const a = seal(signer, cluster, 'commit', 2, { view: 4, seq: 9, digest: new Uint8Array(32).fill(1) });
    const b = seal(signer, cluster, 'commit', 2, { view: 4, seq: 9, digest: new Uint8Array(32).fill(2) });
    const file = evidenceFile(cluster, signer.publicKey, a, b);
    assert.deepEqual(verifyEvidence(JSON.parse(JSON.stringify(file))), {
      valid: true,
      replica: 2,
      kind: 'commit',
      view: 4,
      seq: 9,
    });
    const same = evidenceFile(cluster, signer.publicKey, a, a);
    assert.equal(verifyEvidence(same).valid, false);
    const other = seal(signer, cluster, 'commit', 2, {
      view: 4,
      seq: 10,
      digest: new Uint8Array(32).fill(2),
    });
    assert.equal(verifyEvidence(evidenceFile(cluster, signer.publicKey, a, other)).valid, false);
    // The signature's last byte is S's top byte, below 0x10 for a canonical S (so it is 00 one time in
    // 16): change its high hex digit, which always yields another signature.
    const hex = file.messages[1];
    const flipped = `${hex.slice(0, -2)}${hex.at(-2) === '0' ? '1' : '0'}${hex.slice(-1)}`;
    const tampered = { ...file, messages: [file.messages[0], flipped] };
    assert.equal(verifyEvidence(tampered).valid, false);
    const wrongKey = { ...file, publicKey: file.publicKey.replace(/^../, 'ff') };
    assert.equal(verifyEvidence(wrongKey).valid, false);
    assert.equal(verifyEvidence({ type: 'something else' }).valid, false);
    assert.equal(verifyEvidence(null).valid, false);
  });
});
