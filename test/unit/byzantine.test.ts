/**
 * Step tests of the Byzantine wrapper and of the withholding, timing, replay and flooding
 * behaviours: one replica, inputs in, outputs asserted against each behaviour's one-line
 * description. Messages go through the real boundary, as the runtime would deliver them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BEHAVIOUR_NAMES,
  BEHAVIOURS,
  type Behaviour,
  BehaviourError,
  ByzantineReplica,
  byzantineFactory,
  Equivocate,
  Flood,
  MessageHistory,
  type MessageOutput,
  parseBehaviourSpecs,
  parseBehaviours,
  Replay,
  SelectiveSilent,
  Silent,
  SlowPrimary,
} from '../../src/byzantine/index.js';
import { pbftConfig } from '../../src/core/pbft/index.js';
import { PbftReplica } from '../../src/core/pbft/replica.js';
import type { Output, PbftConfig } from '../../src/core/pbft/types.js';
import { Prng } from '../../src/core/prng.js';
import { hexOf } from '../../src/core/quorum.js';
import { sha256 } from '../../src/crypto/hash.js';
import { LedgerStateMachine } from '../../src/ledger/state-machine.js';
import { openFrame } from '../../src/messages/boundary.js';
import type { AnyVerified } from '../../src/messages/types.js';
import {
  deliver,
  makeCluster,
  makeReplica,
  ofType,
  open,
  prePrepare,
  request,
  sent,
  type TestCluster,
  tick,
} from '../support/cluster.js';

const c = makeCluster(4);

/** The configuration the step tests use (K = 4, L = 8), with overrides. */
function configOf(cl: TestCluster, id: number, overrides: Partial<PbftConfig> = {}): PbftConfig {
  return pbftConfig(cl.n, id, cl.cluster, { checkpointInterval: 4, watermarkWindow: 8, ...overrides });
}

/** Replica `id` of `c` wrapped by `behaviours`, seeded with `seed`. */
function byzantine(id: number, behaviours: Behaviour[], overrides: Partial<PbftConfig> = {}, seed = 1) {
  const deps = {
    signer: c.replicas[id]!,
    stateMachine: new LedgerStateMachine(c.genesis, sha256),
    hash: sha256,
  };
  return new ByzantineReplica(configOf(c, id, overrides), deps, behaviours, new Prng(seed));
}

/** Outputs that carry a message out of the process. */
function messages(outs: Output[]): MessageOutput[] {
  return outs.filter(
    (o): o is MessageOutput => o.type === 'send' || o.type === 'broadcast' || o.type === 'reply',
  );
}

/** The persist outputs, in order. */
function persists(outs: Output[]): Output[] {
  return outs.filter((o) => o.type === 'persist');
}

