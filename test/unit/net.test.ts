/**
 * The libp2p transport on loopback with real nodes: identity, frame exchange and coalescing,
 * allow-list gating, oversize and garbage input, the queue bound, reconnection, and client links.
 * Conditions are awaited by polling once per event-loop turn with a bound; nothing sleeps.
 */
import '../../src/net/polyfill.js';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { YamuxStream } from '@chainsafe/libp2p-yamux/stream';
import type { Stream } from '@libp2p/interface';
import { LengthPrefixedDecoder } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { generateSecretKey, publicKeyOf } from '../../src/crypto/keys.js';
import {
  createHost,
  encodeFrames,
  FRAME_PROTOCOL,
  FrameDecoder,
  type NetOptions,
  type PeerInfo,
  peerIdOf,
  privateKeyOf,
  startTransport,
  type Transport,
} from '../../src/net/index.js';
import { installLengthDecoder } from '../../src/net/length-decoder.js';
import { installWindowPolicy, windowUpdateDue } from '../../src/net/yamux-window.js';

/** Listen address with a port the OS picks. */
const ANY_PORT = '/ip4/127.0.0.1/tcp/0';
/** Bound on every wait: exceeding it fails the test. */
const WAIT_MS = 8_000;

/** Errors that escaped to the process (none may: the transport must contain libp2p's failures). */
const escaped: unknown[] = [];
process.on('unhandledRejection', (err) => escaped.push(err));
process.on('uncaughtException', (err) => escaped.push(err));
after(() => assert.deepEqual(escaped, [], 'no error escaped to the process'));

/** A key pair and the peer id it yields. */
interface Principal {
  readonly secretKey: Uint8Array;
  readonly peerId: string;
}

/** A running transport with what it received. */
interface TestNode {
  readonly t: Transport;
  readonly me: Principal;
  readonly frames: Array<{ from: string; text: string; bytes: Uint8Array }>;
  readonly peerEvents: string[];
  /** Extra per-frame behaviour (e.g. a reply). */
  onFrame?: (from: string, frame: Uint8Array) => void;
}

/** Anything a test started and must stop. */
type Stoppable = { stop(): Promise<void> };

