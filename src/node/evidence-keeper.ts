/**
 * What a replica does with a proof of misbehaviour: a JSON file anyone can re-verify (under
 * DIR/evidence/replica-I/), a log line, the `bftledger_evidence_total` counter by kind, and an entry
 * in status (the first 100). Equivocation proofs come from the core; forged-certificate proofs from
 * the frames the boundary refused for a certificate fault and the NEW-VIEWs it verified (see
 * `evidence/forgery.ts`, which blames the outermost signer, never a relayer).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Cluster } from '../config/cluster.js';
import type { Output } from '../core/pbft/types.js';
import { hexOf } from '../core/quorum.js';
import { sha256 } from '../crypto/hash.js';
import { evidenceFile } from '../evidence/evidence.js';
import { forgedCertificateFile } from '../evidence/forged-certificate.js';
import { type ForgedCertificate, ForgeryWatch } from '../evidence/forgery.js';
import type { Principals, RejectReason } from '../messages/boundary.js';
import type { AnyVerified } from '../messages/types.js';
import type { ReplicaMetrics } from './metrics.js';
import type { EvidenceSummary } from './status.js';

/** Entries kept for status. */
const MAX_LISTED = 100;

/** What the keeper needs from its replica. */
export interface EvidenceKeeperOptions {
  /** The network directory: files go under DIR/evidence/replica-ID/. */
  readonly dir: string;
  /** This replica's id. */
  readonly id: number;
  /** The cluster: its id and the replicas' public keys go into files. */
  readonly cluster: Cluster;
  /** The boundary's principals (n, f, replica verifiers built once). */
  readonly principals: Principals;
  /** Where proofs are counted. */
  readonly metrics: ReplicaMetrics;
  /** Where proofs are logged. */
  readonly logger: Logger;
}

/** Keeps the proofs of misbehaviour one replica collects. */
export class EvidenceKeeper {
  /** Proofs held (the first 100), listed in status. */
  readonly held: EvidenceSummary[] = [];
  /** Judges refused frames and verified NEW-VIEWs. */
  private readonly watch: ForgeryWatch;

  constructor(private readonly o: EvidenceKeeperOptions) {
    this.watch = new ForgeryWatch({ cluster: o.cluster.clusterId, principals: o.principals });
  }

  /** Two conflicting signed messages of one replica, from the core. */
  equivocation(out: Extract<Output, { type: 'evidence' }>): void {
    const publicKey = this.o.cluster.replicas[out.replica]?.publicKey;
    if (!publicKey) return;
    const file = evidenceFile(this.o.cluster.clusterId, publicKey, out.first, out.second);
    const name = `replica-${file.replica}-${file.kind}-v${file.view}-s${file.seq}.json`;
    const summary = { replica: file.replica, kind: file.kind, view: file.view, seq: file.seq };
    this.keep(name, file, summary, 'evidence of equivocation');
  }

  /** A frame the boundary refused: a proof when it is a validly signed, forged certificate. */
  refused(bytes: Uint8Array, reason: RejectReason): void {
    const forged = this.watch.refused(bytes, reason);
    if (forged) this.forged(forged);
  }

  /** A message the boundary verified: a proof when it is a NEW-VIEW that is not its recomputation. */
  verified(msg: AnyVerified): void {
    const forged = this.watch.verified(msg);
    if (forged) this.forged(forged);
  }

  /** Keeps a forged-certificate proof. */
  private forged(p: ForgedCertificate): void {
    const { cluster, principals } = this.o;
    const keys = cluster.replicas.map((r) => r.publicKey);
    const file = forgedCertificateFile(cluster.clusterId, principals.f, keys, p);
    const tag = hexOf(sha256(p.bytes)).slice(0, 12);
    const name = `replica-${p.replica}-forged-${p.message}-v${p.view}-${tag}.json`;
    const summary = { replica: p.replica, kind: file.kind, view: p.view, seq: 0, check: p.check };
    this.keep(name, file, summary, 'evidence of a forged certificate');
  }

  /** Writes the file, counts, lists and logs one proof. */
  private keep(name: string, file: object, summary: Omit<EvidenceSummary, 'file'>, what: string): void {
    const dir = join(this.o.dir, 'evidence', `replica-${this.o.id}`);
    const path = join(dir, name);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
    } catch (err) {
      this.o.logger.error({ err, path }, 'cannot write evidence file');
    }
    this.o.metrics.evidence.inc({
      kind: summary.kind === 'forged-certificate' ? summary.kind : 'equivocation',
    });
    const entry = { ...summary, file: path };
    if (this.held.length < MAX_LISTED) this.held.push(entry);
    this.o.logger.warn(entry, what);
  }
}
