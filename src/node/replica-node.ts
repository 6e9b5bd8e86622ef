/**
 * The replica runtime: drives the pure PBFT core with real time (a tick every `tickMs`), the
 * libp2p transport, a journal on disk and the ledger. Frames pass the boundary with their signatures
 * verified (inline when they carry few, on libuv's thread pool when they carry many) and reach the
 * core in arrival order; outputs go through the pipeline that makes persists durable before any
 * later send leaves. Votes a slot no longer needs are dropped before verification. `verify` (or
 * BFTLEDGER_VERIFY=auto|inline|pool) picks where signatures are checked (see verify-mode.ts);
 * BFTLEDGER_TRACE=1 logs per-stage latencies (see trace.ts).
 */
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  type Cluster,
  genesisOf,
  loadCluster,
  loadSigner,
  pbftConfigOf,
  transportPeerOf,
  unsignedRequestsOf,
} from '../config/cluster.js';
import { type PbftDeps, PbftReplica } from '../core/pbft/replica.js';
import type { Input, Output, PbftConfig, RecoveredState } from '../core/pbft/types.js';
import { hexOf } from '../core/quorum.js';
import { sha256 } from '../crypto/hash.js';
import { LedgerStateMachine } from '../ledger/state-machine.js';
import {
  type BoundaryContext,
  type Checked,
  type ParsedFrame,
  parseFrame,
  verifyFrame,
  verifyFrameAsync,
} from '../messages/boundary.js';
import type { AnyVerified } from '../messages/types.js';
import type { Transport } from '../net/types.js';
import { LevelStore } from '../storage/level-store.js';
import { recoverState } from '../storage/recover.js';
import { registerCryptoMetrics } from './crypto-metrics.js';
import { EvidenceKeeper } from './evidence-keeper.js';
import { closeEndpoint } from './http-endpoint.js';
import { ReplicaMetrics } from './metrics.js';
import { OutputPipeline } from './output-pipeline.js';
import { principalsOf, VerifiedCache } from './principals.js';
import { openReplicaIo } from './replica-transport.js';
import { type ReplicaStatus, resourceSample, statusOf } from './status.js';
import { StageTrace } from './trace.js';
import { type VerifyMode, verifyModeFromEnv } from './verify-mode.js';

/** Signatures a frame may need checked and still be verified on the event loop (in 'auto' mode). */
const INLINE_SIGNATURES = 4;

/** How to start a replica. */
export interface ReplicaNodeOptions {
  /** The network directory: cluster.json, keys/, data/. */
  readonly dir: string;
  /** This replica's id. */
  readonly id: number;
  /** Structured logger. */
  readonly logger: Logger;
  /** Builds the core from its recovered state (Byzantine wrappers hook in here); defaults to the honest replica. */
  readonly makeCore?: (config: PbftConfig, deps: PbftDeps, state: RecoveredState) => PbftReplica;
  /** Serve /metrics and /status on the configured port (default true). */
  readonly http?: boolean;
  /** Where signatures are verified (default: BFTLEDGER_VERIFY, else 'auto'). */
  readonly verify?: VerifyMode;
}

/** A running replica process's runtime. */
export class ReplicaNode {
  /** The transport, set once started. */
  private transport: Transport | undefined;
  /** The HTTP server for /metrics and /status. */
  private server: Server | undefined;
  /** The tick timer. */
  private ticker: NodeJS.Timeout | undefined;
  /** First time each pending request (client:timestamp) reached this replica, for commit latency. */
  private readonly arrivals = new Map<string, number>();
  /** Envelopes verified already. */
  private readonly cache = new VerifiedCache();
  /** Persist-before-send ordering. */
  readonly pipeline: OutputPipeline;
  /** Metrics. */
  readonly metrics = new ReplicaMetrics();
  /** Peer id of each replica, by id. */
  private readonly replicaPeers: string[];
  /** Peer id of each client, by id. */
  private readonly clientPeers: string[];
  /** Proofs of misbehaviour collected: files, metrics, log lines, status. */
  private readonly evidence: EvidenceKeeper;
  /** True once stopping: no more steps. */
  private stopped = false;
  /** Frames being verified or waiting for an earlier one to be delivered to the core. */
  private verifying = 0;
  /** The end of the chain that delivers verified frames to the core in arrival order. */
  private delivered: Promise<void> = Promise.resolve();
  /** Where signatures are verified. */
  private readonly verifyMode: VerifyMode;
  /** Per-stage latency tracing (BFTLEDGER_TRACE=1), a no-op otherwise. */
  private readonly trace: StageTrace;

