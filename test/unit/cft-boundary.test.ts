/**
 * The crash-fault boundary: one table row (at least) per reject reason it gives, what it accepts and
 * attaches, the client side, and the unsigned envelope's encoding.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_CFT_REJECT_REASONS,
  CFT_BODIES,
  CFT_KIND_TAGS,
  type CftBodyOf,
  type CftBoundaryContext,
  type CftChecked,
  type CftKind,
  type CftPeer,
  type CftRejectReason,
  ENVELOPE,
  encode,
  KIND_TAGS,
  LIMITS,
  NO_LEADER,
  openCftClientFrame,
  openCftFrame,
  parseCftFrame,
  seal,
  sealCft,
} from '../../src/messages/index.js';
import { CLUSTER, keyedHashKeys, OTHER_CLUSTER } from './messages-fixtures.js';

const keys = keyedHashKeys();
const ctx: CftBoundaryContext = { cluster: CLUSTER, principals: keys.principals };
const R1: CftPeer = { role: 'replica', id: 1 };
const C100: CftPeer = { role: 'client', id: 100 };

/** A signed request of client `client`. */
const request = (client: number, timestamp: number, signer = client) =>
  seal(keys.client(signer), CLUSTER, 'request', client, { client, timestamp, op: Uint8Array.of(1) }).bytes;
/** An unsigned frame of replica `sender`. */
const frame = <K extends CftKind>(kind: K, body: CftBodyOf[K], sender = 1) =>
  sealCft(CLUSTER, { kind, sender, body });
/** An append-entries body (term 2, after (1, 1)) with the given entries. */
const append = (
  entries: { term: number; requests: Uint8Array[] }[],
  over: Partial<CftBodyOf['append-entries']> = {},
) =>
  ({
    term: 2,
    prevIndex: 1,
    prevTerm: 1,
    leaderCommit: 1,
    entries,
    ...over,
  }) satisfies CftBodyOf['append-entries'];
/** An envelope with arbitrary fields. */
const raw = (
  kind: number,
  body: Uint8Array,
  opts: { sender?: number; cluster?: Uint8Array; signature?: Uint8Array } = {},
) =>
  encode(ENVELOPE, {
    kind,
    cluster: opts.cluster ?? CLUSTER,
    sender: opts.sender ?? 1,
    body,
    signature: opts.signature ?? new Uint8Array(64),
  });
const voteBody = encode(CFT_BODIES.vote, { term: 1, granted: true });

/** A frame refused with the reason it is filed under, opened at a replica (or at client 100). */
type Case = {
  readonly name: string;
  readonly frame: () => Uint8Array;
  readonly from?: CftPeer;
  readonly atClient?: boolean;
};

/** Every reason the crash-fault boundary itself gives; the mapped type demands a case for each. */
type Tested = Exclude<
  CftRejectReason,
  | 'outside-window'
  | 'bad-request-in-batch'
  | 'duplicate-request-in-batch'
  | 'batch-digest-mismatch'
  | 'bad-certificate'
  | 'bad-reply-path'
>;

