/**
 * Lying during a view change. Each VIEW-CHANGE the replica sends is replaced by a forged one: a
 * prepared certificate short of a prepare, a certificate whose pre-prepare is a re-signed fake with
 * another batch, a stable checkpoint without its proof, a wrong genesis digest, or (the lie no one
 * can detect) no certificates at all. As the new primary, each NEW-VIEW it sends carries
 * pre-prepares that differ from the set its view-changes imply: a null request where a certificate
 * was, another digest, an entry too many or one too few. Everything is signed with its own key.
 */
import type { Output } from '../core/pbft/types.js';
import { hexOf } from '../core/quorum.js';
import { batchDigestWith } from '../messages/batch-digest.js';
import { seal } from '../messages/envelope.js';
import type { BodyOf } from '../messages/schema.js';
import type { Message } from '../messages/types.js';
import { BoundedMemo, decodeNested, isOwn, mapMessages, otherDigest, pickOne, withMessage } from './forge.js';
import type { Behaviour, BehaviourContext } from './types.js';

/** Ways to forge a VIEW-CHANGE. */
export const VIEW_CHANGE_FORGERIES = [
  'drop-prepare',
  'fake-pre-prepare',
  'drop-proof',
  'wrong-genesis',
  'omit-certificates',
] as const;

/** A VIEW-CHANGE forgery. */
export type ViewChangeForgery = (typeof VIEW_CHANGE_FORGERIES)[number];

/** Ways to forge a NEW-VIEW. */
export const NEW_VIEW_FORGERIES = [
  'null-for-certificate',
  'changed-digest',
  'extra-entry',
  'drop-entry',
] as const;

/** A NEW-VIEW forgery. */
export type NewViewForgery = (typeof NEW_VIEW_FORGERIES)[number];

/** Options of `bad-view-change`. */
export interface BadViewChangeOptions {
  /** VIEW-CHANGE forgeries to draw from (default all that fit). */
  readonly viewChange?: readonly ViewChangeForgery[];
  /** NEW-VIEW forgeries to draw from (default all that fit). */
  readonly newView?: readonly NewViewForgery[];
}

type ViewChangeBody = BodyOf['view-change'];
type NewViewBody = BodyOf['new-view'];

/** Replaces its VIEW-CHANGEs and NEW-VIEWs with forged, signed ones. */
export class BadViewChange implements Behaviour {
  readonly name = 'bad-view-change' as const;
  /** The forgery of each original, so a retransmission is forged into the same bytes. */
  private readonly forged = new BoundedMemo<Message>();

  constructor(
    /** Which forgeries to draw from. */
    private readonly options: BadViewChangeOptions = {},
  ) {}

  rewrite(outs: Output[], ctx: BehaviourContext): Output[] {
    return mapMessages(outs, (o) => {
      const msg = o.msg;
      if (!isOwn(msg, ctx.config) || (msg.kind !== 'view-change' && msg.kind !== 'new-view')) return [o];
      const forged = this.forged.getOrMake(hexOf(msg.bytes), () =>
        msg.kind === 'view-change'
          ? this.forgeViewChange(msg as Message<'view-change'>, ctx)
          : this.forgeNewView(msg as Message<'new-view'>, ctx),
      );
      return [withMessage(o, forged)];
    });
  }

  /** A VIEW-CHANGE with one rng-chosen forgery among those that fit. */
  private forgeViewChange(msg: Message<'view-change'>, ctx: BehaviourContext): Message {
    const b = msg.body;
    const hasCert = b.prepared.length > 0;
    const usable = (this.options.viewChange ?? VIEW_CHANGE_FORGERIES).filter(
      (f) => hasCert || (f !== 'drop-prepare' && f !== 'fake-pre-prepare' && f !== 'omit-certificates'),
    );
    if (usable.length === 0) return msg;
    return ctx.sign('view-change', forgedViewChange(pickOne(ctx.rng, usable), b, ctx));
  }

