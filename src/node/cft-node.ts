/**
 * The crash-fault replica runtime: drives the pure CFT core (core/cft) with real time (a tick every
 * `tickMs`), the same libp2p transport, LevelDB storage and ledger as the PBFT runtime, and the same
 * persist-before-send pipeline (term, vote and log appends are durable before the vote or
 * acknowledgement that depends on them leaves: cft-barrier.ts).
 *
 * Replicas trust each other (crash faults only): their messages are unsigned, and the sender of a
 * frame is the replica whose Noise-authenticated peer id the connection carries. Client REQUESTs
 * stay signed: each is verified once, here at the boundary, before the core sees it (on the event
 * loop, or on libuv's pool with `verify: 'pool'`); followers take the leader's entries on
 * trust. Frames reach the core in arrival order.
 */
import { randomInt } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  type Cluster,
  cftConfigOf,
  clientViaOf,
  genesisOf,
  loadCluster,
  transportPeerOf,
} from '../config/cluster.js';
import { CftReplica } from '../core/cft/replica.js';
import type { CftInput, CftOutput, CftPersistRecord } from '../core/cft/types.js';
import { seededRng } from '../core/prng.js';
import { hexOf } from '../core/quorum.js';
import { sha256 } from '../crypto/hash.js';
import { LedgerStateMachine } from '../ledger/state-machine.js';
import { type Checked, type ParsedFrame, verifyFrame, verifyFrameAsync } from '../messages/boundary.js';
import { type CftBoundaryContext, type CftPeer, parseCftFrame, sealCft } from '../messages/cft-boundary.js';
import type { CftMessage } from '../messages/cft-types.js';
import type { AnyVerified, VerifiedMessage } from '../messages/types.js';
import type { Transport } from '../net/types.js';
import { CftLevelStore } from '../storage/cft-level-store.js';
import { recoverCftState } from '../storage/cft-recover.js';
import { cftBarrier } from './cft-barrier.js';
import { CftMetrics } from './cft-metrics.js';
import { type CftReplicaStatus, cftStatusOf } from './cft-status.js';
import { registerCryptoMetrics } from './crypto-metrics.js';
import { closeEndpoint } from './http-endpoint.js';
import { OutputPipeline } from './output-pipeline.js';
import { principalsOf, VerifiedCache } from './principals.js';
import { openReplicaIo } from './replica-transport.js';
import { resourceSample } from './status.js';
import { type VerifyMode, verifyModeFromEnv } from './verify-mode.js';

/** How to start a crash-fault replica. */
export interface CftNodeOptions {
  /** The network directory: cluster.json, keys/, data/. */
  readonly dir: string;
  /** This replica's id. */
  readonly id: number;
  /** Structured logger. */
  readonly logger: Logger;
  /** Serve /metrics and /status on the configured port (default true). */
  readonly http?: boolean;
  /** Where client signatures are verified: 'pool' on libuv's pool, else inline (default: BFTLEDGER_VERIFY). */
  readonly verify?: VerifyMode;
}

/** A running crash-fault replica. */
export class CftNode {
  /** The transport, set once started. */
  private transport: Transport | undefined;
  /** The HTTP server for /metrics and /status. */
  private server: Server | undefined;
  /** The tick timer. */
  private ticker: NodeJS.Timeout | undefined;
  /** First time each pending request (client:timestamp) reached this replica, for commit latency. */
  private readonly arrivals = new Map<string, number>();
  /** Request envelopes verified already (a client resends to every replica after a timeout). */
  private readonly cache = new VerifiedCache();
  /** Persist-before-send ordering. */
  readonly pipeline: OutputPipeline<CftPersistRecord>;
  /** Metrics. */
  readonly metrics = new CftMetrics();
  /** Peer id of each replica, by id. */
  private readonly replicaPeers: string[];
  /** Peer id of each client, by id. */
  private readonly clientPeers: string[];
  /** Who each peer id is: the authenticated sender of its frames. */
  private readonly peers = new Map<string, CftPeer>();
  /** True once stopping: no more steps. */
  private stopped = false;
  /** Frames waiting for an earlier one verified on the pool (they are delivered in arrival order). */
  private waiting = 0;
  /** The end of the chain that delivers frames to the core in arrival order while any is on the pool. */
  private delivered: Promise<void> = Promise.resolve();
  /** Verify client signatures on libuv's pool ('pool') rather than on the event loop (the others). */
  private readonly verifyOnPool: boolean;

