/**
 * Forged certificates: a VIEW-CHANGE or NEW-VIEW whose own signature is valid but whose nested
 * certificate is forged or incomplete. A correct replica never signs one (it sends only certificates
 * that passed its own boundary, and a NEW-VIEW whose pre-prepares it computed from its view-changes),
 * so the message alone proves its signer misbehaved. The signer of the outermost envelope is the one
 * blamed: a NEW-VIEW that carries a bad VIEW-CHANGE is its primary's lie, whoever signed the inner
 * one.
 *
 * Only what is provably wrong from the message itself counts. A judgement uses the cluster id, n, f
 * and the replicas' keys, and nothing of the receiver's state: no watermark window, no current view,
 * no configured batch size (the protocol's hard limit applies), no client keys (requests inside
 * certificates are checked for structure only, since a file carries no client keys).
 */
import { planNewView } from '../core/pbft/view-change.js';
import { hexOf } from '../core/quorum.js';
import type { Verifier } from '../crypto/types.js';
import { NULL_BATCH_DIGEST } from '../messages/batch.js';
import {
  type BoundaryContext,
  type Principals,
  parseFrame,
  type RejectReason,
  verifyFrame,
} from '../messages/boundary.js';
import { sameBytes } from '../messages/certificates.js';
import { decode } from '../messages/codec.js';
import { bodyCodec, kindOfTag, signingBytes } from '../messages/envelope.js';
import { ENVELOPE } from '../messages/schema.js';
import type { AnyVerified } from '../messages/types.js';

/** The kinds that carry certificates. */
export type CertificateKind = 'view-change' | 'new-view';

/**
 * Which rule a forged message breaks: a certificate rule (too few entries, a repeated or wrong
 * signer, a digest, view or seq that does not match, a malformed entry), a nested signature that does
 * not verify under its signer's key, or a NEW-VIEW whose pre-prepares are not the ones its
 * view-changes imply.
 */
export type ForgedRule = 'certificate' | 'signature' | 'recomputation';

/** A provably forged certificate: who signed it, what it is, and which check failed. */
export interface ForgedCertificate {
  /** The accused: the signer of the outermost envelope. */
  readonly replica: number;
  /** Kind of the offending message. */
  readonly message: CertificateKind;
  /** The view it is for (a VIEW-CHANGE's new view, a NEW-VIEW's view). */
  readonly view: number;
  /** Which rule it breaks. */
  readonly rule: ForgedRule;
  /** The failed check, with the path to the failing entry. */
  readonly check: string;
  /** The offending envelope, verbatim. */
  readonly bytes: Uint8Array;
}

/** A judgement: a forged certificate, or why the message proves nothing. */
export type Judgement =
  | ({ readonly forged: true } & ForgedCertificate)
  | { readonly forged: false; readonly reason: string };

/** What a judgement may use: the cluster id, n, f and the replicas' keys (client keys are ignored). */
export interface EvidenceKeys {
  /** The cluster id the outer signature covers. */
  readonly cluster: Uint8Array;
  /** n, f and the replica verifiers. */
  readonly principals: Principals;
}

/** Stands in for every client key: request signatures are never judged. */
const UNJUDGED: Verifier = {
  publicKey: new Uint8Array(32),
  verify: () => true,
  verifyAsync: async () => true,
};

/** The boundary context of a judgement: no window, no configured batch size, client keys unjudged. */
export function evidenceContext(keys: EvidenceKeys): BoundaryContext {
  const { n, f } = keys.principals;
  const replica = (id: number) => keys.principals.replica(id);
  return { cluster: keys.cluster, principals: { n, f, replica, client: () => UNJUDGED } };
}

/** The outer envelope, opened and its signature verified; or why it cannot accuse anyone. */
function openOuter(
  bytes: Uint8Array,
  ctx: BoundaryContext,
): { sender: number; kind: CertificateKind; view: number } | { reason: string } {
  const env = decode(ENVELOPE, bytes);
  if (!env.ok) return { reason: `the envelope does not decode (${env.failure})` };
  const { kind: tag, cluster, sender, body, signature } = env.value;
  const kind = kindOfTag(tag);
  if (kind !== 'view-change' && kind !== 'new-view') return { reason: 'not a view-change or new-view' };
  if (!sameBytes(cluster, ctx.cluster)) return { reason: 'the envelope is for another cluster' };
  const verifier = sender < ctx.principals.n ? ctx.principals.replica(sender) : undefined;
  if (verifier === undefined) return { reason: `replica ${sender} has no key` };
  if (!verifier.verify(signingBytes(kind, cluster, sender, body), signature)) {
    return { reason: `the outer signature does not verify under replica ${sender}'s key` };
  }
  const decoded = decode(bodyCodec(kind), body);
  if (!decoded.ok) return { reason: `the body does not decode (${decoded.failure})` };
  const b = decoded.value as { newView?: number; view?: number };
  return { sender, kind, view: b.newView ?? b.view ?? 0 };
}

/**
 * Judges one envelope with only the keys: the outer signature must verify, and then a certificate
 * check must fail. Checks run in the boundary's fixed order (structure, then nested signatures depth
 * first, then a NEW-VIEW's recomputation), so the same bytes and keys always give the same answer.
 */