  /** A NEW-VIEW with one rng-chosen forgery among those that fit. */
  private forgeNewView(msg: Message<'new-view'>, ctx: BehaviourContext): Message {
    const b = msg.body;
    const nonNull = b.prePrepares.some(
      (pp) => (decodeNested(pp, 'pre-prepare')?.body.requests.length ?? 0) > 0,
    );
    const usable = (this.options.newView ?? NEW_VIEW_FORGERIES).filter((f) => {
      if (f === 'null-for-certificate' || f === 'changed-digest') return nonNull;
      return f === 'extra-entry' || b.prePrepares.length > 0;
    });
    if (usable.length === 0) return msg;
    return ctx.sign('new-view', forgedNewView(pickOne(ctx.rng, usable), b, ctx));
  }
}

/** The body of a VIEW-CHANGE with one forgery applied (certificate ones need a certificate). */
export function forgedViewChange(
  f: ViewChangeForgery,
  b: ViewChangeBody,
  ctx: BehaviourContext,
): ViewChangeBody {
  const k = ctx.config.checkpointInterval;
  switch (f) {
    case 'drop-prepare':
    case 'fake-pre-prepare': {
      const i = ctx.rng.int(b.prepared.length);
      const prepared = b.prepared.map((cert, j) => {
        if (j !== i) return cert;
        if (f === 'drop-prepare') return { ...cert, prepares: cert.prepares.slice(0, -1) };
        return { ...cert, prePrepare: fakePrePrepare(cert.prePrepare, ctx) };
      });
      return { ...b, prepared };
    }
    case 'drop-proof':
      return { ...b, stableSeq: b.stableSeq > 0 ? b.stableSeq : k, checkpointProof: [] };
    case 'wrong-genesis':
      return { ...b, stableSeq: 0, stableDigest: otherDigest(ctx, b.stableDigest), checkpointProof: [] };
    case 'omit-certificates':
      return { ...b, prepared: [] };
  }
}

/**
 * A pre-prepare like the nested one but for its batch without the last request (digest recomputed),
 * under the original primary's name and signed with this replica's own key: it verifies only when
 * this replica was that primary, and its digest matches none of the certificate's prepares.
 */
function fakePrePrepare(bytes: Uint8Array, ctx: BehaviourContext): Uint8Array {
  const pp = decodeNested(bytes, 'pre-prepare');
  if (pp === undefined) return bytes.slice(0, -1);
  const requests = pp.body.requests.slice(0, -1);
  const digest =
    pp.body.requests.length > 0 ? batchDigestWith(ctx.hash, requests) : otherDigest(ctx, pp.body.digest);
  const body = { ...pp.body, digest, requests };
  return seal(ctx.signer, ctx.config.cluster, 'pre-prepare', pp.sender, body).bytes;
}

/** The body of a NEW-VIEW with one forgery applied to its pre-prepares (each re-signed). */
export function forgedNewView(f: NewViewForgery, b: NewViewBody, ctx: BehaviourContext): NewViewBody {
  const pps = b.prePrepares;
  switch (f) {
    case 'null-for-certificate':
    case 'changed-digest': {
      const i = pps.findIndex((pp) => (decodeNested(pp, 'pre-prepare')?.body.requests.length ?? 0) > 0);
      const prePrepares = pps.map((pp, j) => (j === i ? reproposed(pp, f, ctx) : pp));
      return { ...b, prePrepares };
    }
    case 'extra-entry': {
      const last = pps.length > 0 ? decodeNested(pps[pps.length - 1]!, 'pre-prepare')?.body.seq : undefined;
      const seq = (last ?? ctx.lowWatermark) + 1;
      const digest = batchDigestWith(ctx.hash, []);
      const extra = ctx.sign('pre-prepare', { view: b.view, seq, digest, requests: [] });
      return { ...b, prePrepares: [...pps, extra.bytes] };
    }
    case 'drop-entry':
      return { ...b, prePrepares: pps.slice(0, -1) };
  }
}

/** One of the new primary's own pre-prepares re-proposed with the null batch, or one request fewer. */
function reproposed(bytes: Uint8Array, f: NewViewForgery, ctx: BehaviourContext): Uint8Array {
  const pp = decodeNested(bytes, 'pre-prepare');
  if (pp === undefined) return bytes;
  const requests = f === 'null-for-certificate' ? [] : pp.body.requests.slice(0, -1);
  const digest = batchDigestWith(ctx.hash, requests);
  return ctx.sign('pre-prepare', { ...pp.body, digest, requests }).bytes;
}
