/**
 * Certificates nested in VIEW-CHANGE and NEW-VIEW messages, checked at the boundary.
 *
 * A VIEW-CHANGE carries its stable checkpoint's proof (a quorum of CHECKPOINTs) and its prepared
 * certificates (a PRE-PREPARE and 2f matching PREPAREs each); a NEW-VIEW carries a quorum of
 * VIEW-CHANGEs and the new primary's PRE-PREPAREs. Every nested envelope is opened expecting one
 * fixed kind, with every check of that kind except the receiver's window (nested messages are
 * historical), so nesting never goes deeper than NEW-VIEW > VIEW-CHANGE > PRE-PREPARE > REQUEST.
 * Whether a NEW-VIEW's pre-prepares are the ones its view-changes imply is the core's question.
 *
 * The opener is passed in by `boundary.ts`, which owns the envelope checks; this module imports
 * only types from it. Faults carry a path to the failing item (`prepared[2].prepares[0]: ...`), and
 * so do the signature checks `signatureChecks` lists for the parsed tree, nested envelopes included.
 */
import type { Principals, SignatureCheck } from './boundary.js';
import { type Fault, fault, type RejectReason } from './reject.js';
import type { BodyOf, Kind } from './schema.js';
import type { Message } from './types.js';

/** The kinds an envelope may be nested as: each container opens its entries as one fixed kind. */
export type NestedKind = 'request' | 'pre-prepare' | 'prepare' | 'checkpoint' | 'view-change';

/** One envelope's signature check, before its place in the whole frame is known. */
export type Signed = Omit<SignatureCheck, 'failure'>;

/** A prepared certificate that passed every check but signatures. */
export interface ParsedCertificate {
  /** The pre-prepare, with its batch. */
  readonly prePrepare: Parsed<'pre-prepare'>;
  /** At least 2f prepares from distinct backups matching its (view, seq, digest). */
  readonly prepares: readonly Parsed<'prepare'>[];
}

/** A view-change's nested parts, parsed. */
export interface ViewChangeParts {
  /** The stable checkpoint's proof (empty at stable seq 0). */
  readonly proof: readonly Parsed<'checkpoint'>[];
  /** The prepared certificates, in message order. */
  readonly certificates: readonly ParsedCertificate[];
}

/** A new-view's nested parts, parsed. */
export interface NewViewParts {
  /** The quorum of view-changes, each with its own nested parts. */
  readonly viewChanges: readonly Parsed<'view-change'>[];
  /** The new primary's pre-prepares, seqs strictly increasing. */
  readonly prePrepares: readonly Parsed<'pre-prepare'>[];
}

/** What each kind nests, parsed (mirrors `Attachments`). */
export interface NestedParts {
  request: object;
  /** The batch's requests, in batch order. */
  'pre-prepare': { readonly batch: readonly Parsed<'request'>[] };
  prepare: object;
  commit: object;
  reply: object;
  checkpoint: object;
  'view-change': ViewChangeParts;
  'new-view': NewViewParts;
  'fetch-state': object;
  'state-chunk': object;
}

/** A message that passed every check but signatures, with everything nested in it likewise parsed. */
export type Parsed<K extends Kind = Kind> = {
  [P in K]: { readonly kind: P; readonly message: Message<P>; readonly signed: Signed } & NestedParts[P];
}[K];

/** Opens one nested envelope expecting `kind`, with every check of that kind except the window. */
export type OpenNested = <K extends NestedKind>(bytes: Uint8Array, kind: K) => Parsed<K> | Fault;

/** Votes that make a quorum: ceil((n + f + 1) / 2), which is 2f + 1 when n = 3f + 1. */
export function quorumOf(p: Principals): number {
  return Math.ceil((p.n + p.f + 1) / 2);
}

/** A certificate rule broken at `detail`'s path. */
function bad(detail: string): Fault {
  return fault('bad-certificate', detail);
}

/** A nested envelope at `path` failed its own checks: a certificate fault naming where. */
function within(path: string, f: Fault): Fault {
  return bad(f.reason === 'bad-certificate' ? `${path}.${f.detail}` : `${path}: ${f.reason} (${f.detail})`);
}

