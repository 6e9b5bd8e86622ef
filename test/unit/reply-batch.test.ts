/**
 * Batch-signed replies: the ordered Merkle tree (leaf, root and path round trips, odd counts, 1 and
 * 64 leaves, the ledger's conventions), one signature per batch, the reply root's own signing
 * domain, and path checks that refuse malformed input without throwing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sha256 } from '../../src/crypto/hash.js';
import type { Signer } from '../../src/crypto/types.js';
import {
  leafHash,
  MerkleTree,
  nodeHash,
  orderedTree,
  proofLength,
  rootOfProof,
  verifyProof,
} from '../../src/ledger/merkle.js';
import {
  BODIES,
  CFT_KIND_TAGS,
  encode,
  KIND_TAGS,
  type Kind,
  LIMITS,
  openFrame,
  REPLY_ROOT,
  REPLY_ROOT_TAG,
  replyLeafHash,
  replyRootOf,
  rootEnvelope,
  rootSigningBytes,
  sealReplies,
  signingBytes,
} from '../../src/messages/index.js';
import { CLUSTER, contextOf, keyedHashKeys, OTHER_CLUSTER } from './messages-fixtures.js';

const keys = keyedHashKeys();
const ctx = contextOf(keys);
const bytesOf = (i: number) => Uint8Array.of(i >> 8, i & 0xff, 0x5a);
const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => leafHash(sha256, bytesOf(i)));

describe('ordered Merkle tree', () => {
  it('every leaf of trees of 1..64 leaves leads back to the root through its path', () => {
    for (let n = 1; n <= 64; n++) {
      const leaves = leavesOf(n);
      const { root, proofs } = orderedTree(leaves, sha256);
      assert.equal(proofs.length, n);
      for (const [i, proof] of proofs.entries()) {
        assert.deepEqual([proof.index, proof.leafCount], [i, n]);
        assert.equal(proof.siblings.length, proofLength(i, n), `leaf ${i} of ${n}: path length`);
        assert.deepEqual(rootOfProof(leaves[i]!, proof, sha256), root, `leaf ${i} of ${n}`);
        assert.ok(verifyProof(root, bytesOf(i), proof, sha256));
      }
    }
  });

  it('one leaf: the root is the leaf hash, the path empty', () => {
    const [leaf] = leavesOf(1);
    const { root, proofs } = orderedTree([leaf!], sha256);
    assert.deepEqual(root, leaf);
    assert.deepEqual(proofs[0]!.siblings, []);
  });

  it('odd counts promote the last node unchanged: three leaves, five leaves', () => {
    const [a, b, c, d, e] = leavesOf(5) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const h = (l: Uint8Array, r: Uint8Array) => nodeHash(sha256, l, r);
    assert.deepEqual(orderedTree([a, b, c], sha256).root, h(h(a, b), c));
    assert.deepEqual(orderedTree([a, b, c, d, e], sha256).root, h(h(h(a, b), h(c, d)), e));
    assert.equal(proofLength(4, 5), 1, 'the promoted leaf has one sibling: the left subtree');
  });

  it('64 leaves: six siblings each', () => {
    const { proofs } = orderedTree(leavesOf(64), sha256);
    assert.ok(proofs.every((p) => p.siblings.length === 6));
  });

  it('is the ledger tree when the leaves come in key order', () => {
    for (const n of [1, 2, 3, 7, 16, 33]) {
      const tree = new MerkleTree(sha256);
      for (let i = n - 1; i >= 0; i--) tree.upsert(bytesOf(i).subarray(0, 2), bytesOf(i));
      assert.deepEqual(orderedTree(leavesOf(n), sha256).root, tree.root(), `${n} leaves`);
    }
  });

  it('keeps execution order: swapping two leaves changes the root', () => {
    const leaves = leavesOf(4);
    const swapped = [leaves[1]!, leaves[0]!, leaves[2]!, leaves[3]!];
    assert.notDeepEqual(orderedTree(leaves, sha256).root, orderedTree(swapped, sha256).root);
  });

  it('refuses a path that does not fit, and never throws on any shape', () => {
    const leaves = leavesOf(5);
    const { proofs } = orderedTree(leaves, sha256);
    const p = proofs[1]!;
    const leaf = leaves[1]!;
    assert.equal(rootOfProof(leaf, { ...p, siblings: p.siblings.slice(1) }, sha256), undefined, 'one short');
    assert.equal(rootOfProof(leaf, { ...p, siblings: [...p.siblings, leaf] }, sha256), undefined, 'one long');
    assert.equal(rootOfProof(leaf, { ...p, index: 5 }, sha256), undefined, 'index = leafCount');
    assert.equal(rootOfProof(leaf, { ...p, index: -1 }, sha256), undefined, 'negative index');
    assert.equal(rootOfProof(leaf, { ...p, leafCount: 0 }, sha256), undefined, 'no leaves');
    const short = [p.siblings[0]!.subarray(1), ...p.siblings.slice(1)];
    assert.equal(rootOfProof(leaf, { ...p, siblings: short }, sha256), undefined, 'a 31-byte sibling');
    fc.assert(
      fc.property(
        fc.integer({ min: -2, max: 70 }),
        fc.integer({ min: -2, max: 70 }),
        fc.array(fc.uint8Array({ minLength: 31, maxLength: 33 }), { maxLength: 8 }),
        (index, leafCount, siblings) => {
          const root = rootOfProof(leaf, { index, leafCount, siblings }, sha256);
          assert.ok(root === undefined || root.length === 32);
        },
      ),
      { seed: 4, numRuns: 2_000 },
    );
  });

  it("the schema's path bound covers a full batch", () => {
    assert.ok(Math.ceil(Math.log2(LIMITS.maxBatch)) <= LIMITS.maxReplyPath);
    for (let i = 0; i < LIMITS.maxBatch; i++)
      assert.ok(proofLength(i, LIMITS.maxBatch) <= LIMITS.maxReplyPath);
  });
});

describe('batch-signed replies', () => {
  /** Replica 1's signer, counting its signatures. */
  const counting = () => {
    const own = keys.replica(1);
    const counter = { signatures: 0 };
    const signer: Signer = {
      publicKey: own.publicKey,
      sign: (data) => {
        counter.signatures++;
        return own.sign(data);
      },
    };
    return { signer, counter };
  };
  const entries = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ client: 100 + (i % 4), timestamp: i + 1, result: bytesOf(i) }));

  for (const n of [1, 2, 3, 17, 64]) {
    it(`${n} replies: one signature; each reply verifies alone and leads to the same signed root`, () => {
      const { signer, counter } = counting();
      const replies = sealReplies(signer, sha256, CLUSTER, 1, { view: 2, seq: 9 }, entries(n));
      assert.equal(counter.signatures, 1);
      const roots = new Set<string>();
      for (const [i, r] of replies.entries()) {
        assert.deepEqual([r.body.index, r.body.leafCount, r.body.view, r.body.seq], [i, n, 2, 9]);
        const opened = openFrame(r.bytes, ctx);
        assert.ok(opened.ok, `reply ${i}: ${opened.ok ? '' : opened.detail}`);
        const root = replyRootOf(sha256, CLUSTER, 1, r.body);
        assert.ok(root !== undefined);
        roots.add(Buffer.from(rootEnvelope(CLUSTER, 1, root, r.bytes.subarray(-64))).toString('hex'));
      }
      assert.equal(roots.size, 1);
    });
  }

  it('a lone reply: root = its leaf hash, empty path', () => {
    const [r] = sealReplies(keys.replica(1), sha256, CLUSTER, 1, { view: 0, seq: 1 }, entries(1));
    assert.deepEqual(r!.body.path, []);
    assert.deepEqual(
      replyRootOf(sha256, CLUSTER, 1, r!.body)?.root,
      replyLeafHash(sha256, CLUSTER, 1, r!.body),
    );
  });

  it('a leaf commits to the cluster, the replica and every reply field', () => {
    const base = { view: 1, seq: 2, client: 100, timestamp: 3, result: Uint8Array.of(1) };
    const leaf = (cluster: Uint8Array, sender: number, patch = {}) =>
      Buffer.from(replyLeafHash(sha256, cluster, sender, { ...base, ...patch })).toString('hex');
    const variants = [
      leaf(CLUSTER, 1),
      leaf(OTHER_CLUSTER, 1),
      leaf(CLUSTER, 2),
      leaf(CLUSTER, 1, { view: 2 }),
      leaf(CLUSTER, 1, { seq: 3 }),
      leaf(CLUSTER, 1, { client: 101 }),
      leaf(CLUSTER, 1, { timestamp: 4 }),
      leaf(CLUSTER, 1, { result: Uint8Array.of(2) }),
      leaf(CLUSTER, 1, { result: Uint8Array.of(1, 0) }),
    ];
    assert.equal(new Set(variants).size, variants.length);
  });

  it('a root is signed under its own domain tag: never a kind, never a frame', () => {
    const tags = new Set<number>([...Object.values(KIND_TAGS), ...Object.values(CFT_KIND_TAGS)]);
    assert.ok(!tags.has(REPLY_ROOT_TAG));
    const root = { view: 0, seq: 1, leafCount: 1, root: new Uint8Array(32) };
    const body = encode(REPLY_ROOT, root);
    const data = rootSigningBytes(CLUSTER, 1, root);
    for (const kind of Object.keys(KIND_TAGS) as Kind[]) {
      assert.notDeepEqual(signingBytes(kind, CLUSTER, 1, body), data, `${kind} signing bytes`);
    }
    const asFrame = openFrame(rootEnvelope(CLUSTER, 1, root, keys.replica(1).sign(data)), ctx);
    assert.equal(asFrame.ok ? 'accepted' : asFrame.reason, 'unknown-kind');
  });

  it('a reply body signed the old way (over its body) is refused', () => {
    const [r] = sealReplies(keys.replica(1), sha256, CLUSTER, 1, { view: 0, seq: 1 }, entries(1));
    const body = encode(BODIES.reply, r!.body);
    const bodySigned = keys.replica(1).sign(signingBytes('reply', CLUSTER, 1, body));
    const frame = Uint8Array.from(r!.bytes);
    frame.set(bodySigned, frame.length - 64);
    const opened = openFrame(frame, ctx);
    assert.equal(opened.ok ? 'accepted' : opened.reason, 'bad-signature');
  });
});