describe('Byzantine wrapper', () => {
  test('with no behaviour it is the honest core, output for output', () => {
    const honest = makeReplica(c, 0).replica;
    const wrapped = byzantine(0, []);
    const req = request(c, 1, 1);
    assert.deepEqual(deliver(c, wrapped, req), deliver(c, honest, req));
    assert.deepEqual(tick(wrapped, 25), tick(honest, 25));
  });

  test('a behaviour that drops or adds a persist output is a bug and fails the step', () => {
    const dropper: Behaviour = {
      name: 'silent',
      rewrite: (outs) => outs.filter((o) => o.type !== 'persist'),
    };
    assert.throws(() => deliver(c, byzantine(0, [dropper]), request(c, 1, 1)), /changed persist outputs/);
    const adder: Behaviour = {
      name: 'silent',
      rewrite: (outs) => [...outs, { type: 'persist', record: { type: 'signed', msg: request(c, 1, 1) } }],
    };
    assert.throws(() => deliver(c, byzantine(0, [adder]), request(c, 1, 1)), /changed persist outputs/);
  });

  test('the message history is a bounded ring, oldest first', () => {
    const h = new MessageHistory(2);
    const [a, b, d] = [1, 2, 3].map((t) => request(c, 0, t));
    h.record(a!);
    h.record(b!);
    h.record(d!);
    assert.equal(h.size, 2);
    assert.deepEqual([h.at(0), h.at(1), h.at(2)], [b, d, undefined]);
  });

  test('recoverByzantine restarts the honest core from its durable state, behaviours on top', () => {
    const first = byzantine(0, []);
    const pp = sent(deliver(c, first, request(c, 1, 1)), 'pre-prepare')[0]!;
    const state = { stable: undefined, executed: [], prepared: [], signed: [open(c, pp) as AnyVerified] };
    const deps = () => ({
      signer: c.replicas[0]!,
      stateMachine: new LedgerStateMachine(c.genesis, sha256),
      hash: sha256,
    });
    const honest = PbftReplica.recover(configOf(c, 0), deps(), state);
    const plain = ByzantineReplica.recoverByzantine(configOf(c, 0), deps(), state, [], new Prng(1));
    const silent = ByzantineReplica.recoverByzantine(
      configOf(c, 0),
      deps(),
      state,
      [new Silent()],
      new Prng(1),
    );
    assert.ok(plain instanceof ByzantineReplica);
    const expected = tick(honest, 20);
    assert.equal(sent(expected, 'pre-prepare')[0]?.body.seq, 1, 'the restored pre-prepare is retransmitted');
    assert.deepEqual(tick(plain, 20), expected);
    assert.equal(messages(tick(silent, 20)).length, 0, 'silent after the restart');
  });

  test('the factory builds Byzantine cores for planned ids, honest ones otherwise, deterministically', () => {
    const factory = byzantineFactory({ 0: 'silent' }, 7);
    const deps = (id: number) => ({
      signer: c.replicas[id]!,
      stateMachine: new LedgerStateMachine(c.genesis, sha256),
      hash: sha256,
    });
    const b = factory(configOf(c, 0), deps(0));
    const h = factory(configOf(c, 1), deps(1));
    assert.ok(b instanceof ByzantineReplica);
    assert.ok(h instanceof PbftReplica && !(h instanceof ByzantineReplica));
    assert.equal(messages(deliver(c, b, request(c, 1, 1))).length, 0);
    const recovered = factory(configOf(c, 0), deps(0), {
      stable: undefined,
      executed: [],
      prepared: [],
      signed: [],
    });
    assert.ok(recovered instanceof ByzantineReplica);
    assert.throws(() => byzantineFactory({ 2: 'nonsense' }, 1), BehaviourError);
  });
});

describe('silent and selective-silent', () => {
  test('silent: no send, broadcast or reply ever leaves; persists still happen', () => {
    const primary = byzantine(0, [new Silent()]);
    const outs = deliver(c, primary, request(c, 1, 1));
    assert.equal(messages(outs).length, 0);
    assert.ok(persists(outs).length > 0, 'the signed pre-prepare is still persisted');
    const backup = byzantine(1, [new Silent()]);
    const all = [...deliver(c, backup, prePrepare(c, 0, 1, [request(c, 1, 1)])), ...tick(backup, 30)];
    assert.equal(messages(all).length, 0);
  });

  test('selective-silent: by default talks only to the lower half of the ids', () => {
    const backup = byzantine(3, [new SelectiveSilent()]);
    const outs = deliver(c, backup, prePrepare(c, 0, 1, [request(c, 1, 1)]));
    assert.deepEqual(
      messages(outs).map((o) => (o.type === 'send' ? [o.to, o.msg.kind] : o.type)),
      [
        [0, 'prepare'],
        [1, 'prepare'],
      ],
    );
  });

  test('selective-silent: with chosen peers, broadcasts reach only them and other sends are dropped', () => {
    const backup = byzantine(1, [new SelectiveSilent({ peers: [2, 3] })]);
    const relay = deliver(c, backup, request(c, 2, 1));
    assert.equal(messages(relay).length, 0, 'the relay to primary 0 is dropped');
    const outs = deliver(c, backup, prePrepare(c, 0, 1, [request(c, 1, 1)]));
    const to = messages(outs).map((o) => (o.type === 'send' ? o.to : -1));
    assert.deepEqual(to, [2, 3]);
  });
});

