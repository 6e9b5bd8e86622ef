/** The replica's cache of verified envelopes: keyed by content, bounded, oldest forgotten first. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerifiedCache } from '../../src/node/principals.js';

const envelope = (i: number) => Uint8Array.from({ length: 40 }, (_, j) => (i * 31 + j) & 0xff);

describe('VerifiedCache', () => {
  it('knows an envelope by its bytes, whichever object carries them', () => {
    const cache = new VerifiedCache(10);
    const e = envelope(1);
    assert.equal(cache.known(e), false, 'looked up before it verified');
    cache.remember([e]);
    assert.equal(cache.known(e), true);
    assert.equal(cache.known(envelope(1)), true, 'a copy with the same bytes');
    assert.equal(cache.known(envelope(2)), false);
    const other = envelope(1);
    other[0]! ^= 1;
    assert.equal(cache.known(other), false, 'one byte differs');
  });

  it('forgets the oldest envelopes beyond its capacity', () => {
    const cache = new VerifiedCache(3);
    cache.remember([1, 2, 3, 4].map(envelope));
    assert.deepEqual(
      [1, 2, 3, 4].map((i) => cache.known(envelope(i))),
      [false, true, true, true],
    );
  });
});
