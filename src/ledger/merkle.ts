/**
 * The state digest: a binary Merkle tree over leaves sorted by key bytes.
 *
 * - leaf hash = H(0x00 || leaf bytes); inner node = H(0x01 || left || right).
 * - Odd-node rule: at each level, a last node without a right sibling is promoted unchanged to the
 *   next level (never duplicated, so no two leaf lists share a root).
 * - The root of one leaf is its leaf hash; the root of no leaves is H(empty string).
 *
 * Leaves are only inserted or updated (accounts and client records are never deleted). The tree
 * caches every level and, at `root()`, rehashes only dirty leaves, their paths, and the nodes at or
 * right of the first inserted position (an insertion shifts everything after it).
 *
 * `orderedTree` builds the same kind of tree over leaves in a given order (no keys, no sorting), and
 * `rootOfProof` recomputes a root from one leaf and its path: a batch's signed replies use both.
 */
import { bytesEqual, compareBytes, concatBytes, type HashFn } from './bytes.js';

/** Domain byte of a leaf hash. */
const LEAF_DOMAIN = 0x00;
/** Domain byte of an inner node hash. */
const NODE_DOMAIN = 0x01;

/** The sibling path from one leaf to the root. */
export interface MerkleProof {
  /** The leaf's position in key order. */
  readonly index: number;
  /** How many leaves the tree had: with `index` it fixes where siblings sit and where nodes are promoted. */
  readonly leafCount: number;
  /** Sibling hashes from the leaf level up; promoted levels contribute none. */
  readonly siblings: readonly Uint8Array[];
}

/** One leaf and where it sits. */
interface Leaf {
  /** Sort key (unique). */
  readonly key: Uint8Array;
  /** Canonical leaf bytes. */
  bytes: Uint8Array;
  /** H(0x00 || bytes), or null until recomputed. */
  hash: Uint8Array | null;
  /** Position in key order; valid for sorted leaves after a refresh. */
  index: number;
}

/** A map id for a key: one char per byte, so distinct keys give distinct ids. */
function keyId(key: Uint8Array): string {
  return String.fromCharCode(...key);
}

/** H(0x00 || bytes). */
export function leafHash(hash: HashFn, bytes: Uint8Array): Uint8Array {
  return hash(concatBytes(LEAF_DOMAIN, bytes));
}

/** H(0x01 || left || right). */
export function nodeHash(hash: HashFn, left: Uint8Array, right: Uint8Array): Uint8Array {
  return hash(concatBytes(NODE_DOMAIN, left, right));
}

/**
 * How many sibling hashes the path of leaf `index` in a tree of `leafCount` leaves holds: one per
 * level where the node has a sibling (a promoted last node has none). -1 when `index` is not a leaf.
 */
export function proofLength(index: number, leafCount: number): number {
  if (!Number.isSafeInteger(leafCount) || !Number.isSafeInteger(index)) return -1;
  if (index < 0 || index >= leafCount) return -1;
  let used = 0;
  for (let i = index, n = leafCount; n > 1; i = Math.floor(i / 2), n = Math.ceil(n / 2)) {
    if (i % 2 === 1 || i + 1 < n) used++;
  }
  return used;
}

/**
 * The root that `proof` leads to from a leaf whose hash is `leaf` (already `leafHash`ed), or
 * undefined when the proof does not fit its shape: an index outside the tree, a sibling of another
 * length than the leaf hash, or too few or too many siblings. Never throws.
 */
export function rootOfProof(leaf: Uint8Array, proof: MerkleProof, hash: HashFn): Uint8Array | undefined {
  const { index, leafCount, siblings } = proof;
  if (!Array.isArray(siblings) || proofLength(index, leafCount) !== siblings.length) return undefined;
  let node = leaf;
  let used = 0;
  for (let i = index, n = leafCount; n > 1; i = Math.floor(i / 2), n = Math.ceil(n / 2)) {
    if (i % 2 === 1 || i + 1 < n) {
      const sibling = siblings[used++];
      if (!(sibling instanceof Uint8Array) || sibling.length !== leaf.length) return undefined;
      node = i % 2 === 1 ? nodeHash(hash, sibling, node) : nodeHash(hash, node, sibling);
    }
  }
  return node;
}

/** True when `leaf` is the leaf at `proof.index` of a tree with root `root`. Never throws. */
export function verifyProof(root: Uint8Array, leaf: Uint8Array, proof: MerkleProof, hash: HashFn): boolean {
  const computed = rootOfProof(leafHash(hash, leaf), proof, hash);
  return computed !== undefined && bytesEqual(computed, root);
}

/**
 * A tree over leaf hashes in the order given (no sorting), under the same rules as `MerkleTree`:
 * its root and every leaf's proof. For small one-off trees (a batch's replies); at least one leaf.
 */
export function orderedTree(
  leaves: readonly Uint8Array[],
  hash: HashFn,
): { readonly root: Uint8Array; readonly proofs: readonly MerkleProof[] } {
  if (leaves.length === 0) throw new RangeError('orderedTree: no leaves');
  const levels: Uint8Array[][] = [[...leaves]];
  for (let below = levels[0]!; below.length > 1; ) {
    const up: Uint8Array[] = [];
    for (let j = 0; 2 * j < below.length; j++) {
      const left = below[2 * j]!;
      const right = below[2 * j + 1];
      up.push(right === undefined ? left : nodeHash(hash, left, right));
    }
    levels.push(up);
    below = up;
  }
  const proofs = leaves.map((_, index) => {
    const siblings: Uint8Array[] = [];
    let i = index;
    for (let k = 0; k < levels.length - 1; k++) {
      const sibling = levels[k]![i % 2 === 1 ? i - 1 : i + 1];
      if (sibling !== undefined) siblings.push(sibling);
      i = Math.floor(i / 2);
    }
    return { index, leafCount: leaves.length, siblings };
  });
  return { root: levels[levels.length - 1]![0]!, proofs };
}