describe('slow-primary', () => {
  const timing: Partial<PbftConfig> = { requestTimeoutTicks: 10, retransmitTicks: 3 };

  test('holds each pre-prepare (retransmissions included) and releases it just under the request timeout', () => {
    const slow = new SlowPrimary();
    const primary = byzantine(0, [slow], timing);
    assert.equal(slow.delayTicks(primary.config), 8, 'timeout 10 minus a margin of 10 / 5');
    const outs = deliver(c, primary, request(c, 1, 1));
    assert.equal(sent(outs, 'pre-prepare').length, 0, 'held');
    assert.ok(persists(outs).length > 0, 'but persisted at once');
    assert.equal(
      sent(tick(primary, 7), 'pre-prepare').length,
      0,
      'nothing for 7 ticks despite retransmissions',
    );
    const released = sent(tick(primary, 1), 'pre-prepare');
    assert.equal(released.length, 1, 'released on the 8th tick');
    assert.equal(released[0]!.body.seq, 1);
    assert.equal(slow.holding, 0);
  });

  test('other messages pass at once, and a configured delay overrides the margin', () => {
    const backup = byzantine(1, [new SlowPrimary({ delayTicks: 2 })], timing);
    assert.equal(sent(deliver(c, backup, prePrepare(c, 0, 1, [request(c, 1, 1)])), 'prepare').length, 1);
  });
});

describe('replay', () => {
  test('on ticks, resends messages it sent in earlier steps, verbatim', () => {
    const primary = byzantine(0, [new Replay({ rate: 1, count: 3 })]);
    assert.equal(messages(tick(primary, 1)).length, 0, 'nothing to replay yet');
    const pp = sent(deliver(c, primary, request(c, 1, 1)), 'pre-prepare')[0]!;
    const replayed = messages(tick(primary, 1));
    assert.equal(replayed.length, 3);
    for (const o of replayed) assert.ok(o.type !== 'reply' && hexOf(o.msg.bytes) === hexOf(pp.bytes));
  });

  test('an honest replica treats replayed old messages as duplicates or stale', () => {
    const backup = byzantine(1, [new Replay({ rate: 1, count: 4 })]);
    const honest = makeReplica(c, 2).replica;
    const pp = prePrepare(c, 0, 1, [request(c, 1, 1)]);
    deliver(c, honest, pp);
    deliver(c, honest, sent(deliver(c, backup, pp), 'prepare')[0]!);
    for (const o of messages(tick(backup, 1))) {
      if (o.type === 'reply') continue;
      const reasons = ofType(deliver(c, honest, o.msg), 'ignored').map((x) => x.reason);
      assert.deepEqual(reasons, ['duplicate']);
    }
  });
});

describe('flood', () => {
  test('many extra messages per tick; the boundary refuses the junk and the core ignores the rest', () => {
    const flooder = byzantine(1, [new Flood({ count: 40 })]);
    assert.equal(
      messages(deliver(c, flooder, prePrepare(c, 0, 1, [request(c, 1, 1)]))).length,
      1,
      'no flood off ticks',
    );
    const extra = messages(tick(flooder, 1));
    assert.equal(extra.length, 40);
    const honest = makeReplica(c, 2).replica;
    const refused = new Set<string>();
    const ignored = new Set<string>();
    for (const o of extra) {
      assert.ok(o.type === 'send');
      const r = openFrame(o.msg.bytes, c.ctx);
      if (!r.ok) {
        refused.add(r.reason);
        continue;
      }
      const outs = honest.step({ type: 'message', msg: r.value });
      assert.ok(outs.length > 0 && outs.every((x) => x.type === 'ignored'), JSON.stringify(outs));
      for (const x of ofType(outs, 'ignored')) ignored.add(x.reason);
    }
    assert.ok(refused.has('unknown-kind'), [...refused].join());
    assert.ok(
      [...refused].every((r) => ['unknown-kind', 'malformed-envelope'].includes(r)),
      [...refused].join(),
    );
    assert.deepEqual([...ignored].sort(), ['outside-window', 'wrong-view']);
  });
});

