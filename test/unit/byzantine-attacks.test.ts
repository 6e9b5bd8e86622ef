/**
 * Step tests of the behaviours that forge: equivocation, mutation, forged view changes, lying state
 * transfer and censorship. Each checks the behaviour's one-line description, and that an honest
 * replica (behind the real boundary) refuses or exposes what it forges.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BadViewChange,
  type Behaviour,
  ByzantineReplica,
  Censor,
  Equivocate,
  LyingStateTransfer,
  MUTATIONS,
  Mutate,
  type MutationName,
  type NewViewForgery,
  type ViewChangeForgery,
} from '../../src/byzantine/index.js';
import { pbftConfig } from '../../src/core/pbft/index.js';
import type { Output, PbftConfig, RecoveredState } from '../../src/core/pbft/types.js';
import { Prng } from '../../src/core/prng.js';
import { hexOf } from '../../src/core/quorum.js';
import { sha256 } from '../../src/crypto/hash.js';
import { LedgerStateMachine } from '../../src/ledger/state-machine.js';
import { openFrame } from '../../src/messages/boundary.js';
import { decode } from '../../src/messages/codec.js';
import { ENVELOPE } from '../../src/messages/schema.js';
import type { Message } from '../../src/messages/types.js';
import {
  asReplica,
  deliver,
  makeCluster,
  makeReplica,
  ofType,
  open,
  prePrepare,
  request,
  sent,
  tick,
} from '../support/cluster.js';

const c = makeCluster(4);
const GENESIS = new LedgerStateMachine(c.genesis, sha256);

/** The step tests' configuration (K = 4, L = 8), with overrides. */
function configOf(id: number, overrides: Partial<PbftConfig> = {}): PbftConfig {
  return pbftConfig(c.n, id, c.cluster, { checkpointInterval: 4, watermarkWindow: 8, ...overrides });
}

/** Fresh dependencies of replica `id`. */
function depsOf(id: number) {
  return { signer: c.replicas[id]!, stateMachine: new LedgerStateMachine(c.genesis, sha256), hash: sha256 };
}

/** Replica `id` wrapped by `behaviours`. */
function byzantine(id: number, behaviours: Behaviour[], overrides: Partial<PbftConfig> = {}, seed = 1) {
  return new ByzantineReplica(configOf(id, overrides), depsOf(id), behaviours, new Prng(seed));
}

/** Sends in `outs`, as [recipient, message]. */
function sends(outs: Output[]): [number, Message][] {
  return outs.flatMap((o): [number, Message][] => (o.type === 'send' ? [[o.to, o.msg]] : []));
}

/** Why the boundary refuses `msg`, or 'accepted'. */
function verdict(msg: Message): string {
  const r = openFrame(msg.bytes, c.ctx);
  return r.ok ? 'accepted' : r.reason;
}

/** The clients whose requests a pre-prepare carries. */
function clientsOf(pp: Message<'pre-prepare'>): number[] {
  return pp.body.requests.map((r) => {
    const env = decode(ENVELOPE, r);
    assert.ok(env.ok);
    return env.value.sender;
  });
}