export function judgeForged(bytes: Uint8Array, keys: EvidenceKeys): Judgement {
  const ctx = evidenceContext(keys);
  const outer = openOuter(bytes, ctx);
  if ('reason' in outer) return { forged: false, reason: outer.reason };
  const accuse = (rule: ForgedRule, check: string): Judgement => ({
    forged: true,
    replica: outer.sender,
    message: outer.kind,
    view: outer.view,
    rule,
    check,
    bytes,
  });
  const parsed = parseFrame(bytes, ctx);
  if (!parsed.ok) return certificateFault(parsed, 'certificate', accuse);
  // The outer signature verified above; every nested one is checked here, in order.
  const known = (envelope: Uint8Array) => sameBytes(envelope, bytes);
  const checked = verifyFrame(parsed.value, known);
  if (!checked.ok) return certificateFault(checked, 'signature', accuse);
  const mismatch = newViewMismatch(checked.value);
  if (mismatch !== undefined) return accuse('recomputation', mismatch);
  return { forged: false, reason: 'every certificate check passes' };
}

/** A boundary refusal as a judgement: only a certificate fault accuses the signer. */
function certificateFault(
  refusal: { reason: RejectReason; detail?: string },
  rule: ForgedRule,
  accuse: (rule: ForgedRule, check: string) => Judgement,
): Judgement {
  if (refusal.reason !== 'bad-certificate') {
    return { forged: false, reason: `refused for ${refusal.reason}, which is not a certificate fault` };
  }
  return accuse(rule, refusal.detail ?? 'bad certificate');
}

/** A digest for a message: short hex, or 'the null batch'. */
function digestName(d: Uint8Array): string {
  return sameBytes(d, NULL_BATCH_DIGEST) ? 'the null batch' : `digest ${hexOf(d).slice(0, 16)}`;
}

/**
 * Why a verified NEW-VIEW's pre-prepares are not the set its view-changes imply (the first entry that
 * differs, or the count), or undefined when they are. Any other kind: undefined.
 */
export function newViewMismatch(msg: AnyVerified): string | undefined {
  if (msg.kind !== 'new-view') return undefined;
  const plan = planNewView(msg.viewChanges, NULL_BATCH_DIGEST);
  const got = msg.prePrepares;
  const want = plan.entries;
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    const g = got[i]!.body;
    const w = want[i]!;
    if (g.seq !== w.seq || !sameBytes(g.digest, w.digest)) {
      return (
        `new-view prePrepares[${i}]: seq ${g.seq} with ${digestName(g.digest)}, ` +
        `its view-changes imply seq ${w.seq} with ${digestName(w.digest)}`
      );
    }
  }
  if (got.length === want.length) return undefined;
  return (
    `new-view prePrepares: ${got.length} entries, its view-changes imply ${want.length} ` +
    `(seqs ${plan.minS + 1}..${plan.maxS})`
  );
}

/** Remembered judgements per watch: a bound on memory, cleared when reached. */
const MAX_JUDGED = 4096;

/**
 * A receiver's watch for forged certificates: judges the frames its boundary refused for a
 * certificate fault and every NEW-VIEW it verified, each envelope once, and keeps at most
 * `maxPerReplica` proofs against any one replica; past that bound its frames are not judged at
 * all. A judgement costs at most what the boundary spends on a frame it accepts (one parse, each
 * signature once), and a structural fault costs one signature. The same watch serves the runtime
 * and the simulator, so both see the same evidence for the same frames.
 */
export class ForgeryWatch {
  /** Signatures of the envelopes judged already. */
  private readonly judged = new Set<string>();
  /** Proofs reported so far, per accused replica. */
  private readonly reported = new Map<number, number>();

  constructor(
    /** The keys judgements use. */
    private readonly keys: EvidenceKeys,
    /** Most proofs reported against one replica. */
    private readonly maxPerReplica = 8,
  ) {}

  /** A frame the boundary refused: a proof when the refusal is a certificate fault that accuses its signer. */
  refused(bytes: Uint8Array, reason: RejectReason): ForgedCertificate | undefined {
    if (reason !== 'bad-certificate' || this.exhausted(bytes) || !this.first(bytes)) return undefined;
    const j = judgeForged(bytes, this.keys);
    return j.forged ? this.report(j) : undefined;
  }

  /**
   * A message the boundary verified: a proof when it is a NEW-VIEW whose pre-prepares differ from the
   * ones its view-changes imply. Its signatures verified already, so only the recomputation runs.
   */
  verified(msg: AnyVerified): ForgedCertificate | undefined {
    if (msg.kind !== 'new-view' || !this.first(msg.bytes)) return undefined;
    const check = newViewMismatch(msg);
    if (check === undefined) return undefined;
    const forged = { replica: msg.sender, message: msg.kind, view: msg.body.view, bytes: msg.bytes };
    return this.report({ ...forged, rule: 'recomputation', check });
  }

  /** Whether the envelope's signer has as many proofs against it as are kept (then it is not judged). */
  private exhausted(bytes: Uint8Array): boolean {
    const env = decode(ENVELOPE, bytes);
    return env.ok && (this.reported.get(env.value.sender) ?? 0) >= this.maxPerReplica;
  }

  /** Whether this envelope is new to the watch (its signature, the envelope's last 64 bytes, is the key). */
  private first(bytes: Uint8Array): boolean {
    const key = hexOf(bytes.subarray(Math.max(0, bytes.length - 64)));
    if (this.judged.has(key)) return false;
    if (this.judged.size >= MAX_JUDGED) this.judged.clear();
    this.judged.add(key);
    return true;
  }

  /** Counts a proof against its replica; undefined once the bound is reached. */
  private report(j: ForgedCertificate): ForgedCertificate | undefined {
    const count = this.reported.get(j.replica) ?? 0;
    if (count >= this.maxPerReplica) return undefined;
    this.reported.set(j.replica, count + 1);
    const { replica, message, view, rule, check, bytes } = j;
    return { replica, message, view, rule, check, bytes };
  }
}