/** An incrementally maintained Merkle tree over keyed leaves. */
export class MerkleTree {
  /** Every leaf by its key as a byte-per-char string, for lookup only (never iterated). */
  private readonly byKey = new Map<string, Leaf>();
  /** Leaves in key order, as of the last refresh. */
  private readonly sorted: Leaf[] = [];
  /** Leaves inserted since the last refresh, in any order. */
  private pending: Leaf[] = [];
  /** Leaves whose hash must be recomputed (new ones included). */
  private readonly dirty = new Set<Leaf>();
  /** levels[0] are leaf hashes in key order; levels[k + 1] are the parents of levels[k]; the last holds the root. */
  private readonly levels: Uint8Array[][] = [[]];

  constructor(private readonly hash: HashFn) {}

  /** Number of leaves. */
  get size(): number {
    return this.byKey.size;
  }

  /** Inserts or replaces the leaf under `key`. Cheap: hashing waits for `root()`. */
  upsert(key: Uint8Array, bytes: Uint8Array): void {
    const id = keyId(key);
    const leaf = this.byKey.get(id);
    if (leaf === undefined) {
      const fresh: Leaf = { key: key.slice(), bytes, hash: null, index: -1 };
      this.byKey.set(id, fresh);
      this.pending.push(fresh);
      this.dirty.add(fresh);
      return;
    }
    if (bytesEqual(leaf.bytes, bytes)) return;
    leaf.bytes = bytes;
    leaf.hash = null;
    this.dirty.add(leaf);
  }

  /** The root hash (see the module comment for the exact rules). */
  root(): Uint8Array {
    this.refresh();
    const top = this.levels[this.levels.length - 1]![0];
    return top ?? this.hash(new Uint8Array(0));
  }

  /** The sibling path of the leaf under `key`, or undefined when there is none. */
  proof(key: Uint8Array): MerkleProof | undefined {
    this.refresh();
    const leaf = this.byKey.get(keyId(key));
    if (leaf === undefined) return undefined;
    const siblings: Uint8Array[] = [];
    let i = leaf.index;
    for (let k = 0; k < this.levels.length - 1; k++) {
      const sibling = this.levels[k]![i % 2 === 1 ? i - 1 : i + 1];
      if (sibling !== undefined) siblings.push(sibling.slice());
      i = Math.floor(i / 2);
    }
    return { index: leaf.index, leafCount: this.sorted.length, siblings };
  }

  /** Brings every level up to date with the leaves. */
  private refresh(): void {
    if (this.dirty.size === 0) return;
    const cut = this.mergePending();
    const leaves = this.levels[0]!;
    const changed = new Set<number>();
    for (const leaf of this.dirty) {
      const h = leafHash(this.hash, leaf.bytes);
      leaf.hash = h;
      if (leaf.index < cut) {
        leaves[leaf.index] = h;
        changed.add(leaf.index);
      }
    }
    this.dirty.clear();
    leaves.length = this.sorted.length;
    for (let i = cut; i < this.sorted.length; i++) leaves[i] = this.sorted[i]!.hash!;
    this.rehashAbove(cut, changed);
  }

  /** Merges pending leaves into key order; returns the first position whose leaf changed place. */
  private mergePending(): number {
    const sorted = this.sorted;
    if (this.pending.length === 0) return sorted.length;
    const incoming = this.pending.sort((a, b) => compareBytes(a.key, b.key));
    this.pending = [];
    const first = incoming[0]!.key;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(sorted[mid]!.key, first) < 0) lo = mid + 1;
      else hi = mid;
    }
    const tail = sorted.splice(lo);
    let t = 0;
    let p = 0;
    while (t < tail.length || p < incoming.length) {
      const a = tail[t];
      const b = incoming[p];
      if (b === undefined || (a !== undefined && compareBytes(a.key, b.key) < 0)) {
        sorted.push(a!);
        t++;
      } else {
        sorted.push(b);
        p++;
      }
    }
    for (let i = lo; i < sorted.length; i++) sorted[i]!.index = i;
    return lo;
  }

  /**
   * Recomputes inner nodes: at each level, every node at or right of the cut (shifted or new) and the
   * parents of nodes that changed left of it. Nodes left of the cut with unchanged children are kept.
   */
  private rehashAbove(leafCut: number, changedLeaves: Set<number>): void {
    let below = this.levels[0]!;
    let cut = leafCut;
    let changed = changedLeaves;
    let k = 0;
    while (below.length > 1) {
      const width = Math.ceil(below.length / 2);
      const here = this.levels[k + 1] ?? [];
      this.levels[k + 1] = here;
      here.length = width;
      cut = Math.floor(cut / 2);
      const parents = new Set<number>();
      for (const i of changed) {
        const j = Math.floor(i / 2);
        if (j < cut) parents.add(j);
      }
      for (const j of parents) here[j] = this.parent(below, j);
      for (let j = cut; j < width; j++) here[j] = this.parent(below, j);
      below = here;
      changed = parents;
      k++;
    }
    this.levels.length = k + 1;
  }

  /** Node j of the level above `below`, under the promotion rule. */
  private parent(below: Uint8Array[], j: number): Uint8Array {
    const left = below[2 * j]!;
    const right = below[2 * j + 1];
    return right === undefined ? left : nodeHash(this.hash, left, right);
  }
}