describe('equivocate', () => {
  test('as primary: two validly signed pre-prepares for one (view, seq) to two halves; an honest backup holding both reports evidence', () => {
    const primary = byzantine(0, [new Equivocate()]);
    const outs = deliver(c, primary, request(c, 1, 1));
    const out = sends(outs).filter(([, m]) => m.kind === 'pre-prepare');
    assert.deepEqual(
      out.map(([to]) => to),
      [1, 2, 3],
    );
    const [a, b] = [out[0]![1], out[2]![1]] as Message<'pre-prepare'>[];
    assert.equal(hexOf(out[1]![1].bytes), hexOf(a!.bytes), 'replicas 1 and 2 get the original');
    assert.deepEqual([a!.body.view, a!.body.seq], [b!.body.view, b!.body.seq]);
    assert.notEqual(hexOf(a!.body.digest), hexOf(b!.body.digest));
    assert.equal(b!.body.requests.length, 0, 'a batch of one becomes the null batch');
    assert.deepEqual([verdict(a!), verdict(b!)], ['accepted', 'accepted']);
    const honest = makeReplica(c, 3).replica;
    deliver(c, honest, b!);
    const evidence = ofType(deliver(c, honest, a!), 'evidence');
    assert.equal(evidence.length, 1);
    assert.equal(evidence[0]!.replica, 0);
  });

  test('as backup: conflicting prepares to two halves; a retransmission is forged into the same bytes', () => {
    const backup = byzantine(1, [new Equivocate()], { retransmitTicks: 2 });
    const pp = prePrepare(c, 0, 1, [request(c, 1, 1)]);
    const out = sends(deliver(c, backup, pp));
    assert.deepEqual(
      out.map(([to]) => to),
      [0, 2, 3],
    );
    const [real, fake] = [out[0]![1], out[2]![1]] as Message<'prepare'>[];
    assert.equal(hexOf(real!.body.digest), hexOf(pp.body.digest));
    assert.notEqual(hexOf(fake!.body.digest), hexOf(pp.body.digest));
    assert.deepEqual([verdict(real!), verdict(fake!)], ['accepted', 'accepted']);
    const honest = makeReplica(c, 2).replica;
    deliver(c, honest, pp);
    deliver(c, honest, real!);
    assert.equal(ofType(deliver(c, honest, fake!), 'evidence')[0]?.replica, 1);
    const again = sends(tick(backup, 2)).filter(([, m]) => m.kind === 'prepare');
    assert.equal(hexOf(again[2]![1].bytes), hexOf(fake!.bytes));
  });
});

describe('mutate', () => {
  /** The primary's pre-prepare for one request, under one mutation. */
  function mutatedPrePrepare(m: MutationName): Message {
    const primary = byzantine(0, [new Mutate({ rate: 1, mutations: [m] })]);
    const outs = deliver(c, primary, request(c, 1, 1));
    const msgs = outs.flatMap((o) => (o.type === 'broadcast' ? [o.msg] : []));
    assert.equal(msgs.length, 1);
    return msgs[0]!;
  }

  const refused: [MutationName, string][] = [
    ['bad-signature', 'bad-signature'],
    ['truncate', 'malformed-envelope'],
    ['trailing-bytes', 'malformed-envelope'],
    ['oversize', 'batch-too-large'],
    ['wrong-cluster', 'wrong-cluster'],
    ['spoof-sender', 'wrong-sender-role'],
    ['wrong-digest', 'batch-digest-mismatch'],
    ['view-plus', 'wrong-sender-role'],
    ['seq-minus', 'bad-field'],
  ];
  for (const [m, reason] of refused) {
    test(`a pre-prepare under '${m}' is refused by the boundary: ${reason}`, () => {
      assert.equal(verdict(mutatedPrePrepare(m)), reason);
    });
  }

  test('an oversized vote is a frame over the cap', () => {
    const backup = byzantine(2, [new Mutate({ rate: 1, mutations: ['oversize'] })]);
    const [prepare] = sent(deliver(c, backup, prePrepare(c, 0, 1, [request(c, 1, 1)])), 'prepare');
    assert.equal(verdict(prepare!), 'frame-too-large');
  });

  const ignored: [MutationName, string][] = [
    ['future-view', 'wrong-view'],
    ['view-plus', 'wrong-view'],
    ['wrong-digest', 'conflicting-vote'],
  ];
  for (const [m, reason] of ignored) {
    test(`a prepare under '${m}' is re-signed, passes the boundary, and the honest core refuses it: ${reason}`, () => {
      const pp = prePrepare(c, 0, 1, [request(c, 1, 1)]);
      const backup = byzantine(2, [new Mutate({ rate: 1, mutations: [m] })]);
      const [mutated] = sent(deliver(c, backup, pp), 'prepare');
      assert.equal(verdict(mutated!), 'accepted');
      const honest = makeReplica(c, 1).replica;
      deliver(c, honest, pp);
      deliver(c, honest, asReplica(c, 2, 'prepare', { view: 0, seq: 1, digest: pp.body.digest }));
      assert.deepEqual(
        ofType(deliver(c, honest, mutated!), 'ignored').map((o) => o.reason),
        [reason],
      );
    });
  }

  test('deterministic given the seed; persists untouched; every mutation fits some message', () => {
    const run = (seed: number) => {
      const r = byzantine(0, [new Mutate({ rate: 0.5 })], {}, seed);
      const outs = [...deliver(c, r, request(c, 1, 1)), ...tick(r, 25)];
      return outs.map((o) => (o.type === 'broadcast' || o.type === 'send' ? hexOf(o.msg.bytes) : o.type));
    };
    assert.deepEqual(run(5), run(5));
    assert.equal(MUTATIONS.length, new Set(MUTATIONS).size);
  });
});

