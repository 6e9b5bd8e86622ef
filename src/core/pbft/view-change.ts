/**
 * View-change arithmetic, shared by the new primary (which builds a NEW-VIEW) and every backup
 * (which recomputes it and refuses a NEW-VIEW that differs). Pure functions of verified messages.
 *
 * With signatures (Castro & Liskov, TOCS 2002, section 3), a prepared certificate is self-proving:
 * a pre-prepare and 2f matching prepares from distinct backups. For each sequence number above the
 * newest stable checkpoint in the 2f + 1 VIEW-CHANGEs, the new view re-proposes the digest of the
 * certificate with the highest view, or the null request where no certificate exists. Any request
 * committed at a quorum was prepared at f + 1 correct replicas, one of which is in every 2f + 1
 * VIEW-CHANGEs, so a committed digest is always re-proposed, never replaced.
 */
import type { Message, VerifiedMessage } from '../../messages/types.js';
import { equalBytes } from '../quorum.js';
import type { PrePrepare } from './slot.js';

/** A prepared certificate: the pre-prepare (with its verified batch) and 2f matching prepares. */
export interface Certificate {
  /** The primary's pre-prepare, verbatim, with its batch. */
  readonly prePrepare: PrePrepare;
  /** 2f matching prepares from distinct backups, verbatim. */
  readonly prepares: readonly Message<'prepare'>[];
}

/** A VIEW-CHANGE with its nested content opened: a verified one, or this replica's own. */
export type ViewChange = Message<'view-change'> & {
  /** The stable checkpoint's proof. */
  readonly proof: readonly Message<'checkpoint'>[];
  /** The prepared certificates above the stable checkpoint. */
  readonly certificates: readonly Certificate[];
};

/** One pre-prepare of a new view, before the new primary signs it. */
export interface PlannedEntry {
  /** Sequence number. */
  readonly seq: number;
  /** Batch digest: the chosen certificate's, or the null batch's. */
  readonly digest: Uint8Array;
  /** Request envelopes of the batch (empty for the null request). */
  readonly requests: readonly Uint8Array[];
  /** The same requests, verified. */
  readonly batch: readonly VerifiedMessage<'request'>[];
}

/** What a new view starts from. */
export interface NewViewPlan {
  /** The view-change whose stable checkpoint is the newest (min-s): its proof certifies it. */
  readonly stableFrom: ViewChange;
  /** min-s: the newest stable checkpoint among the view-changes. */
  readonly minS: number;
  /** max-s: the highest prepared sequence number (min-s when none). */
  readonly maxS: number;
  /** One entry per sequence number in (min-s, max-s], in order. */
  readonly entries: readonly PlannedEntry[];
}

/**
 * Computes the new view from a quorum of VIEW-CHANGEs (already verified and checked by the core:
 * each certificate's sequence number lies in (its stable seq, its stable seq + L]).
 */
export function planNewView(viewChanges: readonly ViewChange[], nullDigest: Uint8Array): NewViewPlan {
  let stableFrom = viewChanges[0]!;
  for (const vc of viewChanges) if (vc.body.stableSeq > stableFrom.body.stableSeq) stableFrom = vc;
  const minS = stableFrom.body.stableSeq;
  const best = new Map<number, Certificate>();
  for (const vc of viewChanges) {
    for (const cert of vc.certificates) {
      const { seq, view } = cert.prePrepare.body;
      if (seq <= minS) continue;
      const current = best.get(seq);
      if (!current || view > current.prePrepare.body.view) best.set(seq, cert);
    }
  }
  const maxS = Math.max(minS, ...best.keys());
  const entries: PlannedEntry[] = [];
  for (let seq = minS + 1; seq <= maxS; seq++) {
    const cert = best.get(seq);
    entries.push(
      cert
        ? {
            seq,
            digest: cert.prePrepare.body.digest,
            requests: cert.prePrepare.body.requests,
            batch: cert.prePrepare.batch,
          }
        : { seq, digest: nullDigest, requests: [], batch: [] },
    );
  }
  return { stableFrom, minS, maxS, entries };
}

/** Whether a NEW-VIEW's pre-prepares are exactly the plan's (same sequence numbers and digests). */
export function matchesPlan(prePrepares: readonly Message<'pre-prepare'>[], plan: NewViewPlan): boolean {
  if (prePrepares.length !== plan.entries.length) return false;
  return plan.entries.every((entry, i) => {
    const pp = prePrepares[i]!;
    return pp.body.seq === entry.seq && equalBytes(pp.body.digest, entry.digest);
  });
}

/**
 * The view a replica joins when f + 1 replicas asked for views above its own: the smallest view
 * that at least f + 1 of them want (so at least one correct replica wants it). Undefined otherwise.
 */
export function viewToJoin(
  highestAsked: ReadonlyMap<number, number>,
  above: number,
  f: number,
): number | undefined {
  const views = [...highestAsked.values()].filter((v) => v > above).sort((a, b) => b - a);
  return views.length >= f + 1 ? views[f] : undefined;
}

/** The request timeout for the k-th consecutive view change: doubled each time, capped. */
export function viewTimeoutTicks(baseTicks: number, consecutive: number, capTicks: number): number {
  return Math.min(capTicks, baseTicks * 2 ** Math.min(consecutive, 30));
}
