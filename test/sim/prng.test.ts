/** The seeded PRNG and the event queue: determinism, ranges, independent streams, tie order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveSeed, type Prng, seededRng } from '../../src/core/prng.js';
import { EventQueue } from '../../src/sim/event-queue.js';

/** The first `count` 32-bit outputs of a generator. */
function draws(rng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => rng.u32());
}

describe('Prng', () => {
  it('is deterministic per seed and differs between nearby seeds', () => {
    assert.deepEqual(draws(seededRng(42), 50), draws(seededRng(42), 50));
    assert.notDeepEqual(draws(seededRng(42), 50), draws(seededRng(43), 50));
    assert.notDeepEqual(draws(seededRng(0), 50), draws(seededRng(1), 50));
  });

  it('keeps next() in [0, 1) and int(bound) in [0, bound) with every value reachable', () => {
    const rng = seededRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      const x = rng.next();
      assert.ok(x >= 0 && x < 1);
      const k = rng.int(10);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 10);
      seen.add(k);
      const r = rng.range(-3, 3);
      assert.ok(r >= -3 && r <= 3);
    }
    assert.equal(seen.size, 10);
  });

  it('is roughly uniform', () => {
    const rng = seededRng(99);
    const buckets = new Array<number>(8).fill(0);
    const total = 80_000;
    for (let i = 0; i < total; i++) buckets[rng.int(8)]! += 1;
    for (const b of buckets) assert.ok(Math.abs(b - total / 8) < total / 80, `bucket ${b}`);
  });

  it('refuses bad bounds', () => {
    const rng = seededRng(1);
    assert.throws(() => rng.int(0), RangeError);
    assert.throws(() => rng.int(1.5), RangeError);
    assert.throws(() => rng.pick([]), RangeError);
  });

  it('forks streams by label, independent of how much the parent consumed', () => {
    const a = seededRng(5);
    const b = seededRng(5);
    draws(b, 1000);
    assert.deepEqual(draws(a.fork('network'), 20), draws(b.fork('network'), 20));
    assert.notDeepEqual(draws(a.fork('network'), 20), draws(a.fork('clients'), 20));
    assert.notDeepEqual(draws(a.fork('network'), 20), draws(seededRng(6).fork('network'), 20));
    assert.equal(a.fork('x').seed, deriveSeed(5, 'x'));
  });

  it('chance(p) draws once whatever p is', () => {
    const a = seededRng(3);
    const b = seededRng(3);
    a.chance(0);
    b.chance(1);
    assert.equal(a.u32(), b.u32());
  });
});

describe('EventQueue', () => {
  it('pops in time order and, at equal times, in insertion order', () => {
    const q = new EventQueue<string>();
    q.push(5, 'e');
    q.push(1, 'a');
    q.push(3, 'c1');
    q.push(3, 'c2');
    q.push(2, 'b');
    q.push(3, 'c3');
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e.event);
    assert.deepEqual(out, ['a', 'b', 'c1', 'c2', 'c3', 'e']);
  });

  it('stays ordered under random interleaving of pushes and pops', () => {
    const rng = seededRng(11);
    const q = new EventQueue<number>();
    let order = 0;
    let last = { at: -1, order: -1 };
    for (let i = 0; i < 5000; i++) {
      if (rng.chance(0.6) || q.size === 0) {
        const at = Math.max(last.at, 0) + rng.int(20);
        q.push(at, order++);
      } else {
        const e = q.pop()!;
        assert.ok(e.at > last.at || (e.at === last.at && e.event > last.order), 'monotone (time, insertion)');
        last = { at: e.at, order: e.event };
      }
    }
    assert.equal(q.peekTime() === undefined, q.size === 0);
  });

  it('refuses non-finite times', () => {
    assert.throws(() => new EventQueue<number>().push(Number.NaN, 1), RangeError);
  });
});