const CASES: { readonly [R in Tested]: readonly Case[] } = {
  'frame-too-large': [{ name: 'over the cap', frame: () => new Uint8Array(LIMITS.maxFrameBytes + 1) }],
  'malformed-envelope': [
    { name: 'empty', frame: () => new Uint8Array(0) },
    { name: 'trailing byte', frame: () => Uint8Array.of(...frame('vote', { term: 1, granted: true }), 0) },
  ],
  'unknown-kind': [
    { name: 'unused tag', frame: () => raw(200, voteBody) },
    { name: 'a PBFT kind', frame: () => raw(KIND_TAGS.prepare, voteBody) },
  ],
  'wrong-cluster': [
    { name: 'other cluster', frame: () => raw(CFT_KIND_TAGS.vote, voteBody, { cluster: OTHER_CLUSTER }) },
  ],
  'wrong-receiver': [
    {
      name: 'a reply at a replica',
      frame: () =>
        frame('cft-reply', { term: 1, client: 100, timestamp: 1, index: 1, result: new Uint8Array() }),
    },
    { name: 'a vote at a client', frame: () => frame('vote', { term: 1, granted: true }), atClient: true },
    { name: 'a request at a client', frame: () => request(100, 1), atClient: true, from: C100 },
  ],
  'wrong-sender-role': [
    {
      name: 'a vote from a client connection',
      frame: () => frame('vote', { term: 1, granted: true }, 100),
      from: C100,
    },
    { name: 'a request from a replica connection', frame: () => request(100, 1), from: R1 },
  ],
  'sender-mismatch': [
    {
      name: "replica 2 claimed on replica 1's link",
      frame: () => frame('vote', { term: 1, granted: true }, 2),
    },
    { name: "client 101's request on client 100's link", frame: () => request(101, 1), from: C100 },
  ],
  'unknown-sender': [
    {
      name: 'replica id >= n',
      frame: () => frame('vote', { term: 1, granted: true }, 4),
      from: { role: 'replica', id: 4 },
    },
    { name: 'unknown client', frame: () => request(999, 1, 100), from: { role: 'client', id: 999 } },
  ],
  'nonzero-signature': [
    {
      name: 'signed vote',
      frame: () => raw(CFT_KIND_TAGS.vote, voteBody, { signature: new Uint8Array(64).fill(1) }),
    },
  ],
  'malformed-body': [
    { name: 'bad bool', frame: () => raw(CFT_KIND_TAGS.vote, Uint8Array.of(...voteBody.subarray(0, 8), 2)) },
    { name: 'truncated', frame: () => raw(CFT_KIND_TAGS['append-entries'], new Uint8Array(10)) },
  ],
  'bad-field': [
    { name: 'term 0', frame: () => frame('vote', { term: 0, granted: true }) },
    {
      name: 'last index without term',
      frame: () => frame('request-vote', { term: 2, lastIndex: 3, lastTerm: 0 }),
    },
    {
      name: 'last term above term',
      frame: () => frame('request-vote', { term: 2, lastIndex: 3, lastTerm: 3 }),
    },
    { name: 'pre-vote of term 0', frame: () => frame('pre-vote', { term: 0, lastIndex: 0, lastTerm: 0 }) },
    {
      name: 'pre-vote with last term above term',
      frame: () => frame('pre-vote', { term: 2, lastIndex: 3, lastTerm: 3 }),
    },
    {
      name: 'pre-vote with last index without term',
      frame: () => frame('pre-vote', { term: 2, lastIndex: 3, lastTerm: 0 }),
    },
    { name: 'pre-vote reply of term 0', frame: () => frame('pre-vote-reply', { term: 0, granted: true }) },
    { name: 'prev term without index', frame: () => frame('append-entries', append([], { prevIndex: 0 })) },
    {
      name: 'entry term decreasing',
      frame: () =>
        frame(
          'append-entries',
          append([
            { term: 2, requests: [] },
            { term: 1, requests: [] },
          ]),
        ),
    },
    {
      name: 'entry term above term',
      frame: () => frame('append-entries', append([{ term: 3, requests: [] }])),
    },
    {
      name: 'entry term below prev',
      frame: () => frame('append-entries', append([{ term: 1, requests: [] }], { prevTerm: 2 })),
    },
    {
      name: 'snapshot of nothing',
      frame: () =>
        frame('install-snapshot', {
          term: 1,
          lastIncludedIndex: 0,
          lastIncludedTerm: 0,
          stateDigest: new Uint8Array(32),
          part: 0,
          parts: 1,
          data: new Uint8Array(),
        }),
    },
    {
      name: 'part beyond parts',
      frame: () =>
        frame('install-snapshot', {
          term: 1,
          lastIncludedIndex: 3,
          lastIncludedTerm: 1,
          stateDigest: new Uint8Array(32),
          part: 1,
          parts: 1,
          data: new Uint8Array(),
        }),
    },
    {
      name: 'redirect to replica n',
      frame: () => frame('redirect', { term: 1, client: 100, timestamp: 1, leader: 4 }),
      atClient: true,
    },
    {
      name: 'reply to another client',
      frame: () =>
        frame('cft-reply', { term: 1, client: 101, timestamp: 1, index: 1, result: new Uint8Array() }),
      atClient: true,
    },
    {
      name: 'request client is not its sender',
      frame: () =>
        seal(keys.client(100), CLUSTER, 'request', 100, { client: 101, timestamp: 1, op: new Uint8Array() })
          .bytes,
      from: C100,
    },
  ],
  'batch-too-large': [
    {
      name: 'entry over maxBatch',
      frame: () =>
        frame(
          'append-entries',
          append([{ term: 2, requests: [request(100, 1), request(100, 2), request(100, 3)] }]),
        ),
    },
  ],
  'bad-request-in-entry': [
    {
      name: 'garbage request',
      frame: () => frame('append-entries', append([{ term: 2, requests: [Uint8Array.of(1, 2)] }])),
    },
    {
      name: 'request of another cluster',
      frame: () =>
        frame(
          'append-entries',
          append([
            {
              term: 2,
              requests: [
                seal(keys.client(100), OTHER_CLUSTER, 'request', 100, {
                  client: 100,
                  timestamp: 1,
                  op: new Uint8Array(),
                }).bytes,
              ],
            },
          ]),
        ),
    },
    {
      name: 'request of an unknown client',
      frame: () => frame('append-entries', append([{ term: 2, requests: [request(999, 1, 100)] }])),
    },
    {
      name: 'a vote where a request belongs',
      frame: () =>
        frame('append-entries', append([{ term: 2, requests: [frame('vote', { term: 1, granted: true })] }])),
    },
  ],
  'duplicate-request-in-entry': [
    {
      name: 'same (client, timestamp) twice',
      frame: () =>
        frame('append-entries', append([{ term: 2, requests: [request(100, 1), request(100, 1)] }])),
    },
  ],
  'bad-signature': [
    { name: 'request signed by another client', frame: () => request(100, 1, 101), from: C100 },
  ],
};