  private constructor(
    readonly cluster: Cluster,
    readonly core: PbftReplica,
    private readonly stateMachine: LedgerStateMachine,
    private readonly store: LevelStore,
    private readonly ctx: BoundaryContext,
    private readonly options: ReplicaNodeOptions,
  ) {
    this.trace = StageTrace.fromEnv((summary) => options.logger.info(summary, 'stage latencies (ms)'));
    this.verifyMode = options.verify ?? verifyModeFromEnv();
    this.pipeline = new OutputPipeline(store, (err) => this.fatal('storage failed', err), this.trace);
    this.replicaPeers = cluster.replicas.map((r) => r.peerId);
    this.clientPeers = cluster.clients.map((c) => transportPeerOf(cluster, c.id) ?? c.peerId);
    const { dir, id, logger } = options;
    const keeper = { dir, id, cluster, principals: ctx.principals, metrics: this.metrics, logger };
    this.evidence = new EvidenceKeeper(keeper);
    registerCryptoMetrics(this.metrics.registry);
  }

  /** Loads the configuration and keys, recovers from disk, and joins the network. */
  static async start(options: ReplicaNodeOptions): Promise<ReplicaNode> {
    const { dir, id, logger } = options;
    const cluster = loadCluster(dir);
    const signer = loadSigner(dir, 'replica', id);
    const config = pbftConfigOf(cluster, id);
    const ctx: BoundaryContext = {
      cluster: cluster.clusterId,
      principals: principalsOf(cluster),
      maxBatch: config.maxBatch,
      ...(unsignedRequestsOf(cluster) ? { unsignedRequests: true } : {}),
    };
    if (ctx.unsignedRequests === true)
      logger.warn(
        'UNSIGNED REQUESTS: cluster.json sets unsignedRequests, so client request signatures are NOT checked; ' +
          'benchmark networks only, never for real use',
      );
    const store = await LevelStore.open(join(dir, 'data', `replica-${id}`));
    const { state, refused } = recoverState(await store.load(), ctx);
    const stateMachine = new LedgerStateMachine(genesisOf(cluster), sha256);
    const deps: PbftDeps = { signer, stateMachine, hash: sha256 };
    const core = options.makeCore?.(config, deps, state) ?? PbftReplica.recover(config, deps, state);
    logger.info(
      { view: core.view, lastExecuted: core.lastExecuted, stable: core.lowWatermark, refused },
      'recovered from disk',
    );
    const node = new ReplicaNode(cluster, core, stateMachine, store, ctx, options);
    await node.listen();
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
    options.logger.info({ peerId: this.transport.peerId, address: self.address }, 'replica listening');
  }

  /**
   * A frame from the network: boundary checks, then its signatures (see `verifyInline`), then the
   * core. Nothing reaches the core before every signature it carries has verified.
   */
  private onFrame(_from: string, frame: Uint8Array): void {
    if (this.stopped) return;
    const t0 = this.trace.now();
    const parsed = parseFrame(frame, { ...this.ctx, window: this.core.boundaryWindow() });
    if (!parsed.ok) {
      this.metrics.rejected.inc({ reason: parsed.reason });
      this.evidence.refused(frame, parsed.reason);
      return;
    }
    const p = parsed.value;
    // A vote after its phase's quorum changes nothing: dropped before its signature costs a verify.
    if (this.core.isSurplusVote(p.message)) {
      this.metrics.surplusVotes.inc({ kind: p.message.kind });
      return;
    }
    const known = this.cache.known;
    const inline = this.verifyInline(p);
    if (inline && this.verifying === 0) {
      this.accept(p, verifyFrame(p, known), t0, 'inline');
      return;
    }
    // Frames reach the core in arrival order (per peer, the order it sent them): one verified on
    // the pool holds back every later frame, however they are verified.
    const checked = inline ? Promise.resolve(verifyFrame(p, known)) : verifyFrameAsync(p, known);
    this.verifying++;
    this.delivered = this.delivered
      .then(() => checked)
      .then((result) => {
        this.verifying--;
        this.accept(p, result, t0, inline ? 'inline' : 'pool');
      });
  }

