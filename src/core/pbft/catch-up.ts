/**
 * Catching up: a replica that missed messages fetches the committed batches it lacks (peers relay
 * the signed pre-prepares and votes, so no peer is trusted), and a replica behind a certified
 * checkpoint fetches the snapshot and accepts it only when its digest matches the certificate.
 */
import type { Message, VerifiedMessage } from '../../messages/types.js';
import type { CheckpointCertificate } from './checkpoints.js';
import { NormalCase } from './normal-case.js';
import { chunkSnapshot, FETCH, SnapshotFetch } from './state-transfer.js';

/** Slots a replica relays per log fetch: bounds the answer to one request. */
const FETCH_SLOTS = 16;

/** The catching-up layer of a PBFT replica. */
export abstract class CatchUp extends NormalCase {
  /** Peer asked by the last log fetch (rotates). */
  protected logFetchPeer: number;
  /** The NEW-VIEW that installed the current view: relayed with the log and to late replicas. */
  protected newViewMsg: Message<'new-view'> | undefined;

  constructor(...args: ConstructorParameters<typeof NormalCase>) {
    super(...args);
    this.logFetchPeer = this.config.id;
  }

  // ---- catching up --------------------------------------------------------------------------

  protected startFetch(cert: CheckpointCertificate): void {
    if (this.fetch && this.fetch.target.seq >= cert.seq) return;
    this.fetch = new SnapshotFetch(cert, this.config.n, this.config.id);
    this.requestSnapshot();
  }

  /** Asks one peer (rotating) for the committed batches after the last executed one. */
  protected requestLog(): void {
    const { n, id } = this.config;
    this.logFetchPeer = (this.logFetchPeer + 1) % n;
    if (this.logFetchPeer === id) this.logFetchPeer = (this.logFetchPeer + 1) % n;
    const msg = this.sign('fetch-state', { seq: this.executed + 1, what: FETCH.log, part: 0 });
    this.emit({ type: 'send', to: this.logFetchPeer, msg });
  }

  protected requestSnapshot(): void {
    const fetch = this.fetch;
    if (!fetch) return;
    if (fetch.peer < 0) fetch.nextPeer();
    const msg = this.sign('fetch-state', {
      seq: fetch.target.seq,
      what: FETCH.snapshot,
      part: fetch.nextPart(),
    });
    this.emit({ type: 'send', to: fetch.peer, msg });
  }

  protected onFetchState(msg: VerifiedMessage<'fetch-state'>): void {
    const { seq, what, part } = msg.body;
    const to = msg.sender;
    if (seq <= this.stable.seq || (what === FETCH.snapshot && seq !== this.stable.seq)) {
      // The asker is behind our stable checkpoint: give it the certificate, then it fetches state.
      for (const proof of this.stable.proof) this.emit({ type: 'send', to, msg: proof });
    }
    if (what === FETCH.snapshot && seq === this.stable.seq) {
      const chunks = chunkSnapshot(this.stable.snapshot, this.config.chunkBytes);
      const data = chunks[part];
      if (!data) return this.ignore(msg, 'unknown-fetch');
      const chunk = this.sign('state-chunk', { seq, what, part, parts: chunks.length, data });
      this.emit({ type: 'send', to, msg: chunk });
      return;
    }
    if (what !== FETCH.log) return this.ignore(msg, 'unknown-fetch');
    if (this.newViewMsg) this.emit({ type: 'send', to, msg: this.newViewMsg });
    for (let s = Math.max(seq, this.stable.seq + 1); s < seq + FETCH_SLOTS; s++) {
      const slot = this.slots.get(s);
      if (!slot?.prePrepare || !slot.prepared) break;
      this.emit({ type: 'send', to, msg: slot.prePrepare });
      for (const vote of slot.certificate()) this.emit({ type: 'send', to, msg: vote });
    }
  }

  protected onStateChunk(msg: VerifiedMessage<'state-chunk'>): void {
    const fetch = this.fetch;
    if (!fetch) return this.ignore(msg, 'unknown-fetch');
    const got = fetch.add(msg);
    if (got === 'ignored') return this.ignore(msg, 'unknown-fetch');
    if (got === 'more') return this.requestSnapshot();
    const { seq, stateDigest, proof } = fetch.target;
    if (!this.deps.stateMachine.restore(got, stateDigest)) {
      fetch.badPeers.add(msg.sender);
      this.emit({
        type: 'bad-peer',
        peer: msg.sender,
        reason: 'snapshot does not match checkpoint certificate',
      });
      fetch.nextPeer();
      return this.requestSnapshot();
    }
    this.fetch = undefined;
    this.executed = Math.max(this.executed, seq);
    this.lastProposed = Math.max(this.lastProposed, seq);
    this.progress();
    this.inLog.clear();
    this.emit({ type: 'state-transferred', seq, stateDigest });
    this.makeStable({ seq, stateDigest, proof, snapshot: got });
    for (const [client, req] of this.waiting) {
      if ((this.deps.stateMachine.lastReply(client)?.timestamp ?? -1) >= req.body.timestamp)
        this.waiting.delete(client);
    }
    for (const slot of this.slots.values()) if (slot.prePrepare) this.accept(slot, slot.prePrepare);
    this.executeReady();
  }
}