/** Opens a case's frame where it is filed. */
function open(c: Case): CftChecked<unknown> {
  const bytes = c.frame();
  const limited = { ...ctx, maxBatch: 2 };
  if (c.atClient === true) return openCftClientFrame(bytes, limited, c.from ?? R1, 100);
  return openCftFrame(bytes, limited, c.from ?? R1);
}

describe('crash-fault boundary', () => {
  for (const [reason, cases] of Object.entries(CASES) as [CftRejectReason, readonly Case[]][]) {
    for (const c of cases) {
      it(`refuses ${c.name}: ${reason}`, () => {
        const got = open(c);
        assert.equal(got.ok, false);
        if (!got.ok) assert.equal(got.reason, reason, got.detail);
        assert.ok(ALL_CFT_REJECT_REASONS.includes(reason));
      });
    }
  }

  it('accepts an append-entries and attaches its decoded entries, requests verbatim', () => {
    const reqs = [request(100, 1), request(101, 1)];
    const got = openCftFrame(
      frame(
        'append-entries',
        append([
          { term: 1, requests: [] },
          { term: 2, requests: reqs },
        ]),
      ),
      ctx,
      R1,
    );
    assert.ok(got.ok && got.value.type === 'protocol' && got.value.msg.kind === 'append-entries');
    const msg = got.value.msg;
    assert.equal(msg.sender, 1);
    assert.deepEqual(
      msg.entries.map((e) => [e.term, e.requests.map((r) => [r.body.client, r.body.timestamp])]),
      [
        [1, []],
        [
          2,
          [
            [100, 1],
            [101, 1],
          ],
        ],
      ],
    );
    assert.deepEqual(msg.entries[1]!.requests[0]!.bytes, reqs[0]);
  });

  it('accepts and verifies a client request from its own client, and only parses it in parseCftFrame', () => {
    const got = openCftFrame(request(100, 7), ctx, C100);
    assert.ok(got.ok && got.value.type === 'request');
    assert.equal(got.value.request.body.timestamp, 7);
    const parsed = parseCftFrame(request(100, 1, 101), ctx, C100);
    assert.ok(parsed.ok && parsed.value.type === 'request', 'signatures are left to verifyFrame');
  });

  it('accepts every replica kind with the zero signature, and the client-bound kinds at a client', () => {
    const d = new Uint8Array(32);
    const bodies: { [K in CftKind]: CftBodyOf[K] } = {
      'request-vote': { term: 2, lastIndex: 0, lastTerm: 0 },
      vote: { term: 2, granted: false },
      'append-entries': append([]),
      'append-ack': { term: 2, success: false, index: 0 },
      'install-snapshot': {
        term: 2,
        lastIncludedIndex: 5,
        lastIncludedTerm: 2,
        stateDigest: d,
        part: 0,
        parts: 1,
        data: d,
      },
      'cft-reply': { term: 2, client: 100, timestamp: 3, index: 4, result: Uint8Array.of(1) },
      redirect: { term: 2, client: 100, timestamp: 3, leader: NO_LEADER },
      'pre-vote': { term: 3, lastIndex: 4, lastTerm: 2 },
      'pre-vote-reply': { term: 3, granted: true },
    };
    for (const kind of Object.keys(bodies) as CftKind[]) {
      const bytes = sealCft(CLUSTER, { kind, sender: 1, body: bodies[kind] } as never);
      const toClient = kind === 'cft-reply' || kind === 'redirect';
      const got = toClient ? openCftClientFrame(bytes, ctx, R1, 100) : openCftFrame(bytes, ctx, R1);
      assert.ok(got.ok, `${kind}: ${JSON.stringify(got)}`);
      const msg = 'type' in got.value ? (got.value as { msg: unknown }).msg : got.value;
      assert.deepEqual((msg as { body: unknown }).body, bodies[kind]);
    }
  });

  it('crash-fault tags never reuse a PBFT tag', () => {
    const pbft = new Set<number>(Object.values(KIND_TAGS));
    for (const tag of Object.values(CFT_KIND_TAGS)) assert.ok(!pbft.has(tag), `tag ${tag}`);
  });
});