  /**
   * Whether to verify a frame's signatures on the event loop rather than on libuv's pool. A check
   * on the pool costs two thread hand-offs (to a pool thread and back), each a wake-up that waits
   * for a core on a busy machine, and about half a verify of event-loop time anyway; so frames
   * with few signatures to check are verified inline, and only frames with many (a pre-prepare
   * with a large batch, certificates) go to the pool, where they verify in parallel.
   */
  private verifyInline(p: ParsedFrame): boolean {
    const mode = this.verifyMode;
    if (mode !== 'auto') return mode === 'inline';
    let unknown = 0;
    for (const c of p.signatures)
      if (!this.cache.known(c.envelope) && ++unknown > INLINE_SIGNATURES) return false;
    return true;
  }

  /** A parsed frame's verification result: the core gets it only if every signature verified. */
  private accept(p: ParsedFrame, checked: Checked<AnyVerified>, t0: number, where: string): void {
    if (this.stopped) return;
    if (!checked.ok) {
      this.metrics.rejected.inc({ reason: checked.reason });
      this.evidence.refused(p.message.bytes, checked.reason);
      return;
    }
    this.cache.remember(p.signatures.map((s) => s.envelope));
    const msg = checked.value;
    if (this.trace.enabled) this.trace.since(`verify.${where}.${msg.kind}`, t0);
    this.metrics.messagesIn.inc({ kind: msg.kind });
    if (msg.kind === 'request') {
      const key = `${msg.body.client}:${msg.body.timestamp}`;
      if (!this.arrivals.has(key) && this.arrivals.size < 100_000) this.arrivals.set(key, performance.now());
    }
    this.evidence.verified(msg);
    this.step({ type: 'message', msg });
  }

  /** Steps the core and carries out its outputs. A throw from the core is a bug: stop loudly. */
  private step(input: Input): void {
    if (this.stopped) return;
    let outs: Output[];
    const t0 = this.trace.now();
    try {
      outs = this.core.step(input);
    } catch (err) {
      this.fatal('core invariant violated', err);
      return;
    }
    for (const out of outs) this.carryOut(out);
    this.trace.since('step', t0);
    this.metrics.view.set(this.core.view);
    this.metrics.lastExecuted.set(this.core.lastExecuted);
    this.metrics.persistGroups.set(this.pipeline.groups);
  }

  private carryOut(out: Output): void {
    const log = this.options.logger;
    switch (out.type) {
      case 'persist':
        return this.pipeline.persist(out.record);
      case 'send':
        return this.sendTo(this.replicaPeers[out.to], out.msg.kind, out.msg.bytes);
      case 'broadcast':
        for (const [id, peer] of this.replicaPeers.entries()) {
          if (id !== this.options.id) this.sendTo(peer, out.msg.kind, out.msg.bytes);
        }
        return;
      case 'reply':
        // Each root has exactly one leaf 0: count roots by it.
        if (out.msg.body.index === 0) this.metrics.replyRoots.inc();
        return this.sendTo(this.clientPeers[out.client], 'reply', out.msg.bytes);
      case 'executed':
        return this.onExecuted(out);
      case 'stable':
        this.metrics.stableCheckpoint.set(out.seq);
        return;
      case 'view-change':
        this.metrics.viewChanges.inc();
        log.warn({ view: out.view }, 'view change started');
        return;
      case 'new-view':
        this.metrics.newViews.inc();
        log.info({ view: out.view, primary: out.primary }, 'new view installed');
        return;
      case 'state-transferred':
        this.metrics.stateTransfers.inc();
        log.info({ seq: out.seq, digest: hexOf(out.stateDigest) }, 'state transferred');
        return;
      case 'bad-peer':
        log.warn({ peer: out.peer, reason: out.reason }, 'peer served bad state');
        return;
      case 'ignored':
        this.metrics.ignored.inc({ reason: out.reason });
        return;
      case 'evidence':
        return this.evidence.equivocation(out);
    }
  }

  private sendTo(peerId: string | undefined, kind: string, bytes: Uint8Array): void {
    if (peerId === undefined) return;
    this.metrics.messagesOut.inc({ kind });
    this.pipeline.send(() => this.transport?.send(peerId, bytes));
  }

  private onExecuted(out: Extract<Output, { type: 'executed' }>): void {
    this.metrics.batchSize.observe(out.requests.length);
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
  status(): ReplicaStatus {
    return {
      ...statusOf(this.core, this.stateMachine, this.transport, this.cluster, this.options.id),
      evidence: this.evidence.held,
      resources: resourceSample(this.transport),
    };
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
    this.trace.stop();
    await this.pipeline.drain().catch(() => undefined);
    await this.transport?.stop();
    await closeEndpoint(this.server);
    await this.store.close().catch(() => undefined);
  }
}