/** The stable checkpoint's proof: none at stable seq 0, else a quorum of matching CHECKPOINTs. */
function checkProof(
  b: BodyOf['view-change'],
  p: Principals,
  open: OpenNested,
): Parsed<'checkpoint'>[] | Fault {
  const entries = b.checkpointProof;
  if (b.stableSeq === 0) {
    return entries.length === 0 ? [] : bad(`checkpointProof: ${entries.length} entries at stable seq 0`);
  }
  const need = quorumOf(p);
  if (entries.length < need) return bad(`checkpointProof: ${entries.length} entries, need ${need}`);
  const proof: Parsed<'checkpoint'>[] = [];
  const senders = new Set<number>();
  for (const [i, bytes] of entries.entries()) {
    const at = `checkpointProof[${i}]`;
    const c = open(bytes, 'checkpoint');
    if ('reason' in c) return within(at, c);
    const { seq, stateDigest } = c.message.body;
    if (seq !== b.stableSeq) return bad(`${at}: seq ${seq}, stable seq ${b.stableSeq}`);
    if (!sameBytes(stateDigest, b.stableDigest)) return bad(`${at}: state digest is not the stable digest`);
    if (senders.has(c.message.sender)) return bad(`${at}: replica ${c.message.sender} repeats`);
    senders.add(c.message.sender);
    proof.push(c);
  }
  return proof;
}

/** One prepared certificate: a pre-prepare below the new view and above the stable seq, 2f prepares. */
function checkCertificate(
  entry: BodyOf['view-change']['prepared'][number],
  at: string,
  b: BodyOf['view-change'],
  p: Principals,
  open: OpenNested,
): ParsedCertificate | Fault {
  const need = 2 * p.f;
  if (entry.prepares.length < need) return bad(`${at}: ${entry.prepares.length} prepares, need ${need}`);
  const prePrepare = open(entry.prePrepare, 'pre-prepare');
  if ('reason' in prePrepare) return within(`${at}.prePrepare`, prePrepare);
  const { view, seq, digest } = prePrepare.message.body;
  if (view >= b.newView) return bad(`${at}.prePrepare: view ${view}, not below new view ${b.newView}`);
  if (seq <= b.stableSeq) return bad(`${at}.prePrepare: seq ${seq}, not above stable seq ${b.stableSeq}`);
  const prepares: Parsed<'prepare'>[] = [];
  const senders = new Set<number>();
  for (const [j, bytes] of entry.prepares.entries()) {
    const where = `${at}.prepares[${j}]`;
    const vote = open(bytes, 'prepare');
    if ('reason' in vote) return within(where, vote);
    const v = vote.message.body;
    if (v.view !== view || v.seq !== seq) {
      return bad(`${where}: (view, seq) (${v.view}, ${v.seq}), pre-prepare's (${view}, ${seq})`);
    }
    if (!sameBytes(v.digest, digest)) return bad(`${where}: digest is not the pre-prepare's`);
    if (senders.has(vote.message.sender)) return bad(`${where}: replica ${vote.message.sender} repeats`);
    senders.add(vote.message.sender);
    prepares.push(vote);
  }
  return { prePrepare, prepares };
}

/** A view-change's proof and prepared certificates (its own fields were checked already). */
export function checkViewChange(
  m: Message<'view-change'>,
  p: Principals,
  open: OpenNested,
): ViewChangeParts | Fault {
  const proof = checkProof(m.body, p, open);
  if ('reason' in proof) return proof;
  const certificates: ParsedCertificate[] = [];
  const seqs = new Set<number>();
  for (const [i, entry] of m.body.prepared.entries()) {
    const at = `prepared[${i}]`;
    const cert = checkCertificate(entry, at, m.body, p, open);
    if ('reason' in cert) return cert;
    const seq = cert.prePrepare.message.body.seq;
    if (seqs.has(seq)) return bad(`${at}: seq ${seq} repeats`);
    seqs.add(seq);
    certificates.push(cert);
  }
  return { proof, certificates };
}

