/**
 * The crash-fault boundary under hostile input: random bytes, and valid frames of every kind with
 * bytes flipped, cut or appended, opened at a replica and at a client from random peers. It never
 * throws, every refusal carries a known reason, and an accepted unsigned frame is canonical (it
 * re-encodes to exactly its bytes) and comes from the authenticated peer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ALL_CFT_REJECT_REASONS,
  type AnyCftVerified,
  type CftBodyOf,
  type CftBoundaryContext,
  type CftChecked,
  type CftKind,
  type CftPeer,
  openCftClientFrame,
  openCftFrame,
  seal,
  sealCft,
} from '../../src/messages/index.js';
import { CLIENT_IDS, CLUSTER, keyedHashKeys } from './messages-fixtures.js';

const keys = keyedHashKeys();
const ctx: CftBoundaryContext = { cluster: CLUSTER, principals: keys.principals };

const small = fc.nat(6);
const term = fc.integer({ min: 0, max: 6 });
const blob = (max: number) => fc.uint8Array({ maxLength: max });
const requestArb = fc.tuple(fc.constantFrom(...CLIENT_IDS), fc.nat(5)).map(
  ([client, timestamp]) =>
    seal(keys.client(client), CLUSTER, 'request', client, {
      client,
      timestamp,
      op: Uint8Array.of(timestamp),
    }).bytes,
);
const clientArb = fc.oneof(fc.constantFrom(...CLIENT_IDS), fc.nat(200));

/** Bodies of every kind, mostly near the valid range so that mutations hit the field checks. */
const BODY: { readonly [K in CftKind]: fc.Arbitrary<CftBodyOf[K]> } = {
  'request-vote': fc.record({ term, lastIndex: small, lastTerm: term }),
  vote: fc.record({ term, granted: fc.boolean() }),
  'append-entries': fc.record({
    term,
    prevIndex: small,
    prevTerm: term,
    leaderCommit: small,
    entries: fc.array(fc.record({ term, requests: fc.array(requestArb, { maxLength: 3 }) }), {
      maxLength: 3,
    }),
  }),
  'append-ack': fc.record({ term, success: fc.boolean(), index: small }),
  'install-snapshot': fc.record({
    term,
    lastIncludedIndex: small,
    lastIncludedTerm: term,
    stateDigest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    part: small,
    parts: small,
    data: blob(40),
  }),
  'cft-reply': fc.record({ term, client: clientArb, timestamp: small, index: small, result: blob(20) }),
  redirect: fc.record({
    term,
    client: clientArb,
    timestamp: small,
    leader: fc.oneof(fc.nat(6), fc.constant(0xffffffff)),
  }),
};

const kindArb = fc.constantFrom(...(Object.keys(BODY) as CftKind[]));
const peerArb: fc.Arbitrary<CftPeer> = fc.oneof(
  fc.record({ role: fc.constant('replica' as const), id: fc.nat(5) }),
  fc.record({ role: fc.constant('client' as const), id: clientArb }),
);
/** A valid-looking frame of some kind, or a signed request. */
const frameArb = fc.oneof(
  kindArb.chain((kind) =>
    fc
      .tuple(BODY[kind] as fc.Arbitrary<never>, fc.nat(5))
      .map(([body, sender]) => sealCft(CLUSTER, { kind, sender, body })),
  ),
  requestArb,
);
/** A mutation of a frame: byte flips, a cut, an appended tail, or nothing. */
const mutatedArb = fc
  .tuple(
    frameArb,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }),
    fc.option(fc.nat()),
    fc.option(blob(4)),
  )
  .map(([bytes, flips, cut, tail]) => {
    const out = new Uint8Array(bytes);
    for (const [at, mask] of flips) if (out.length > 0) out[at % out.length]! ^= mask;
    const cutAt = cut === null ? out.length : cut % (out.length + 1);
    return tail === null ? out.subarray(0, cutAt) : Uint8Array.of(...out.subarray(0, cutAt), ...tail);
  });

/** Checks one outcome's properties. */
function judge(bytes: Uint8Array, from: CftPeer, got: CftChecked<unknown>): void {
  if (!got.ok) {
    assert.ok(ALL_CFT_REJECT_REASONS.includes(got.reason), got.reason);
    return;
  }
  const value = got.value as { type?: string; msg?: AnyCftVerified };
  if (value.type === 'request') return;
  const msg = (value.type === 'protocol' ? value.msg : got.value) as AnyCftVerified;
  assert.equal(msg.sender, from.id, 'sender is the authenticated peer');
  assert.deepEqual(sealCft(CLUSTER, { kind: msg.kind, sender: msg.sender, body: msg.body } as never), bytes);
}

describe('crash-fault boundary fuzz', () => {
  it('never throws on random or mutated frames; refusals carry known reasons; acceptances are canonical', () => {
    fc.assert(
      fc.property(
        fc.oneof(mutatedArb, blob(64)),
        peerArb,
        fc.constantFrom(...CLIENT_IDS),
        (bytes, from, client) => {
          judge(bytes, from, openCftFrame(bytes, ctx, from));
          judge(bytes, from, openCftClientFrame(bytes, ctx, from, client));
        },
      ),
      { numRuns: 20_000, seed: 4242 },
    );
  });

  it('accepts a good share of unmutated frames from their own sender (the generator is not vacuous)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(frameArb, (bytes) => {
        const sender = new DataView(bytes.buffer, bytes.byteOffset).getUint32(17);
        const asReplica = openCftFrame(bytes, ctx, { role: 'replica', id: sender });
        const asClient = openCftFrame(bytes, ctx, { role: 'client', id: sender });
        if (asReplica.ok || asClient.ok) accepted++;
      }),
      { numRuns: 2000, seed: 7 },
    );
    assert.ok(accepted > 200, `accepted ${accepted}`);
  });
});