describe('mutate: client replies', () => {
  /** Replica `id`'s replies after executing one batch of three requests (clients 0, 1, 2), in that order. */
  function repliesOf(
    replica: ReturnType<typeof byzantine> | ReturnType<typeof makeReplica>['replica'],
    id: number,
  ) {
    const pp = prePrepare(c, 0, 1, [request(c, 0, 1), request(c, 1, 1), request(c, 2, 1)]);
    const d = pp.body.digest;
    const other = id === 1 ? 2 : 1;
    deliver(c, replica, pp);
    deliver(c, replica, asReplica(c, other, 'prepare', { view: 0, seq: 1, digest: d }));
    deliver(c, replica, asReplica(c, 0, 'commit', { view: 0, seq: 1, digest: d }));
    const outs = deliver(c, replica, asReplica(c, other, 'commit', { view: 0, seq: 1, digest: d }));
    return ofType(outs, 'reply').map((o) => o.msg);
  }
  /** Backup 2's reply to client 0 (leaf 0 of 3) under one mutation. */
  const mutatedReply = (m: MutationName) =>
    repliesOf(byzantine(2, [new Mutate({ rate: 1, mutations: [m] })]), 2)[0]!;

  const refused: [MutationName, string][] = [
    ['reply-result', 'bad-signature'],
    ['reply-path', 'bad-signature'],
    ['reply-index', 'bad-signature'],
    ['reply-other-root', 'bad-signature'],
    ['bad-signature', 'bad-signature'],
    ['spoof-sender', 'bad-signature'],
    ['wrong-cluster', 'wrong-cluster'],
    ['truncate', 'malformed-envelope'],
    ['trailing-bytes', 'malformed-envelope'],
    ['oversize', 'frame-too-large'],
  ];
  for (const [m, reason] of refused) {
    test(`a reply under '${m}' is refused where a client opens it: ${reason}`, () => {
      assert.equal(verdict(mutatedReply(m)), reason);
    });
  }

  test('the last leaf moved to index 0 no longer fits its path: bad-reply-path', () => {
    const replies = repliesOf(byzantine(2, [new Mutate({ rate: 1, mutations: ['reply-index'] })]), 2);
    assert.equal(verdict(replies[2]!), 'bad-reply-path');
  });

  const lies: MutationName[] = ['reply-lie', 'seq-plus', 'view-plus', 'future-view'];
  for (const m of lies) {
    test(`a reply under '${m}' is validly signed but disagrees with the honest replicas (the f + 1 rule's job)`, () => {
      const lie = mutatedReply(m);
      assert.equal(verdict(lie), 'accepted');
      const honest = repliesOf(makeReplica(c, 1).replica, 1)[0]!;
      const { seq, result, view } = honest.body;
      assert.equal(lie.body.client, 0);
      assert.ok(
        lie.body.seq !== seq || hexOf(lie.body.result) !== hexOf(result) || lie.body.view !== view,
        'something differs',
      );
    });
  }
});