describe('registry and parsing', () => {
  test('every behaviour is registered with a one-line description and makes itself', () => {
    for (const name of BEHAVIOUR_NAMES) {
      const entry = BEHAVIOURS[name];
      assert.ok(entry.describe.length > 0 && !entry.describe.includes('\n'), name);
      assert.equal(entry.make().name, name);
    }
  });

  test('parses a list in order, with options', () => {
    const list = parseBehaviours(' equivocate , silent ');
    assert.deepEqual(
      list.map((b) => b.name),
      ['equivocate', 'silent'],
    );
    assert.deepEqual(parseBehaviourSpecs('selective-silent:peers=0+2:replies=false,flood:count=5'), [
      { name: 'selective-silent', options: { peers: [0, 2], replies: false } },
      { name: 'flood', options: { count: 5 } },
    ]);
    assert.deepEqual(parseBehaviourSpecs('mutate:rate=0.5:mutations=bad-signature+truncate')[0]?.options, {
      rate: 0.5,
      mutations: ['bad-signature', 'truncate'],
    });
  });

  test('refuses unknown names (listing the valid ones), unknown options and bad values', () => {
    const fails = (text: string, code: string, pattern: RegExp) =>
      assert.throws(
        () => parseBehaviours(text),
        (e: unknown) => e instanceof BehaviourError && e.code === code && pattern.test(e.message),
        text,
      );
    fails(
      'equivocate,byzantium',
      'unknown-behaviour',
      /unknown behaviour 'byzantium'; valid: equivocate, silent, .*flood/,
    );
    fails('', 'empty', /no behaviour given; valid: /);
    fails('flood:speed=3', 'unknown-option', /flood has no option 'speed'; valid: count, kinds/);
    fails('silent:x=1', 'unknown-option', /it takes none/);
    fails('flood:count=-1', 'bad-option-value', /whole number/);
    fails('mutate:rate=2', 'bad-option-value', /\[0, 1\]/);
    fails('mutate:mutations=bad-signature+nope', 'bad-option-value', /names from wrong-digest/);
    fails('equivocate:votes=yes', 'bad-option-value', /true or false/);
    fails('censor:client', 'bad-option-value', /needs '=value'/);
  });
});

describe('composition', () => {
  test('behaviours apply in order: equivocate then selective-silent keeps both halves it talks to', () => {
    const primary = byzantine(0, [new Equivocate(), new SelectiveSilent({ peers: [2, 3] })]);
    const pps = messages(deliver(c, primary, request(c, 1, 1)));
    assert.deepEqual(
      pps.map((o) => (o.type === 'send' ? o.to : -1)),
      [2, 3],
    );
    const [a, b] = pps.map((o) => (o.type === 'send' ? hexOf(o.msg.bytes) : ''));
    assert.notEqual(a, b, 'replica 2 got the original, replica 3 the forged twin');
  });

  test('the other order: selective-silent first leaves single sends, which equivocate cannot split', () => {
    const primary = byzantine(0, [new SelectiveSilent({ peers: [2, 3] }), new Equivocate()]);
    const pps = messages(deliver(c, primary, request(c, 1, 1)));
    const bytes = new Set(pps.map((o) => (o.type === 'send' ? hexOf(o.msg.bytes) : '')));
    assert.equal(pps.length, 2);
    assert.equal(bytes.size, 1);
  });
});
