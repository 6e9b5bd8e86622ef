/**
 * Forged-certificate evidence files and the receiver's watch: a message whose own signature fails
 * proves nothing, a tampered file fails verification, the keys and f are checked against a
 * cluster's, and the watch judges each envelope once with a bounded number of proofs per replica.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkAgainstCluster, verifyEvidence } from '../../src/evidence/evidence.js';
import { forgedCertificateFile } from '../../src/evidence/forged-certificate.js';
import { ForgeryWatch, judgeForged } from '../../src/evidence/forgery.js';
import { openFrame, seal } from '../../src/messages/index.js';
import {
  ACCUSED,
  digest,
  fileFor,
  honestVc,
  KEYS,
  keys,
  NEW_VIEW,
  nvBytes,
  PRIMARY,
  PUBLIC_KEYS,
  prepare5,
  REQ,
  vcBytes,
  withCert,
} from './evidence-fixtures.js';
import { CLUSTER, contextOf, F, OTHER_CLUSTER, prepareBytes } from './messages-fixtures.js';

describe('forged-certificate evidence files', () => {
  test('a message whose own signature fails, or of another cluster, proves nothing', () => {
    const forgedBody = withCert((c) => ({ prepares: [c.prepares[0]!] }));
    const badOuter = seal(keys.outsider, CLUSTER, 'view-change', ACCUSED, forgedBody).bytes;
    const j = judgeForged(badOuter, KEYS);
    assert.ok(!j.forged && j.reason.includes('outer signature'), JSON.stringify(j));
    const elsewhere = seal(keys.replica(ACCUSED), OTHER_CLUSTER, 'view-change', ACCUSED, forgedBody).bytes;
    assert.equal(judgeForged(elsewhere, KEYS).forged, false);
    const prepare = prepareBytes(keys, 2, 1, 5, digest(1));
    assert.equal(
      judgeForged(prepare, KEYS).forged,
      false,
      'only view-changes and new-views carry certificates',
    );
  });

  test('an evidence file whose outer signature is bad fails verification', () => {
    const file = fileFor(vcBytes(withCert((c) => ({ prepares: [c.prepares[0]!] }))));
    const forgedBody = withCert((c) => ({ prepares: [c.prepares[0]!] }));
    const badOuter = seal(keys.outsider, CLUSTER, 'view-change', ACCUSED, forgedBody).bytes;
    const verdict = verifyEvidence({ ...file, message: Buffer.from(badOuter).toString('hex') });
    assert.ok(!verdict.valid && verdict.reason.includes('outer signature'), JSON.stringify(verdict));
  });

  test('a tampered evidence file fails verification', () => {
    const bytes = vcBytes(withCert((c) => ({ prepares: [c.prepares[0]!, prepare5(2, 3)] })));
    const file = fileFor(bytes);
    assert.equal(verifyEvidence(file).valid, true);
    const hex = file.message as string;
    const mid = hex.length / 2;
    const flipped = `${hex.slice(0, mid)}${hex[mid] === '0' ? '1' : '0'}${hex.slice(mid + 1)}`;
    const keysHex = file.publicKeys as string[];
    const tampered: Record<string, unknown>[] = [
      { ...file, message: flipped },
      { ...file, replica: 1 },
      { ...file, view: 7 },
      { ...file, check: 'view-change prepared[0].prepares[0]: bad signature' },
      { ...file, rule: 'certificate' },
      { ...file, explanation: 'nothing to see' },
      { ...file, extra: true },
      { ...file, publicKeys: keysHex.map((k, i) => (i === ACCUSED ? keysHex[0]! : k)) },
      // Replica 2's key set to the one that signed its prepare: the prepare now verifies.
      { ...file, publicKeys: keysHex.map((k, i) => (i === 2 ? keysHex[3]! : k)) },
      { ...file, publicKeys: keysHex.slice(0, 3) },
      { ...file, message: 'zz' },
    ];
    // f is a premise like the keys: it counts where the failed check depends on it (and --dir checks it).
    const short = fileFor(vcBytes(withCert((c) => ({ prepares: [c.prepares[0]!] }))));
    assert.equal(verifyEvidence({ ...short, f: 0 }).valid, false, 'with f = 0 one prepare is enough');
    for (const t of tampered) {
      const verdict = verifyEvidence(t);
      assert.equal(
        verdict.valid,
        false,
        `${Object.keys(t).find((k) => t[k] !== file[k])}: ${JSON.stringify(verdict)}`,
      );
    }
  });

  test("the file's keys and f are checked against a cluster's", () => {
    const file = fileFor(vcBytes(withCert((c) => ({ prepares: [c.prepares[0]!] }))));
    const ref = { clusterId: CLUSTER, f: F, publicKeys: PUBLIC_KEYS };
    assert.equal(checkAgainstCluster(file, ACCUSED, ref), undefined);
    // A structural forgery verifies whatever the other replicas' keys; the cluster check catches a swap.
    const outsider = Buffer.from(keys.outsider.publicKey).toString('hex');
    const swapped = {
      ...file,
      publicKeys: (file.publicKeys as string[]).map((k, i) => (i === 0 ? outsider : k)),
    };
    assert.equal(verifyEvidence(swapped).valid, true);
    assert.match(checkAgainstCluster(swapped, ACCUSED, ref) ?? '', /key of replica 0/);
    assert.match(checkAgainstCluster(file, ACCUSED, { ...ref, f: 0 }) ?? '', /^f 1/);
    assert.match(
      checkAgainstCluster(file, ACCUSED, { ...ref, clusterId: OTHER_CLUSTER }) ?? '',
      /cluster id/,
    );
  });
});

describe('the forgery watch', () => {
  const forged = (k: number) =>
    vcBytes({ ...withCert((c) => ({ prepares: [c.prepares[0]!] })), newView: 2 + k });

  test('judges refused frames once each, only certificate faults, and keeps a bounded number per replica', () => {
    const watch = new ForgeryWatch(KEYS, 2);
    assert.equal(watch.refused(forged(0), 'bad-signature'), undefined, 'not a certificate fault');
    assert.equal(watch.refused(forged(0), 'bad-certificate')?.replica, ACCUSED);
    assert.equal(watch.refused(forged(0), 'bad-certificate'), undefined, 'judged once');
    assert.equal(watch.refused(forged(1), 'bad-certificate')?.replica, ACCUSED);
    assert.equal(watch.refused(forged(2), 'bad-certificate'), undefined, 'two per replica');
    const other = vcBytes(
      withCert((c) => ({ prepares: [c.prepares[0]!] })),
      1,
    );
    assert.equal(watch.refused(other, 'bad-certificate')?.replica, 1);
  });

  test('a verified NEW-VIEW that is not its recomputation is a proof whose file verifies', () => {
    const watch = new ForgeryWatch(KEYS);
    const honest = openFrame(nvBytes([{ seq: 5, requests: [REQ] }]), contextOf(keys));
    const lying = openFrame(nvBytes([{ seq: 5 }]), contextOf(keys));
    assert.ok(honest.ok && lying.ok);
    assert.equal(watch.verified(honest.value), undefined);
    const p = watch.verified(lying.value);
    assert.ok(p !== undefined);
    assert.equal(p.rule, 'recomputation');
    const file = JSON.parse(JSON.stringify(forgedCertificateFile(CLUSTER, F, PUBLIC_KEYS, p)));
    assert.deepEqual(verifyEvidence(file), {
      valid: true,
      replica: PRIMARY,
      kind: 'forged-certificate',
      message: 'new-view',
      view: NEW_VIEW,
      rule: 'recomputation',
      check: p.check,
    });
    const vc = openFrame(vcBytes(honestVc()), contextOf(keys));
    assert.ok(vc.ok);
    assert.equal(watch.verified(vc.value), undefined, 'only new-views are recomputed');
  });
});