describe('bad-view-change', () => {
  const TIMING: Partial<PbftConfig> = { requestTimeoutTicks: 5, retransmitTicks: 50 };

  /** Backup 1 with a prepared certificate for seq 1 (a batch of two), timed out into view 1. */
  function forgedViewChange(f: ViewChangeForgery): Message<'view-change'> {
    const backup = byzantine(1, [new BadViewChange({ viewChange: [f] })], TIMING);
    const pp = prePrepare(c, 0, 1, [request(c, 0, 1), request(c, 2, 1)]);
    deliver(c, backup, pp);
    for (const id of [2, 3])
      deliver(c, backup, asReplica(c, id, 'prepare', { view: 0, seq: 1, digest: pp.body.digest }));
    deliver(c, backup, request(c, 1, 100));
    const vcs = sent(tick(backup, 6), 'view-change');
    assert.equal(vcs.length, 1);
    return vcs[0]!;
  }

  for (const f of ['drop-prepare', 'fake-pre-prepare', 'drop-proof'] as const) {
    test(`a VIEW-CHANGE under '${f}' is refused by the boundary: bad-certificate`, () => {
      assert.equal(verdict(forgedViewChange(f)), 'bad-certificate');
    });
  }

  test("a VIEW-CHANGE under 'wrong-genesis' passes the boundary; the honest core refuses it: bad-view-change", () => {
    const vc = forgedViewChange('wrong-genesis');
    const honest = makeReplica(c, 2).replica;
    assert.deepEqual(
      ofType(deliver(c, honest, vc), 'ignored').map((o) => o.reason),
      ['bad-view-change'],
    );
  });

  test("'omit-certificates' is the undetectable lie: a valid VIEW-CHANGE claiming nothing prepared", () => {
    const vc = forgedViewChange('omit-certificates');
    assert.equal(verdict(vc), 'accepted');
    assert.equal(vc.body.prepared.length, 0);
  });

  /** Replica 1 becoming primary of view 1 from VIEW-CHANGEs of 2 and 3, one with a certificate. */
  function forgedNewView(f: NewViewForgery): Message<'new-view'> {
    const newPrimary = byzantine(1, [new BadViewChange({ newView: [f] })], TIMING);
    const pp = prePrepare(c, 0, 1, [request(c, 0, 1), request(c, 2, 1)]);
    const prepares = [2, 3].map((id) =>
      asReplica(c, id, 'prepare', { view: 0, seq: 1, digest: pp.body.digest }),
    );
    const prepared = [{ prePrepare: pp.bytes, prepares: prepares.map((p) => p.bytes) }];
    const outs = [2, 3].flatMap((id) =>
      deliver(
        c,
        newPrimary,
        asReplica(c, id, 'view-change', {
          newView: 1,
          stableSeq: 0,
          stableDigest: GENESIS.digest(),
          checkpointProof: [],
          prepared: id === 2 ? prepared : [],
        }),
      ),
    );
    const nvs = sent(outs, 'new-view');
    assert.equal(nvs.length, 1);
    return nvs[0]!;
  }

  for (const f of ['null-for-certificate', 'changed-digest', 'extra-entry', 'drop-entry'] as const) {
    test(`a NEW-VIEW under '${f}' is validly signed, and an honest backup refuses it: bad-new-view`, () => {
      const nv = forgedNewView(f);
      assert.equal(verdict(nv), 'accepted');
      const honest = makeReplica(c, 3).replica;
      assert.deepEqual(
        ofType(deliver(c, honest, nv), 'ignored').map((o) => o.reason),
        ['bad-new-view'],
      );
    });
  }
});