function principal(): Principal {
  const secretKey = generateSecretKey();
  return { secretKey, peerId: peerIdOf(publicKeyOf(secretKey)) };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Waits, one event-loop turn at a time, until `condition` holds; fails after WAIT_MS. */
async function until(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Runs `body` with a registry of started nodes, all stopped afterwards whatever happens. */
async function withNodes(body: (started: Stoppable[]) => Promise<void>): Promise<void> {
  const started: Stoppable[] = [];
  try {
    await body(started);
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}

/** Starts a transport for `me`, recording frames and peer events. */
async function spawn(
  started: Stoppable[],
  me: Principal,
  peers: PeerInfo[],
  overrides: Partial<Pick<NetOptions, 'listen' | 'maxFrameBytes' | 'maxQueueBytes'>> = {},
): Promise<TestNode> {
  const frames: TestNode['frames'] = [];
  const peerEvents: string[] = [];
  const node: { -readonly [K in keyof TestNode]?: TestNode[K] } = { me, frames, peerEvents };
  const t = await startTransport({
    secretKey: me.secretKey,
    listen: overrides.listen ?? [ANY_PORT],
    peers,
    maxFrameBytes: overrides.maxFrameBytes ?? 64 * 1024,
    maxQueueBytes: overrides.maxQueueBytes ?? 4 * 1024 * 1024,
    onFrame: (from, frame) => {
      frames.push({ from, text: decode(frame), bytes: frame });
      node.onFrame?.(from, frame);
    },
    onPeer: (peerId, connected) => peerEvents.push(`${connected ? '+' : '-'}${peerId}`),
  });
  started.push(t);
  node.t = t;
  return node as TestNode;
}

/** A peer entry that is dialled at `node`'s addresses. */
const dialled = (node: TestNode): PeerInfo => ({ peerId: node.me.peerId, addrs: node.t.listenAddrs() });
/** A peer entry that is admitted but never dialled (a client). */
const admitted = (p: Principal): PeerInfo => ({ peerId: p.peerId, addrs: [] });

/** Starts B (admits A) then A (dials B), and waits until A can reach B. */
async function pair(started: Stoppable[], overrides: Parameters<typeof spawn>[3] = {}) {
  const a = principal();
  const b = await spawn(started, principal(), [admitted(a)], overrides);
  const aNode = await spawn(started, a, [dialled(b)], overrides);
  await until(() => aNode.t.connectedPeers().includes(b.me.peerId), 'A connected to B');
  return { a: aNode, b };
}

describe('net identity', () => {
  test('the peer id derives from the secret key, deterministically', async () => {
    const p = principal();
    const key = await privateKeyOf(p.secretKey);
    const again = await privateKeyOf(Uint8Array.from(p.secretKey));
    assert.deepEqual(key.publicKey.raw, publicKeyOf(p.secretKey));
    assert.equal(again.publicKey.toString(), key.publicKey.toString());
    assert.equal(peerIdOf(key.publicKey.raw), p.peerId);
    assert.throws(() => peerIdOf(new Uint8Array(31)), RangeError);
    await assert.rejects(privateKeyOf(new Uint8Array(33)), RangeError);
    await withNodes(async (started) => {
      const n = await spawn(started, p, [], { listen: [] });
      assert.equal(n.t.peerId, p.peerId);
      assert.deepEqual(n.t.listenAddrs(), []);
    });
  });
});

describe('net yamux window policy', () => {
  test('more window is granted only once half of it has been consumed', () => {
    const cases: [number, number, boolean][] = [
      [256 * 1024, 256 * 1024, false],
      [256 * 1024, 256 * 1024 - 200, false],
      [256 * 1024, 128 * 1024 + 1, false],
      [256 * 1024, 128 * 1024, true],
      [256 * 1024, 0, true],
    ];
    for (const [window, capacity, due] of cases)
      assert.equal(windowUpdateDue(window, capacity), due, `window ${window}, capacity ${capacity}`);
  });

  test('the policy is installed on yamux streams once, however often it is installed', () => {
    const proto = YamuxStream.prototype as unknown as Record<symbol, unknown> & { sendWindowUpdate: unknown };
    assert.equal(proto[Symbol.for('bftledger.yamux-window')], true, 'importing the transport installs it');
    const installed = proto.sendWindowUpdate;
    installWindowPolicy();
    assert.equal(proto.sendWindowUpdate, installed, 'a second install wraps nothing again');
  });
});

describe('net Noise frame decoder (no exception per chunk)', () => {
  /** Noise's framing: a 2-byte big-endian length, then that many bytes. */
  const noiseDecoder = (maxDataLength = 1024) =>
    new LengthPrefixedDecoder({
      lengthDecoder: (data) => {
        if (data.length < 2) throw new RangeError('Could not decode int16BE');
        return data instanceof Uint8Array ? (data[0]! << 8) | data[1]! : data.getUint16(0);
      },
      encodingLength: () => 2,
      maxDataLength,
      maxBufferSize: 4096,
    });
  const wireOf = (frames: Uint8Array[]) =>
    Uint8Array.from(frames.flatMap((f) => [f.byteLength >> 8, f.byteLength & 0xff, ...f]));

  test('yields the same frames for chunks split at every byte, and asks for no prefix in an empty buffer', () => {
    const frames = [text('alpha'), randomBytes(300), text('z'), randomBytes(2)];
    const wire = wireOf(frames);
    for (const step of [1, 2, 3, 5, 7, 64, wire.byteLength]) {
      const decoder = noiseDecoder();
      let asked = 0;
      const fields = decoder as unknown as {
        lengthDecoder: (d: unknown) => number;
        buffer: { byteLength: number };
      };
      const inner = fields.lengthDecoder;
      fields.lengthDecoder = (d) => {
        asked++;
        assert.ok(fields.buffer.byteLength > 0, 'never asked for a prefix in an empty buffer');
        return inner(d);
      };
      const out: Uint8Array[] = [];
      for (let i = 0; i < wire.byteLength; i += step) {
        for (const frame of decoder.decode(wire.subarray(i, i + step))) out.push(frame.subarray());
      }
      assert.deepEqual(
        out,
        frames.map((f) => Uint8Array.from(f)),
        `chunks of ${step}`,
      );
      assert.ok(asked >= frames.length, `chunks of ${step}`);
    }
  });

  test('keeps the limits: an over-long frame and an over-full buffer are errors', () => {
    assert.throws(() => [...noiseDecoder(4).decode(wireOf([text('12345')]))], /Invalid message length/);
    assert.throws(() => [...noiseDecoder().decode(new Uint8Array(5000))], /Buffer length limit exceeded/);
  });

  test('is installed on the class Noise uses, once, and carries real connections', async () => {
    const proto = LengthPrefixedDecoder.prototype as unknown as Record<symbol, unknown> & {
      decode: (...args: unknown[]) => Generator<unknown>;
    };
    assert.equal(proto[Symbol.for('bftledger.length-decoder')], true, 'importing the transport installs it');
    const installed = proto.decode;
    installLengthDecoder();
    assert.equal(proto.decode, installed, 'a second install changes nothing');
    let calls = 0;
    proto.decode = function* counted(this: unknown, ...args: unknown[]) {
      calls++;
      yield* installed.apply(this, args);
    };
    try {
      await withNodes(async (started) => {
        const { a, b } = await pair(started);
        a.t.send(b.me.peerId, text('through noise'));
        await until(() => b.frames.length === 1, 'B receives the frame');
      });
    } finally {
      proto.decode = installed;
    }
    assert.ok(calls > 0, 'Noise decodes with the patched class (not another copy of it)');
  });
});

describe('net frame codec', () => {
  test('decodes frames split at every byte boundary, including empty frames', () => {
    const frames = [text('alpha'), new Uint8Array(0), randomBytes(300), text('z')];
    const total = frames.reduce((n, f) => n + 4 + f.byteLength, 0);
    const wire = encodeFrames(frames, total);
    for (const step of [1, 2, 3, 5, 7, 64, wire.byteLength]) {
      const out: Uint8Array[] = [];
      const decoder = new FrameDecoder(1024, (f) => out.push(f));
      for (let i = 0; i < wire.byteLength; i += step) assert.ok(decoder.push(wire.subarray(i, i + step)));
      assert.deepEqual(
        out,
        frames.map((f) => Uint8Array.from(f)),
        `chunks of ${step}`,
      );
    }
  });

  test('refuses an oversize prefix before buffering the body, then stays refused', () => {
    const out: Uint8Array[] = [];
    const decoder = new FrameDecoder(16, (f) => out.push(f));
    assert.equal(decoder.push(Uint8Array.of(0, 0, 0, 16, ...new Uint8Array(16))), true);
    assert.equal(decoder.push(Uint8Array.of(0xff, 0xff)), true);
    assert.equal(decoder.push(Uint8Array.of(0xff, 0xff)), false);
    assert.equal(decoder.push(Uint8Array.of(0, 0, 0, 1, 7)), false);
    assert.equal(out.length, 1);
  });
});

describe('net transport', () => {
  test('two nodes exchange frames both ways; a burst is ordered and coalesced', async () => {
    await withNodes(async (started) => {
      const { a, b } = await pair(started);
      a.t.send(b.me.peerId, text('ping'));
      await until(() => b.frames.length === 1, 'B receives ping');
      assert.deepEqual([b.frames[0]?.from, b.frames[0]?.text], [a.me.peerId, 'ping']);
      b.t.send(a.me.peerId, text('pong'));
      await until(() => a.frames.length === 1, 'A receives pong');
      assert.deepEqual([a.frames[0]?.from, a.frames[0]?.text], [b.me.peerId, 'pong']);
      assert.ok(a.peerEvents.includes(`+${b.me.peerId}`));
      assert.ok(b.peerEvents.includes(`+${a.me.peerId}`));

      const writesBefore = a.t.counters.writes;
      const pad = 'x'.repeat(190);
      for (let i = 0; i < 1000; i++) a.t.send(b.me.peerId, text(`${String(i).padStart(4, '0')}${pad}`));
      await until(() => b.frames.length === 1001, 'B receives the burst');
      const burst = b.frames.slice(1).map((f) => Number(f.text.slice(0, 4)));
      assert.deepEqual(burst, [...Array(1000).keys()]);
      const writes = a.t.counters.writes - writesBefore;
      assert.ok(writes >= 1 && writes <= 3, `1000 frames took ${writes} writes`);
      assert.equal(a.t.counters.framesQueued, 1001);
      assert.equal(b.t.counters.framesIn, 1001);
      assert.equal(a.t.counters.framesDroppedQueueFull, 0);
    });
  });

  test('a sustained flow over many turns keeps order and accounts for every frame', async () => {
    await withNodes(async (started) => {
      const { a, b } = await pair(started, { maxQueueBytes: 1024 * 1024 });
      const turns = 40;
      const perTurn = 2000;
      const body = new Uint8Array(196);
      for (let turn = 0; turn < turns; turn++) {
        for (let i = 0; i < perTurn; i++) {
          const frame = Uint8Array.from(body);
          new DataView(frame.buffer).setUint32(0, turn * perTurn + i);
          a.t.send(b.me.peerId, frame);
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const sent = turns * perTurn;
      const { framesQueued, framesDroppedQueueFull } = a.t.counters;
      assert.equal(framesQueued + framesDroppedQueueFull, sent);
      await until(() => b.frames.length === framesQueued, 'B receives every queued frame');
      const order = b.frames.map((f) => new DataView(f.bytes.buffer, f.bytes.byteOffset).getUint32(0));
      assert.ok(
        order.every((n, i) => i === 0 || n > order[i - 1]!),
        'frames arrive in the order sent',
      );
      assert.ok(framesQueued > 0);
      assert.ok(a.t.counters.writes <= turns, `${a.t.counters.writes} writes for ${turns} turns`);
    });
  });

  test('a peer id outside the configuration is refused and delivers nothing', async () => {
    await withNodes(async (started) => {
      const stranger = principal();
      const b = await spawn(started, principal(), [admitted(principal())]);
      const s = await spawn(started, stranger, [dialled(b)]);
      s.t.send(b.me.peerId, text('let me in'));
      await until(() => b.t.counters.connectionsRefused > 0, 'B refuses the stranger');
      await until(() => s.t.counters.dialFailures > 0, 'the stranger sees its dial fail');
      assert.deepEqual(b.frames, []);
      assert.deepEqual(b.t.connectedPeers(), []);
    });
  });

  test('an oversize frame resets that stream; the receiver keeps serving everyone', async () => {
    await withNodes(async (started) => {
      const a = principal();
      const c = principal();
      const b = await spawn(started, principal(), [admitted(a), admitted(c)], { maxFrameBytes: 1024 });
      const aNode = await spawn(started, a, [dialled(b)], { maxFrameBytes: 1 << 20 });
      const cNode = await spawn(started, c, [dialled(b)], { maxFrameBytes: 1024 });
      aNode.t.send(b.me.peerId, new Uint8Array(4096));
      await until(() => b.t.counters.framesOversize === 1, 'B refuses the oversize frame');
      cNode.t.send(b.me.peerId, text('from C'));
      await until(() => b.frames.some((f) => f.text === 'from C'), 'B still receives from C');
      aNode.t.send(b.me.peerId, text('A again'));
      await until(() => b.frames.some((f) => f.text === 'A again'), 'A reaches B on a new stream');
      cNode.t.send(b.me.peerId, new Uint8Array(2048));
      assert.equal(cNode.t.counters.framesDroppedOversize, 1, 'the sender refuses its own oversize frame');
    });
  });

  test('garbage on the frame stream from an allowed peer is survived and counted', async () => {
    await withNodes(async (started) => {
      const raw = principal();
      const a = principal();
      const b = await spawn(started, principal(), [admitted(raw), admitted(a)], { maxFrameBytes: 1024 });
      const host = await createHost({
        privateKey: await privateKeyOf(raw.secretKey),
        listen: [],
        allowed: new Set([b.me.peerId]),
        onRefused: () => undefined,
        maxFrameBytes: 1024,
        maxQueueBytes: 1 << 20,
      });
      started.push({ stop: async () => await host.stop() });
      const target = multiaddr(b.t.listenAddrs()[0]!);
      const open = (): Promise<Stream> => host.dialProtocol(target, FRAME_PROTOCOL);

      const huge = await open();
      huge.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff, ...randomBytes(2048)));
      await until(() => b.t.counters.framesOversize === 1, 'B refuses the huge prefix');
      await until(() => huge.status !== 'open', 'B resets the garbage stream');

      const noise = await open();
      noise.send(Uint8Array.of(0, 0, 0, 3, 1, 2, 3)); // one well-formed frame
      noise.send(randomBytes(4096)); // then noise: frames or an oversize prefix
      await until(() => b.t.counters.framesIn >= 1, 'B decodes the well-formed frame');
      const truncated = await open();
      truncated.send(Uint8Array.of(0, 0, 0, 100, 9, 9)); // a frame cut short by the end of the stream
      await truncated.close();

      const aNode = await spawn(started, a, [dialled(b)]);
      aNode.t.send(b.me.peerId, text('still alive'));
      await until(() => b.frames.some((f) => f.text === 'still alive'), 'B still serves a proper peer');
      assert.equal(b.frames.filter((f) => f.from === raw.peerId && f.text.length === 100).length, 0);
    });
  });

  test('frames beyond the queue bound for an unreachable peer are dropped and counted', async () => {
    await withNodes(async (started) => {
      const gone = principal();
      const unreachable = { peerId: gone.peerId, addrs: ['/ip4/127.0.0.1/tcp/1'] };
      const a = await spawn(started, principal(), [unreachable], { maxQueueBytes: 10_000 });
      for (let i = 0; i < 100; i++) a.t.send(gone.peerId, new Uint8Array(200));
      assert.equal(a.t.counters.framesQueued, 49, '49 x (4 + 200) bytes fit in 10,000');
      assert.equal(a.t.counters.framesDroppedQueueFull, 51);
      a.t.send(principal().peerId, text('who?'));
      assert.equal(a.t.counters.framesDroppedNoRoute, 1, 'an unknown peer has no route');
      await until(() => a.t.counters.dialFailures >= 2, 'A keeps redialling with backoff');
      assert.equal(a.t.counters.writes, 0);
    });
  });

  test('after a peer restarts on the same key and port, queued and new frames flow again', async () => {
    await withNodes(async (started) => {
      const { a, b } = await pair(started);
      a.t.send(b.me.peerId, text('before'));
      await until(() => b.frames.length === 1, 'B receives before');
      const address = b.t.listenAddrs()[0]!;
      const port = /\/tcp\/(\d+)/.exec(address)?.[1];
      await b.t.stop();
      await until(() => a.peerEvents.includes(`-${b.me.peerId}`), 'A sees B go');
      a.t.send(b.me.peerId, text('during outage'));
      const b2 = await spawn(started, b.me, [admitted(a.me)], { listen: [`/ip4/127.0.0.1/tcp/${port}`] });
      await until(() => b2.frames.length === 1, 'B2 receives the frame queued during the outage');
      a.t.send(b.me.peerId, text('after'));
      await until(() => b2.frames.length === 2, 'B2 receives after');
      assert.deepEqual(
        b2.frames.map((f) => f.text),
        ['during outage', 'after'],
      );
    });
  });

  test('a listen address in use makes start reject, releasing what it started', async () => {
    await withNodes(async (started) => {
      const b = await spawn(started, principal(), []);
      const taken = b.t.listenAddrs()[0]!.replace(/\/p2p\/.*$/, '');
      await assert.rejects(spawn(started, principal(), [], { listen: [taken] }));
    });
  });

  test('a throwing onFrame callback is counted and the stream keeps delivering', async () => {
    await withNodes(async (started) => {
      const { a, b } = await pair(started);
      b.onFrame = (_from, frame) => {
        if (decode(frame) === 'boom') throw new Error('caller bug');
      };
      for (const word of ['one', 'boom', 'two']) a.t.send(b.me.peerId, text(word));
      await until(() => b.frames.length === 3, 'B receives all three frames');
      assert.equal(b.t.counters.callbackErrors, 1);
      assert.deepEqual(
        b.frames.map((f) => f.text),
        ['one', 'boom', 'two'],
      );
    });
  });

  test('a client without listen addresses connects, sends, and gets replies', async () => {
    await withNodes(async (started) => {
      const client = principal();
      const replica = await spawn(started, principal(), [admitted(client)]);
      replica.onFrame = (from, frame) => replica.t.send(from, text(`reply to ${decode(frame)}`));
      replica.t.send(client.peerId, text('too early'));
      assert.equal(replica.t.counters.framesDroppedNoRoute, 1, 'no connection: no route to a client');
      const c = await spawn(started, client, [dialled(replica)], { listen: [] });
      assert.deepEqual(c.t.listenAddrs(), []);
      for (const n of [1, 2, 3]) c.t.send(replica.me.peerId, text(`request ${n}`));
      await until(() => c.frames.length === 3, 'the client receives three replies');
      assert.deepEqual(
        c.frames.map((f) => f.text),
        ['reply to request 1', 'reply to request 2', 'reply to request 3'],
      );
      assert.ok(c.frames.every((f) => f.from === replica.me.peerId));
    });
  });
});