  private constructor(
    /** The cluster configuration. */
    readonly cluster: Cluster,
    /** The core. */
    readonly core: CftReplica,
    private readonly stateMachine: LedgerStateMachine,
    private readonly store: CftLevelStore,
    private readonly ctx: CftBoundaryContext,
    private readonly options: CftNodeOptions,
    /** The term and vote on disk at start (what the first barrier compares with). */
    durable: { readonly term: number; readonly votedFor: number | undefined },
  ) {
    this.verifyOnPool = (options.verify ?? verifyModeFromEnv()) === 'pool';
    const onFailure = (err: unknown) => this.fatal('storage failed', err);
    const barrier = cftBarrier(durable);
    this.pipeline = new OutputPipeline<CftPersistRecord>(store, onFailure, undefined, barrier);
    this.replicaPeers = cluster.replicas.map((r) => r.peerId);
    this.clientPeers = cluster.clients.map((c) => transportPeerOf(cluster, c.id) ?? c.peerId);
    for (const r of cluster.replicas) this.peers.set(r.peerId, { role: 'replica', id: r.id });
    for (const c of cluster.clients) this.peers.set(c.peerId, { role: 'client', id: c.id });
    registerCryptoMetrics(this.metrics.registry);
    this.updateGauges();
  }

  /** Loads the configuration and keys, recovers from disk, and joins the network. */
  static async start(options: CftNodeOptions): Promise<CftNode> {
    const { dir, id, logger } = options;
    const cluster = loadCluster(dir);
    const config = cftConfigOf(cluster, id);
    const ctx: CftBoundaryContext = {
      cluster: cluster.clusterId,
      principals: principalsOf(cluster),
      maxBatch: config.maxBatch,
      clientVia: clientViaOf(cluster),
    };
    const store = await CftLevelStore.open(join(dir, 'data', `replica-${id}`));
    let core: CftReplica;
    let stateMachine: LedgerStateMachine;
    let durable: { term: number; votedFor: number | undefined };
    try {
      const { state, refused, droppedEntries } = await recoverCftState(await store.load(), ctx);
      durable = { term: state.term, votedFor: state.votedFor };
      stateMachine = new LedgerStateMachine(genesisOf(cluster), sha256);
      // Election timeouts must differ between replicas and between runs: a fresh seed each start.
      const rng = seededRng(randomInt(2 ** 31));
      core = CftReplica.recover(config, { stateMachine, rng }, state);
      logger.info(
        { term: core.term, commit: core.commitIndex, snapshot: core.snapshotIndex, refused, droppedEntries },
        'recovered from disk',
      );
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    const node = new CftNode(cluster, core, stateMachine, store, ctx, options, durable);
    try {
      await node.listen();
    } catch (err) {
      await node.stop();
      throw err;
    }
    return node;
  }

  private async listen(): Promise<void> {
    const { cluster, options } = this;
    const self = cluster.replicas[options.id]!;
    const p = cluster.parameters;
    const io = await openReplicaIo(cluster, {
      dir: options.dir,
      id: options.id,
      http: options.http,
      metrics: this.metrics,
      onFrame: (from, frame) => this.onFrame(from, frame),
      status: () => this.status(),
    });
    this.transport = io.transport;
    this.server = io.server;
    this.ticker = setInterval(() => this.step({ type: 'tick' }), p.tickMs);
    options.logger.info(
      { peerId: this.transport.peerId, address: self.address, protocol: 'cft' },
      'replica listening',
    );
  }

  /**
   * A frame from the network: the crash-fault boundary with the connection's authenticated peer as
   * the sender; a client REQUEST's signature is verified before the core sees it.
   */
  private onFrame(fromPeer: string, frame: Uint8Array): void {
    if (this.stopped) return;
    const from = this.peers.get(fromPeer);
    if (from === undefined) {
      this.metrics.rejected.inc({ reason: 'unknown-sender' });
      return;
    }
    const parsed = parseCftFrame(frame, this.ctx, from);
    if (!parsed.ok) {
      this.metrics.rejected.inc({ reason: parsed.reason });
      this.options.logger.debug({ from, reason: parsed.reason, detail: parsed.detail }, 'frame refused');
      return;
    }
    const p = parsed.value;
    if (p.type === 'protocol') {
      const input: CftInput = { type: 'message', msg: p.msg };
      if (this.waiting === 0) this.accept(p.msg.kind, input);
      else this.deliverInOrder(Promise.resolve(() => this.accept(p.msg.kind, input)));
      return;
    }
    const known = this.cache.known;
    if (!this.verifyOnPool && this.waiting === 0) {
      this.acceptRequest(p.frame, verifyFrame(p.frame, known));
      return;
    }
    const checked = this.verifyOnPool
      ? verifyFrameAsync(p.frame, known)
      : Promise.resolve(verifyFrame(p.frame, known));
    this.deliverInOrder(checked.then((result) => () => this.acceptRequest(p.frame, result)));
  }

  /** Runs `ready`'s delivery after every frame that arrived before it. */
  private deliverInOrder(ready: Promise<() => void>): void {
    this.waiting++;
    this.delivered = this.delivered
      .then(() => ready)
      .then((deliver) => {
        this.waiting--;
        deliver();
      });
  }

  /** A client REQUEST whose signature check finished: the core gets it only if it verified. */
  private acceptRequest(p: ParsedFrame, checked: Checked<AnyVerified>): void {
    if (this.stopped) return;
    if (!checked.ok) {
      this.metrics.rejected.inc({ reason: checked.reason });
      return;
    }
    this.cache.remember(p.signatures.map((s) => s.envelope));
    const request = checked.value as VerifiedMessage<'request'>;
    const key = `${request.body.client}:${request.body.timestamp}`;
    if (!this.arrivals.has(key) && this.arrivals.size < 100_000) this.arrivals.set(key, performance.now());
    this.accept('request', { type: 'request', request });
  }

  /** Counts an accepted message and steps the core with it. */
  private accept(kind: string, input: CftInput): void {
    if (this.stopped) return;
    this.metrics.messagesIn.inc({ kind });
    this.step(input);
  }

  /** Steps the core and carries out its outputs. A throw from the core is a bug: stop loudly. */
  private step(input: CftInput): void {
    if (this.stopped) return;
    let outs: CftOutput[];
    try {
      outs = this.core.step(input);
    } catch (err) {
      this.fatal('core invariant violated', err);
      return;
    }
    for (const out of outs) this.carryOut(out);
    this.updateGauges();
  }

  /** Sets the gauges that follow the core's state. */
  private updateGauges(): void {
    const { core, metrics } = this;
    metrics.term.set(core.term);
    metrics.setRole(core.role);
    metrics.leader.set(core.leader ?? -1);
    metrics.commitIndex.set(core.commitIndex);
    metrics.lastApplied.set(core.lastApplied);
    metrics.snapshotIndex.set(core.snapshotIndex);
    metrics.persistGroups.set(this.pipeline.groups);
  }

  private carryOut(out: CftOutput): void {
    const log = this.options.logger;
    switch (out.type) {
      case 'persist':
        if (out.record.type === 'snapshot' && out.record.how === 'taken') this.metrics.snapshotsTaken.inc();
        return this.pipeline.persist(out.record);
      case 'send':
        return this.sendTo(this.replicaPeers[out.to], out.msg);
      case 'broadcast': {
        const bytes = sealCft(this.cluster.clusterId, out.msg);
        for (const [id, peer] of this.replicaPeers.entries())
          if (id !== this.options.id) this.sendBytes(peer, out.msg.kind, bytes);
        return;
      }
      case 'reply':
      case 'redirect':
        return this.sendTo(this.clientPeers[out.client], out.msg);
      case 'executed':
        return this.onExecuted(out);
      case 'snapshot-installed':
        this.metrics.snapshotsInstalled.inc();
        log.info({ index: out.index, digest: hexOf(out.stateDigest) }, "installed the leader's snapshot");
        return;
      case 'term-changed':
        log.debug({ term: out.term }, 'term changed');
        return;
      case 'election-started':
        this.metrics.elections.inc();
        log.info({ term: out.term }, 'standing for election');
        return;
      case 'leader-elected':
        this.metrics.leaderChanges.inc();
        log.info({ term: out.term, leader: out.leader }, 'leader of the term');
        return;
      case 'pre-vote-started':
        this.metrics.preVotes.inc();
        log.info({ term: out.term }, 'asking for pre-votes');
        return;
      case 'stepped-down':
        this.metrics.stepDowns.inc();
        log.warn({ term: out.term }, 'stepped down: no majority answered within an election timeout');
        return;
      case 'ignored':
        this.metrics.ignored.inc({ reason: out.reason });
        return;
    }
  }

  /** Seals a message and queues it for one peer. */
  private sendTo(peerId: string | undefined, msg: CftMessage): void {
    if (peerId === undefined) return;
    this.sendBytes(peerId, msg.kind, sealCft(this.cluster.clusterId, msg));
  }

  /** Queues a frame for a peer behind the persists queued before it. */
  private sendBytes(peerId: string, kind: string, bytes: Uint8Array): void {
    this.metrics.messagesOut.inc({ kind });
    this.pipeline.send(() => this.transport?.send(peerId, bytes));
  }

  private onExecuted(out: Extract<CftOutput, { type: 'executed' }>): void {
    if (out.requests.length > 0) this.metrics.batchSize.observe(out.requests.length);
    const now = performance.now();
    for (const r of out.requests) {
      const key = `${r.body.client}:${r.body.timestamp}`;
      const at = this.arrivals.get(key);
      if (at !== undefined) {
        this.metrics.commitLatency.observe((now - at) / 1000);
        this.arrivals.delete(key);
      }
    }
  }

  /** What `bftledger status` shows for this replica. */
  status(): CftReplicaStatus {
    const status = cftStatusOf(this.core, this.stateMachine, this.transport, this.cluster, this.options.id);
    return { ...status, resources: resourceSample(this.transport) };
  }

  private fatal(what: string, err: unknown): void {
    this.options.logger.fatal({ err }, what);
    void this.stop().finally(() => process.exit(70));
  }

  /** Stops ticking, flushes what must be durable, and leaves the network. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    await this.pipeline.drain().catch(() => undefined);
    await this.transport?.stop();
    await closeEndpoint(this.server);
    await this.store.close().catch(() => undefined);
  }
}