describe('lying-state-transfer', () => {
  /** Replica 0, restarted at a stable checkpoint at seq 4 (the genesis state), with `behaviours`. */
  function server(behaviours: Behaviour[]): ByzantineReplica {
    const proof = [0, 1, 2].map((id) =>
      open(c, asReplica(c, id, 'checkpoint', { seq: 4, stateDigest: GENESIS.digest() })),
    );
    const stable = { seq: 4, stateDigest: GENESIS.digest(), proof, snapshot: GENESIS.snapshot() };
    const state: RecoveredState = { stable, executed: [], prepared: [], signed: [] };
    return ByzantineReplica.recoverByzantine(configOf(0), depsOf(0), state, behaviours, new Prng(1));
  }

  /** Honest replica 3, which learns of the checkpoint at seq 4 and asks replica 0 for its state. */
  function fetcher() {
    const { replica } = makeReplica(c, 3);
    const outs = [0, 1, 2].flatMap((id) =>
      deliver(c, replica, asReplica(c, id, 'checkpoint', { seq: 4, stateDigest: GENESIS.digest() })),
    );
    const [ask] = sends(outs);
    assert.ok(ask !== undefined && ask[0] === 0 && ask[1].kind === 'fetch-state');
    return { replica, ask: ask[1] };
  }

  test('an honest replica fetching a snapshot from the liar reports bad-peer and asks another peer', () => {
    const { replica, ask } = fetcher();
    const answer = sends(deliver(c, server([new LyingStateTransfer()]), ask));
    const chunks = answer.filter(([, m]) => m.kind === 'state-chunk');
    assert.equal(chunks.length, 1);
    const outs = deliver(c, replica, chunks[0]![1]);
    assert.deepEqual(
      ofType(outs, 'bad-peer').map((o) => o.peer),
      [0],
    );
    assert.equal(sends(outs)[0]?.[0], 1, 'the next fetch goes to replica 1');
    const relayed = answer.filter(([, m]) => m.kind === 'checkpoint').map(([, m]) => verdict(m));
    assert.deepEqual(relayed, ['bad-signature', 'bad-signature', 'bad-signature']);
  });

  test('control: the same server without the behaviour serves a snapshot that is accepted', () => {
    const { replica, ask } = fetcher();
    const chunk = sends(deliver(c, server([]), ask)).find(([, m]) => m.kind === 'state-chunk')!;
    assert.equal(ofType(deliver(c, replica, chunk[1]), 'state-transferred').length, 1);
  });

  test('log relays go out damaged: the boundary refuses every relayed envelope', () => {
    const primary = byzantine(0, [new LyingStateTransfer()]);
    const pp = sent(deliver(c, primary, request(c, 1, 1)), 'pre-prepare')[0]!;
    for (const id of [1, 2])
      deliver(c, primary, asReplica(c, id, 'prepare', { view: 0, seq: 1, digest: pp.body.digest }));
    const ask = asReplica(c, 3, 'fetch-state', { seq: 1, what: 0, part: 0 });
    const relayed = sends(deliver(c, primary, ask));
    assert.ok(relayed.length >= 3, 'the pre-prepare and its votes');
    for (const [, m] of relayed) assert.notEqual(verdict(m), 'accepted');
  });
});

describe('censor', () => {
  test("as primary, the censored client's requests never appear in a pre-prepare, which stays valid", () => {
    const primary = byzantine(0, [new Censor({ client: 1 })], { maxBatch: 2 });
    const first = sent(deliver(c, primary, request(c, 2, 1)), 'pre-prepare');
    assert.deepEqual(clientsOf(first[0]!), [2], 'other clients pass untouched');
    deliver(c, primary, request(c, 1, 1));
    const second = sent(deliver(c, primary, request(c, 0, 1)), 'pre-prepare');
    assert.equal(second.length, 1);
    assert.deepEqual(clientsOf(second[0]!), [0], 'client 1 was cut out of the batch');
    assert.equal(verdict(second[0]!), 'accepted');
    const alone = byzantine(0, [new Censor({ client: 1 })]);
    const nulled = sent(deliver(c, alone, request(c, 1, 1)), 'pre-prepare');
    assert.deepEqual(clientsOf(nulled[0]!), [], "a batch of only client 1's requests becomes the null batch");
  });

  test("as backup, the censored client's requests are never relayed to the primary", () => {
    const backup = byzantine(2, [new Censor()]);
    assert.equal(sends(deliver(c, backup, request(c, 0, 1))).length, 0);
    assert.deepEqual(
      sends(deliver(c, backup, request(c, 1, 1))).map(([to, m]) => [to, m.kind]),
      [[0, 'request']],
    );
  });
});