/** A new-view's quorum of view-changes for its view and its pre-prepares (its own fields were checked). */
export function checkNewView(m: Message<'new-view'>, p: Principals, open: OpenNested): NewViewParts | Fault {
  const { view } = m.body;
  const need = quorumOf(p);
  if (m.body.viewChanges.length < need) {
    return bad(`viewChanges: ${m.body.viewChanges.length} entries, need ${need}`);
  }
  const viewChanges: Parsed<'view-change'>[] = [];
  const senders = new Set<number>();
  for (const [i, bytes] of m.body.viewChanges.entries()) {
    const at = `viewChanges[${i}]`;
    const vc = open(bytes, 'view-change');
    if ('reason' in vc) return within(at, vc);
    const newView = vc.message.body.newView;
    if (newView !== view) return bad(`${at}: view-change to view ${newView}, new-view for view ${view}`);
    if (senders.has(vc.message.sender)) return bad(`${at}: replica ${vc.message.sender} repeats`);
    senders.add(vc.message.sender);
    viewChanges.push(vc);
  }
  const prePrepares: Parsed<'pre-prepare'>[] = [];
  let last = 0;
  for (const [i, bytes] of m.body.prePrepares.entries()) {
    const at = `prePrepares[${i}]`;
    const pp = open(bytes, 'pre-prepare');
    if ('reason' in pp) return within(at, pp);
    const b = pp.message.body;
    if (b.view !== view) return bad(`${at}: view ${b.view}, new-view for view ${view}`);
    if (i > 0 && b.seq <= last) return bad(`${at}: seq ${b.seq} after seq ${last}`);
    last = b.seq;
    prePrepares.push(pp);
  }
  return { viewChanges, prePrepares };
}

/**
 * The envelopes nested directly in `p`, each with its path relative to `p` (body field names), in
 * body order: what signature checks and failure details walk.
 */
export function childrenOf(p: Parsed): readonly (readonly [string, Parsed])[] {
  switch (p.kind) {
    case 'pre-prepare':
      return p.batch.map((q, i) => [`requests[${i}]`, q] as const);
    case 'view-change':
      return [
        ...p.proof.map((c, i) => [`checkpointProof[${i}]`, c] as const),
        ...p.certificates.flatMap((c, i) => [
          [`prepared[${i}].prePrepare`, c.prePrepare] as const,
          ...c.prepares.map((v, j) => [`prepared[${i}].prepares[${j}]`, v] as const),
        ]),
      ];
    case 'new-view':
      return [
        ...p.viewChanges.map((vc, i) => [`viewChanges[${i}]`, vc] as const),
        ...p.prePrepares.map((pp, i) => [`prePrepares[${i}]`, pp] as const),
      ];
    default:
      return [];
  }
}

/** The first six bytes of a signature as a number: a cheap key for spotting repeated envelopes. */
function signatureKey(signature: Uint8Array): number {
  let key = 0;
  for (let i = 0; i < 6 && i < signature.length; i++) key = key * 256 + signature[i]!;
  return key;
}

/**
 * The signature checks of a parsed message, each with the failure it stands for: the envelope's own,
 * then a top-level batch's requests, or every nested envelope depth first. An envelope equal to one
 * listed before is skipped. Only the first envelope per key is remembered, so envelopes crafted to
 * share a key cost one comparison each (and are simply all listed), never a quadratic search.
 */
export function signatureChecks(root: Parsed): SignatureCheck[] {
  const out: SignatureCheck[] = [];
  const first = new Map<number, Uint8Array>();
  const add = (s: Signed, reason: RejectReason, detail: string): void => {
    if (s.unchecked === true) return;
    const key = signatureKey(s.signature);
    const seen = first.get(key);
    if (seen === undefined) first.set(key, s.envelope);
    else if (sameBytes(seen, s.envelope)) return;
    const { verifier, data, signature, envelope } = s;
    out.push({ verifier, data, signature, envelope, failure: fault(reason, detail) });
  };
  add(root.signed, 'bad-signature', root.kind === 'reply' ? 'reply root signature' : 'envelope signature');
  if (root.kind === 'pre-prepare') {
    for (const [i, q] of root.batch.entries())
      add(q.signed, 'bad-request-in-batch', `request ${i}: bad signature`);
    return out;
  }
  const walk = (p: Parsed, path: string): void => {
    add(p.signed, 'bad-certificate', `${root.kind} ${path}: bad signature`);
    for (const [name, child] of childrenOf(p)) walk(child, `${path}.${name}`);
  };
  for (const [name, child] of childrenOf(root)) walk(child, name);
  return out;
}

/** Byte-wise equality of two byte strings. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
